// Reading ownership data for the Affiliates rule (`--ownership FILE`, POST /v1/ownership): CSV with
// the header `party,owner,percent,source,as_of` (as_of optional), or JSON Lines with those keys.
// `percent` is 0-100 (a trailing '%' is accepted in CSV); empty (CSV) or null (JSON) means the share
// is unknown. `as_of` is YYYY-MM-DD.
//
// Unlike an order book, an ownership file is taken whole or not at all: a row dropped for a typo
// could hide a listed owner, and a missing owner must never turn into "no licence". Every problem is
// reported (row, column, problem), and the file is refused if there is any.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/catalog.h"
#include "license/ownership.h"

namespace chipgate::io {

struct OwnershipFile {
  std::vector<license::OwnershipRecord> records;  // each with the row it was read from
  std::vector<RowError> errors;                   // empty when the file can be used
};

// Whole-file failures (no header, a missing or unknown column) are errors; row problems, and the
// checks across rows (a pair given twice, shares above 100% in total), go to OwnershipFile::errors.
Result<OwnershipFile> parse_ownership_csv(std::string_view text);
Result<OwnershipFile> parse_ownership_jsonl(std::string_view text);
// One record from a JSON object (a JSON Lines record, or an element of POST /v1/ownership). On
// error, `column` names the field at fault ("" when the value is not an object).
Result<license::OwnershipRecord> ownership_record_from_json(const nlohmann::json& j, std::string& column);
// Reads a file: ".jsonl"/".ndjson"/".json" are JSON Lines, anything else CSV.
Result<OwnershipFile> load_ownership(const std::string& path);

}  // namespace chipgate::io
