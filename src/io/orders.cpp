#include "io/orders.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/bounded_file.h"
#include "core/json_util.h"
#include "io/csv.h"

namespace chipgate::io {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

enum class Col {
  kOrderId,
  kLine,
  kDate,
  kProduct,
  kQuantity,
  kValue,
  kShipTo,
  kConsignee,
  kEndUser,
  kEndUserCountry,
  kHq,
  kEndUses,
  kExporter,
  kExportFrom,
  kIgnored
};

const std::unordered_map<std::string_view, Col>& columns() {
  static const std::unordered_map<std::string_view, Col> c = {{"order_id", Col::kOrderId},
                                                              {"line", Col::kLine},
                                                              {"date", Col::kDate},
                                                              {"product_id", Col::kProduct},
                                                              {"quantity", Col::kQuantity},
                                                              {"value_usd", Col::kValue},
                                                              {"ship_to", Col::kShipTo},
                                                              {"consignee", Col::kConsignee},
                                                              {"end_user", Col::kEndUser},
                                                              {"end_user_country", Col::kEndUserCountry},
                                                              {"end_user_hq_country", Col::kHq},
                                                              {"end_uses", Col::kEndUses},
                                                              {"exporter", Col::kExporter},
                                                              {"export_from", Col::kExportFrom}};
  return c;
}

std::string upper_code(std::string_view s) {
  std::string out(trim(s));
  for (auto& ch : out)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
  return out;
}

// Applies one cell; returns a problem or "".
std::string apply(license::OrderLine& l, Col col, std::string_view raw) {
  const std::string_view cell = trim(raw);
  if (!is_valid_utf8(cell)) return "not valid UTF-8";
  auto number = [&](double& out) -> std::string {
    if (cell.empty()) return "required (a number)";
    double v = 0;
    auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc() || ptr != cell.data() + cell.size() || !std::isfinite(v))
      return "'" + std::string(cell.substr(0, 40)) + "' is not a number";
    if (v < 0) return "must not be negative";
    out = v;
    return "";
  };
  switch (col) {
    case Col::kOrderId:
      l.order_id = cell;
      return cell.empty() ? "required" : "";
    case Col::kLine:
      l.line = cell;
      return "";
    case Col::kDate: {
      if (cell.empty()) return "";
      auto d = Date::parse(cell);
      if (!d) return d.message();
      l.date = d.value();
      return "";
    }
    case Col::kProduct:
      l.product_id = cell;
      return cell.empty() ? "required" : "";
    case Col::kQuantity:
      return number(l.quantity);
    case Col::kValue:
      return number(l.value_usd);
    case Col::kShipTo:
      l.ship_to = upper_code(cell);
      return "";
    case Col::kConsignee:
      l.consignee = cell;
      return "";
    case Col::kEndUser:
      l.end_user = cell;
      return "";
    case Col::kEndUserCountry:
      l.end_user_country = upper_code(cell);
      return "";
    case Col::kHq:
      l.end_user_hq_country = upper_code(cell);
      return "";
    case Col::kEndUses: {
      l.end_uses.clear();
      std::size_t pos = 0;
      while (pos <= cell.size()) {
        const std::size_t semi = cell.find(';', pos);
        const auto part = trim(cell.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
        if (!part.empty()) l.end_uses.emplace_back(part);
        if (semi == std::string_view::npos) break;
        pos = semi + 1;
      }
      return "";
    }
    case Col::kExporter:
      l.exporter = cell;
      return "";
    case Col::kExportFrom:
      l.export_from = cell.empty() ? "US" : upper_code(cell);
      return "";
    case Col::kIgnored:
      return "";
  }
  return "";
}

}  // namespace

Result<OrderBook> parse_orders_csv(std::string_view text) {
  CsvReader reader(text);
  CsvRecord header;
  std::string error;
  auto st = reader.next(header, error);
  if (st != CsvStatus::kRecord) return Result<OrderBook>::error("order book is empty or its header is malformed");
  std::vector<std::pair<Col, std::string>> cols;
  for (const auto& raw : header.fields) {
    const std::string name(trim(raw));
    auto it = columns().find(name);
    cols.emplace_back(it == columns().end() ? Col::kIgnored : it->second, name);
  }
  for (const char* required : {"order_id", "product_id", "ship_to"})
    if (std::none_of(cols.begin(), cols.end(), [&](const auto& c) { return c.second == required; }))
      return Result<OrderBook>::error(std::string("row 1: no '") + required + "' column: this is not an order book");
  // Where the line's ids are, to name a row that cannot be read beside its error.
  auto cell_of = [&](const CsvRecord& rec, Col col) {
    for (std::size_t i = 0; i < cols.size() && i < rec.fields.size(); ++i)
      if (cols[i].first == col) return std::string(trim(rec.fields[i]));
    return std::string();
  };
  OrderBook book;
  CsvRecord rec;
  while ((st = reader.next(rec, error)) != CsvStatus::kEnd) {
    if (st == CsvStatus::kError) {
      book.errors.push_back({{rec.line, "", "malformed CSV: " + error}, "", ""});
      continue;
    }
    if (rec.fields.size() != cols.size()) {
      book.errors.push_back(
          {{rec.line, "",
            "has " + std::to_string(rec.fields.size()) + " fields, the header has " + std::to_string(cols.size())},
           cell_of(rec, Col::kOrderId),
           cell_of(rec, Col::kLine)});
      continue;
    }
    license::OrderLine line;
    std::string problem, column;
    for (std::size_t i = 0; i < cols.size() && problem.empty(); ++i) {
      problem = apply(line, cols[i].first, rec.fields[i]);
      if (!problem.empty()) column = cols[i].second;
    }
    if (!problem.empty()) {
      book.errors.push_back({{rec.line, column, problem}, cell_of(rec, Col::kOrderId), cell_of(rec, Col::kLine)});
      continue;
    }
    if (line.line.empty()) line.line = std::to_string(book.lines.size() + 1);
    book.lines.push_back({rec.line, std::move(line)});
  }
  return book;
}

Result<license::OrderLine> order_line_from_json(const nlohmann::json& j, std::string& column) {
  using R = Result<license::OrderLine>;
  column.clear();
  if (!j.is_object()) return R::error("not a valid JSON object");
  license::OrderLine line;
  std::string problem;
  for (const auto& [key, value] : j.items()) {
    auto it = columns().find(key);
    if (it == columns().end()) {
      column = key;
      return R::error("unknown field");
    }
    std::string cell;
    if (value.is_null()) continue;
    if (value.is_string())
      cell = value.get<std::string>();
    else if (value.is_number())
      cell = value.dump();
    else if (value.is_array() && it->second == Col::kEndUses) {
      for (const auto& e : value) {
        if (!e.is_string()) {
          problem = "must be a list of strings";
          break;
        }
        cell += (cell.empty() ? "" : ";") + e.get<std::string>();
      }
    } else {
      problem = std::string("has the wrong type (") + value.type_name() + ")";
    }
    if (problem.empty()) problem = apply(line, it->second, cell);
    if (!problem.empty()) {
      column = key;
      return R::error(problem);
    }
  }
  for (const char* required : {"order_id", "product_id", "ship_to"})
    if (!j.contains(required)) {
      column = required;
      return R::error("required");
    }
  return line;
}

Result<OrderBook> parse_orders_jsonl(std::string_view text) {
  OrderBook book;
  LineSplitter lines(text);
  std::string_view line_text;
  std::size_t line_no = 0;
  bool too_long = false;
  while (lines.next(line_text, line_no, too_long)) {
    if (too_long) {
      book.errors.push_back({{line_no, "", "line longer than " + describe_byte_limit(lines.max_line_bytes())}, "", ""});
      continue;
    }
    const auto raw = trim(line_text);
    if (raw.empty()) continue;
    auto j = nlohmann::json::parse(raw, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      book.errors.push_back({{line_no, "", "not a valid JSON object"}, "", ""});
      continue;
    }
    std::string column;
    auto line = order_line_from_json(j, column);
    if (!line) {
      auto id = [&](const char* key) {
        const auto it = j.find(key);
        if (it == j.end()) return std::string();
        return it->is_string() ? it->get<std::string>() : it->is_number_integer() ? it->dump() : std::string();
      };
      book.errors.push_back({{line_no, column, line.message()}, id("order_id"), id("line")});
      continue;
    }
    if (line->line.empty()) line->line = std::to_string(book.lines.size() + 1);
    book.lines.push_back({line_no, std::move(line).value()});
  }
  return book;
}

Result<OrderBook> load_orders(const std::string& path) {
  auto text = read_bounded_file(path, input_limits::kOrderBook);
  if (!text) return text.status();
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  auto book = (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") ? parse_orders_jsonl(text.value())
                                                                      : parse_orders_csv(text.value());
  if (!book) return Result<OrderBook>::error(path + ": " + book.message());
  return book;
}

}  // namespace chipgate::io
