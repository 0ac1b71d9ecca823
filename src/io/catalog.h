// Reading product catalogs: CSV in the column layout of ../shared/data/accelerators.csv, or JSON
// Lines with the same field names. A bad row is reported ("row N, column C: problem") and skipped;
// the other rows are still read.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "classify/item.h"
#include "core/result.h"

namespace chipgate::io {

struct RowError {
  std::size_t row = 0;  // line number where the record starts (the CSV header is row 1)
  std::string column;   // field name, or "" when the whole row is bad
  std::string problem;
  std::string to_string() const;  // "row 5, column die_area_mm2: 'abc' is not a number"
};

struct CatalogRow {
  std::size_t row = 0;
  classify::Item item;
};

struct Catalog {
  std::vector<CatalogRow> rows;
  std::vector<RowError> errors;
};

// Fails as a whole only when the input is not a catalog at all (no header, no `id` column, an
// unknown precision in a rate column name); row-level problems go to Catalog::errors.
Result<Catalog> parse_catalog_csv(std::string_view text);
Result<Catalog> parse_catalog_jsonl(std::string_view text);
// Reads a file; ".jsonl"/".ndjson"/".json" are JSON Lines, anything else CSV.
Result<Catalog> load_catalog(const std::string& path);

// One item from a JSON object with the catalog's field names; also accepts "rates" (precision ->
// dense TOPS), "units" ([{count, rates}]), "contains" (an inline item) with "contains_count".
// On error, `field` names the offending field.
Result<classify::Item> item_from_json(const nlohmann::json& j, std::string& field);

// The inverse of item_from_json: the item under the catalog's field names, {"id", "name", "vendor",
// "kind", "datacenter", the parameters that are set (add_item_parameters, then memory_gb, tdp_w,
// release_year, process_node, dominant_function), "units": [{"count", "rates"}], and for a computer
// "contains_id", "contains_count"}. The store keeps the catalog's products in this shape.
nlohmann::ordered_json item_to_json(const classify::Item& item);
// The classification parameters of an item that are set, under their catalog names: tpp_published,
// die_area_mm2, memory_bw_gbs, hbm_stack_area_mm2, interconnect_bw_gbs, transistors_billion,
// hbm_stacks, base_eccn (shared by item_to_json and the "inputs" step of a classification trace).
void add_item_parameters(const classify::Item& item, nlohmann::ordered_json& j);

// Links computers to the IC they contain (`contains_id`), within the catalog. A computer whose IC is
// unknown becomes a row error.
void link_contained(Catalog& catalog);

// A file of records read whole under the generic table limit (core/bounded_file.h). Readers of a
// known kind of file call read_bounded_file with their own kind, so that errors name it.
Result<std::string> read_file(const std::string& path);

}  // namespace chipgate::io
