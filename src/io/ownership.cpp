#include "io/ownership.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "io/csv.h"

namespace chipgate::io {

namespace {

constexpr const char* kColumns[] = {"party", "owner", "percent", "source", "as_of"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Applies one cell of column `name`; returns a problem or "". Field rules that hold whatever the
// format (required, UTF-8, range) are license::check_ownership_record's.
std::string apply(license::OwnershipRecord& r, std::string_view name, std::string_view raw) {
  const std::string_view cell = trim(raw);
  if (name == "party") {
    r.party = cell;
  } else if (name == "owner") {
    r.owner = cell;
  } else if (name == "source") {
    r.source = cell;
  } else if (name == "percent") {
    std::string_view number = cell;
    if (!number.empty() && number.back() == '%') number = trim(number.substr(0, number.size() - 1));
    if (number.empty()) {
      r.percent.reset();  // unknown share
      return "";
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(v))
      return "'" + std::string(cell.substr(0, 40)) + "' is not a number (0-100, or empty when unknown)";
    r.percent = v;
  } else if (name == "as_of") {
    if (cell.empty()) return "";
    auto d = Date::parse(cell);
    if (!d) return d.message();
    r.as_of = d.value();
  }
  return "";
}

// The record-level and cross-row checks, reported against the rows the records came from.
void check_rows(OwnershipFile& file) {
  for (const auto& p : license::check_ownership(file.records))
    file.errors.push_back({file.records[p.index].row, p.field, p.problem});
  std::sort(file.errors.begin(), file.errors.end(), [](const RowError& a, const RowError& b) { return a.row < b.row; });
}

bool known_column(std::string_view name) {
  return std::find(std::begin(kColumns), std::end(kColumns), name) != std::end(kColumns);
}

}  // namespace

Result<OwnershipFile> parse_ownership_csv(std::string_view text) {
  using R = Result<OwnershipFile>;
  CsvReader reader(text);
  CsvRecord header;
  std::string error;
  if (reader.next(header, error) != CsvStatus::kRecord)
    return R::error("ownership file is empty or its header is malformed");
  std::vector<std::string> cols;
  for (const auto& raw : header.fields) {
    std::string name(trim(raw));
    if (!known_column(name))
      return R::error("row 1, column " + name + ": unknown column (expected party, owner, percent, source, as_of)");
    if (std::find(cols.begin(), cols.end(), name) != cols.end())
      return R::error("row 1, column " + name + ": given twice");
    cols.push_back(std::move(name));
  }
  for (const char* required : {"party", "owner", "percent", "source"})
    if (std::find(cols.begin(), cols.end(), required) == cols.end())
      return R::error(std::string("row 1: no '") + required +
                      "' column (the header is party,owner,percent,source[,as_of])");
  OwnershipFile file;
  CsvRecord rec;
  CsvStatus st;
  while ((st = reader.next(rec, error)) != CsvStatus::kEnd) {
    if (st == CsvStatus::kError) {
      file.errors.push_back({rec.line, "", "malformed CSV: " + error});
      continue;
    }
    if (rec.fields.size() != cols.size()) {
      file.errors.push_back(
          {rec.line, "",
           "has " + std::to_string(rec.fields.size()) + " fields, the header has " + std::to_string(cols.size())});
      continue;
    }
    license::OwnershipRecord r;
    r.row = rec.line;
    bool ok = true;
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (auto problem = apply(r, cols[i], rec.fields[i]); !problem.empty()) {
        file.errors.push_back({rec.line, cols[i], problem});
        ok = false;
      }
    if (ok) file.records.push_back(std::move(r));
  }
  check_rows(file);
  return file;
}

Result<license::OwnershipRecord> ownership_record_from_json(const nlohmann::json& j, std::string& column) {
  using R = Result<license::OwnershipRecord>;
  column.clear();
  if (!j.is_object()) return R::error("not a JSON object");
  license::OwnershipRecord r;
  for (const auto& [key, value] : j.items()) {
    column = key;
    if (!known_column(key)) return R::error("unknown field (party, owner, percent, source, as_of)");
    std::string cell;
    if (key == "percent") {
      if (value.is_null()) continue;
      if (!value.is_number()) return R::error("must be a number 0-100, or null when unknown");
      cell = value.dump();
    } else if (value.is_null() && key == "as_of") {
      continue;
    } else if (!value.is_string()) {
      return R::error(std::string("must be a string (") + value.type_name() + " given)");
    } else {
      cell = value.get<std::string>();
    }
    if (auto problem = apply(r, key, cell); !problem.empty()) return R::error(problem);
  }
  for (const char* required : {"party", "owner", "percent", "source"})
    if (!j.contains(required)) {
      column = required;
      return R::error(std::string("required") + (std::string(required) == "percent" ? " (null when unknown)" : ""));
    }
  column.clear();
  return r;
}

Result<OwnershipFile> parse_ownership_jsonl(std::string_view text) {
  OwnershipFile file;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const auto raw = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (raw.empty()) continue;
    auto j = nlohmann::json::parse(raw, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      file.errors.push_back({line_no, "", "not a valid JSON object"});
      continue;
    }
    std::string column;
    auto r = ownership_record_from_json(j, column);
    if (!r) {
      file.errors.push_back({line_no, column, r.message()});
      continue;
    }
    r->row = line_no;
    file.records.push_back(std::move(r).value());
  }
  check_rows(file);
  return file;
}

Result<OwnershipFile> load_ownership(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.status();
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  auto file = (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") ? parse_ownership_jsonl(text.value())
                                                                      : parse_ownership_csv(text.value());
  if (!file) return Result<OwnershipFile>::error(path + ": " + file.message());
  return file;
}

}  // namespace chipgate::io
