#include "io/catalog.h"

#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/bounded_file.h"
#include "core/json_util.h"
#include "io/csv.h"

namespace chipgate::io {

using classify::Item;
using classify::ItemKind;
using classify::Tri;
using rules::kPrecisionCount;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Strict decimal parse: the whole cell must be a finite number ("1,935" or "12 GB" are errors).
Result<double> parse_number(std::string_view cell) {
  cell = trim(cell);
  double v = 0;
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v))
    return Result<double>::error("'" + std::string(cell.substr(0, 40)) + "' is not a number");
  return v;
}

std::string printable(std::string_view s) { return std::string(s.substr(0, 60)); }

// The fields every input format shares; CSV columns and JSON keys use these names.
enum class Field {
  kId,
  kVendor,
  kName,
  kKind,
  kReleaseYear,
  kDatacenter,
  kTppPublished,
  kDieArea,
  kTransistors,
  kMemoryGb,
  kMemoryBw,
  kHbmStacks,
  kHbmArea,
  kInterconnect,
  kTdp,
  kProcessNode,
  kContainsId,
  kContainsCount,
  kBaseEccn,
  kDominantFunction,
  kIgnored,
  kRate,
};

const std::unordered_map<std::string_view, Field>& field_names() {
  static const std::unordered_map<std::string_view, Field> names = {
      {"id", Field::kId},
      {"vendor", Field::kVendor},
      {"name", Field::kName},
      {"kind", Field::kKind},
      {"release_year", Field::kReleaseYear},
      {"datacenter", Field::kDatacenter},
      {"tpp_published", Field::kTppPublished},
      {"die_area_mm2", Field::kDieArea},
      {"transistors_billion", Field::kTransistors},
      {"memory_gb", Field::kMemoryGb},
      {"memory_bw_gbs", Field::kMemoryBw},
      {"hbm_stacks", Field::kHbmStacks},
      {"hbm_stack_area_mm2", Field::kHbmArea},
      {"interconnect_bw_gbs", Field::kInterconnect},
      {"tdp_w", Field::kTdp},
      {"process_node", Field::kProcessNode},
      {"contains_id", Field::kContainsId},
      {"contains_count", Field::kContainsCount},
      {"base_eccn", Field::kBaseEccn},
      {"dominant_function", Field::kDominantFunction},
      // Descriptive columns of the shared layout that no rule reads.
      {"memory_type", Field::kIgnored},
      {"notes", Field::kIgnored},
      {"source_urls", Field::kIgnored},
  };
  return names;
}

// "dense_tops_int8" / "dense_tflops_fp16_bf16" -> precision index; kPrecisionCount if the column
// is not a rate column; returns an error for a rate column naming an unknown precision.
Result<std::size_t> rate_column(std::string_view name) {
  for (std::string_view prefix : {"dense_tops_", "dense_tflops_"}) {
    if (name.substr(0, prefix.size()) != prefix) continue;
    const auto p = rules::precision_index(name.substr(prefix.size()));
    if (p == kPrecisionCount) {
      std::string known;
      for (auto n : rules::kPrecisionNames) known += (known.empty() ? "" : ", ") + std::string(n);
      return Result<std::size_t>::error("unknown precision '" + std::string(name.substr(prefix.size())) +
                                        "' (known: " + known + ")");
    }
    return p;
  }
  return kPrecisionCount;
}

// Applies one text cell to the item; returns a problem description or "" on success.
std::string apply_text(Item& item, Field f, std::size_t precision, std::string_view raw) {
  const std::string_view cell = trim(raw);
  // Text is echoed into JSON output and records; reject bytes that are not UTF-8 here, by field.
  if (!is_valid_utf8(cell)) return "not valid UTF-8";
  auto number = [&](std::optional<double>& out) -> std::string {
    if (cell.empty()) return "";
    auto v = parse_number(cell);
    if (!v) return v.message();
    out = v.value();
    return "";
  };
  auto integer = [&](auto& out, long lo, long hi) -> std::string {
    if (cell.empty()) return "";
    auto v = parse_number(cell);
    if (!v) return v.message();
    if (v.value() != std::floor(v.value()) || v.value() < static_cast<double>(lo) ||
        v.value() > static_cast<double>(hi))
      return "'" + printable(cell) + "' must be a whole number between " + std::to_string(lo) + " and " +
             std::to_string(hi);
    out = static_cast<int>(v.value());
    return "";
  };
  switch (f) {
    case Field::kId:
      if (cell.empty()) return "empty id";
      item.id = cell;
      return "";
    case Field::kVendor:
      item.vendor = cell;
      return "";
    case Field::kName:
      item.name = cell;
      return "";
    case Field::kKind: {
      auto k = classify::parse_item_kind(cell);
      if (!k) return "'" + printable(cell) + "' is not an item kind (gpu, asic, ic, hbm_stack, hbm, computer, server)";
      item.kind = *k;
      return "";
    }
    case Field::kDatacenter: {
      auto t = classify::parse_tri(cell);
      if (!t) return "'" + printable(cell) + "' must be yes, no or unknown";
      item.datacenter = *t;
      return "";
    }
    case Field::kReleaseYear: {
      std::optional<int> y;
      auto e = integer(y, 1950, 2100);
      item.release_year = y;
      return e;
    }
    case Field::kTppPublished:
      return number(item.tpp_declared);
    case Field::kDieArea:
      return number(item.die_area_mm2);
    case Field::kTransistors:
      return number(item.transistors_billion);
    case Field::kMemoryGb:
      return number(item.memory_gb);
    case Field::kMemoryBw:
      return number(item.memory_bw_gbs);
    case Field::kHbmArea:
      return number(item.hbm_stack_area_mm2);
    case Field::kInterconnect:
      return number(item.interconnect_bw_gbs);
    case Field::kTdp:
      return number(item.tdp_w);
    case Field::kHbmStacks: {
      std::optional<int> n;
      auto e = integer(n, 0, 64);
      item.hbm_stacks = n;
      return e;
    }
    case Field::kProcessNode:
      item.process_node = cell;
      return "";
    case Field::kContainsId:
      item.contained_id = cell;
      return "";
    case Field::kContainsCount: {
      std::optional<int> n;
      auto e = integer(n, 1, 1000000);
      if (n) item.contained_count = *n;
      return e;
    }
    case Field::kBaseEccn:
      item.base_eccn = cell;
      return "";
    case Field::kDominantFunction:
      if (cell.empty() || cell == "processing" || cell == "memory") {
        item.dominant_function = cell;
        return "";
      }
      return "'" + printable(cell) + "' must be processing or memory";
    case Field::kRate: {
      if (cell.empty()) return "";
      auto v = parse_number(cell);
      if (!v) return v.message();
      if (auto s = classify::check_rate(v.value()); !s) return s.message();
      if (item.units.empty()) item.units.emplace_back();
      item.units.front().dense_rate[precision] = v.value();
      return "";
    }
    case Field::kIgnored:
      return "";
  }
  return "";
}

// Field-level validation shared by CSV and JSON, mapped back to the column it concerns.
std::string finish_item(Item& item, std::string& column) {
  if (item.id.empty()) {
    column = "id";
    return "missing id";
  }
  // Technical Note to 3A090.c: a co-packaged IC whose dominant function is memory stays HBM.
  // Applied after all fields, so the column order does not matter.
  if (item.dominant_function == "memory" && item.kind == ItemKind::kIc) item.kind = ItemKind::kHbm;
  if (item.kind == ItemKind::kComputer && item.contained_count == 0 && !item.contained_id.empty())
    item.contained_count = 1;
  auto s = classify::validate(item);
  if (!s) {
    const auto& msg = s.message();
    column = msg.substr(0, msg.find(':'));
    if (column.rfind("dense rate ", 0) == 0) column = "rates." + column.substr(11);
    return msg.substr(msg.find(':') + 2);
  }
  return "";
}

}  // namespace

std::string RowError::to_string() const {
  std::string s = "row " + std::to_string(row);
  if (!column.empty()) s += ", column " + column;
  return s + ": " + problem;
}

Result<Catalog> parse_catalog_csv(std::string_view text) {
  CsvReader reader(text);
  CsvRecord header;
  std::string error;
  CsvStatus st = reader.next(header, error);
  if (st == CsvStatus::kEnd)
    return Result<Catalog>::error("catalog is empty: expected a header row with an 'id' column");
  if (st == CsvStatus::kError)
    return Result<Catalog>::error("row " + std::to_string(header.line) + ": header: " + error);

  struct Column {
    Field field;
    std::size_t precision;
    std::string name;
  };
  std::vector<Column> columns;
  bool has_id = false;
  for (const auto& raw : header.fields) {
    const std::string name(trim(raw));
    auto rate = rate_column(name);
    if (!rate)
      return Result<Catalog>::error("row " + std::to_string(header.line) + ", column " + name + ": " + rate.message());
    if (rate.value() != kPrecisionCount) {
      columns.push_back({Field::kRate, rate.value(), name});
      continue;
    }
    auto it = field_names().find(name);
    // Columns of other layouts are tolerated: a catalog may carry more than chipgate reads.
    columns.push_back({it == field_names().end() ? Field::kIgnored : it->second, kPrecisionCount, name});
    has_id = has_id || name == "id";
  }
  if (!has_id)
    return Result<Catalog>::error("row " + std::to_string(header.line) +
                                  ": no 'id' column: this is not a catalog in the accelerators.csv layout");

  Catalog catalog;
  std::unordered_map<std::string, std::size_t> seen;  // id -> row
  CsvRecord rec;
  while ((st = reader.next(rec, error)) != CsvStatus::kEnd) {
    if (st == CsvStatus::kError) {
      catalog.errors.push_back({rec.line, "", "malformed CSV: " + error});
      continue;
    }
    if (rec.fields.size() != columns.size()) {
      catalog.errors.push_back(
          {rec.line, "",
           "has " + std::to_string(rec.fields.size()) + " fields, the header has " + std::to_string(columns.size())});
      continue;
    }
    Item item;
    std::string problem, column;
    for (std::size_t i = 0; i < columns.size() && problem.empty(); ++i) {
      problem = apply_text(item, columns[i].field, columns[i].precision, rec.fields[i]);
      if (!problem.empty()) column = columns[i].name;
    }
    if (problem.empty()) problem = finish_item(item, column);
    if (problem.empty()) {
      if (auto [it, fresh] = seen.emplace(item.id, rec.line); !fresh) {
        column = "id";
        problem = "duplicate id '" + item.id + "' (first at row " + std::to_string(it->second) + ")";
      }
    }
    if (!problem.empty()) {
      catalog.errors.push_back({rec.line, column, problem});
      continue;
    }
    catalog.rows.push_back({rec.line, std::move(item)});
  }
  link_contained(catalog);
  return catalog;
}

Result<Item> item_from_json(const nlohmann::json& j, std::string& field) {
  using R = Result<Item>;
  if (!j.is_object()) {
    field = "";
    return R::error("expected a JSON object");
  }
  Item item;
  for (const auto& [key, value] : j.items()) {
    field = key;
    if (value.is_null()) continue;
    auto rate = rate_column(key);
    if (!rate) return R::error(rate.message());
    if (key == "rates" || key == "units") {
      // "rates": {"int8": 624, ...} is one unit; "units": [{"count": 2, "rates": {...}}, ...].
      const nlohmann::json units = key == "rates" ? nlohmann::json::array({{{"rates", value}}}) : value;
      if (!units.is_array()) return R::error("must be an array of {count, rates}");
      for (const auto& u : units) {
        if (!u.is_object() || !u.contains("rates") || !u["rates"].is_object())
          return R::error("each unit needs \"rates\": {precision: dense TOPS}");
        classify::ProcessingUnit pu;
        for (const auto& [uk, uv] : u.items()) {
          if (uk == "count") {
            if (!uv.is_number_integer() || uv.get<long long>() < 1 || uv.get<long long>() > 1000000) {
              field = key + ".count";
              return R::error("count must be a whole number between 1 and 1000000");
            }
            pu.count = static_cast<int>(uv.get<long long>());
          } else if (uk != "rates") {
            return R::error("unknown unit field '" + uk + "' (count, rates)");
          }
        }
        for (const auto& [pk, pv] : u["rates"].items()) {
          const auto p = rules::precision_index(pk);
          field = (key == "rates" ? "rates." : "units.rates.") + pk;
          if (p == kPrecisionCount) {
            std::string known;
            for (auto n : rules::kPrecisionNames) known += (known.empty() ? "" : ", ") + std::string(n);
            return R::error("unknown precision '" + pk + "' (known: " + known + ")");
          }
          if (!pv.is_number()) return R::error("rate for " + pk + " must be a number");
          pu.dense_rate[p] = pv.get<double>();
        }
        item.units.push_back(pu);
      }
      continue;
    }
    if (key == "contains") {
      std::string inner_field;
      auto inner = item_from_json(value, inner_field);
      if (!inner) {
        field = "contains." + inner_field;
        return inner.status();
      }
      item.contained_ic = std::make_shared<const Item>(std::move(inner).value());
      item.contained_id = item.contained_ic->id;
      continue;
    }
    Field f;
    std::size_t precision = kPrecisionCount;
    if (rate.value() != kPrecisionCount) {
      f = Field::kRate;
      precision = rate.value();
    } else {
      auto it = field_names().find(key);
      if (it == field_names().end()) return R::error("unknown field");
      f = it->second;
    }
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
      const bool numeric_field = f == Field::kRate || f == Field::kTppPublished || f == Field::kDieArea ||
                                 f == Field::kTransistors || f == Field::kMemoryGb || f == Field::kMemoryBw ||
                                 f == Field::kHbmStacks || f == Field::kHbmArea || f == Field::kInterconnect ||
                                 f == Field::kTdp || f == Field::kReleaseYear || f == Field::kContainsCount;
      if (numeric_field) return R::error("must be a number, not a string");
    } else if (value.is_number()) {
      text = value.dump();
    } else if (value.is_boolean() && f == Field::kDatacenter) {
      text = value.get<bool>() ? "yes" : "no";
    } else {
      return R::error("has the wrong type (" + std::string(value.type_name()) + ")");
    }
    if (auto problem = apply_text(item, f, precision, text); !problem.empty()) return R::error(problem);
  }
  std::string column;
  if (auto problem = finish_item(item, column); !problem.empty()) {
    field = column;
    return R::error(problem);
  }
  field.clear();
  return item;
}

void add_item_parameters(const classify::Item& item, nlohmann::ordered_json& j) {
  auto put = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  put("tpp_published", item.tpp_declared);
  put("die_area_mm2", item.die_area_mm2);
  put("memory_bw_gbs", item.memory_bw_gbs);
  put("hbm_stack_area_mm2", item.hbm_stack_area_mm2);
  put("interconnect_bw_gbs", item.interconnect_bw_gbs);
  put("transistors_billion", item.transistors_billion);
  put("hbm_stacks", item.hbm_stacks);
  if (!item.base_eccn.empty()) j["base_eccn"] = item.base_eccn;
}

nlohmann::ordered_json item_to_json(const classify::Item& item) {
  nlohmann::ordered_json j = {{"id", item.id},
                              {"name", item.name},
                              {"vendor", item.vendor},
                              {"kind", rules::item_kind_name(item.kind)},
                              {"datacenter", classify::tri_name(item.datacenter)}};
  add_item_parameters(item, j);
  auto put = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  put("memory_gb", item.memory_gb);
  put("tdp_w", item.tdp_w);
  put("release_year", item.release_year);
  if (!item.process_node.empty()) j["process_node"] = item.process_node;
  if (!item.dominant_function.empty()) j["dominant_function"] = item.dominant_function;
  nlohmann::ordered_json units = nlohmann::ordered_json::array();
  for (const auto& u : item.units) {
    nlohmann::ordered_json rates = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kPrecisionCount; ++i)
      if (u.dense_rate[i]) rates[std::string(rules::kPrecisionNames[i])] = *u.dense_rate[i];
    units.push_back({{"count", u.count}, {"rates", std::move(rates)}});
  }
  j["units"] = std::move(units);
  if (!item.contained_id.empty()) {
    j["contains_id"] = item.contained_id;
    j["contains_count"] = item.contained_count;
  }
  return j;
}

Result<Catalog> parse_catalog_jsonl(std::string_view text) {
  Catalog catalog;
  std::unordered_map<std::string, std::size_t> seen;
  LineSplitter lines(text);
  std::string_view raw;
  std::size_t line_no = 0;
  bool too_long = false;
  while (lines.next(raw, line_no, too_long)) {
    if (too_long) {
      catalog.errors.push_back({line_no, "", "line longer than " + describe_byte_limit(lines.max_line_bytes())});
      continue;
    }
    const std::string_view line = trim(raw);
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      catalog.errors.push_back({line_no, "", "not valid JSON"});
      continue;
    }
    std::string field;
    auto item = item_from_json(j, field);
    if (!item) {
      catalog.errors.push_back({line_no, field, item.message()});
      continue;
    }
    if (auto [it, fresh] = seen.emplace(item->id, line_no); !fresh) {
      catalog.errors.push_back(
          {line_no, "id", "duplicate id '" + item->id + "' (first at row " + std::to_string(it->second) + ")"});
      continue;
    }
    catalog.rows.push_back({line_no, std::move(item).value()});
  }
  link_contained(catalog);
  return catalog;
}

void link_contained(Catalog& catalog) {
  std::unordered_map<std::string, std::shared_ptr<const Item>> ics;
  for (const auto& r : catalog.rows)
    if (r.item.kind == ItemKind::kIc) ics.emplace(r.item.id, std::make_shared<const Item>(r.item));
  std::vector<CatalogRow> kept;
  kept.reserve(catalog.rows.size());
  for (auto& r : catalog.rows) {
    if (r.item.kind == ItemKind::kComputer && !r.item.contained_ic) {
      auto it = ics.find(r.item.contained_id);
      if (it == ics.end()) {
        catalog.errors.push_back({r.row, "contains_id", "no IC with id '" + r.item.contained_id + "' in this catalog"});
        continue;
      }
      r.item.contained_ic = it->second;
    }
    kept.push_back(std::move(r));
  }
  catalog.rows = std::move(kept);
  std::sort(catalog.errors.begin(), catalog.errors.end(),
            [](const RowError& a, const RowError& b) { return a.row < b.row; });
}

Result<std::string> read_file(const std::string& path) { return read_bounded_file(path, input_limits::kTable); }

Result<Catalog> load_catalog(const std::string& path) {
  auto text = read_bounded_file(path, input_limits::kCatalog);
  if (!text) return text.status();
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  auto catalog = (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") ? parse_catalog_jsonl(text.value())
                                                                         : parse_catalog_csv(text.value());
  if (!catalog) return Result<Catalog>::error(path + ": " + catalog.message());
  return catalog;
}

}  // namespace chipgate::io
