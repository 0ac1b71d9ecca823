// Library-level tests of catalog reading: io::parse_catalog_csv, parse_catalog_jsonl, item_from_json.
// Expected values are worked out by hand from the inputs written here.
#include "io/catalog.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "classify/metrics.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::io {
namespace {

using classify::ItemKind;
using classify::Tri;

// The header of ../shared/data/accelerators.csv (26 columns).
constexpr const char* kSharedHeader =
    "id,vendor,name,kind,release_year,datacenter,dense_tops_int8,dense_tflops_fp8,dense_tflops_fp16_bf16,"
    "dense_tflops_tf32,dense_tflops_fp32,dense_tflops_fp64,tpp_published,die_area_mm2,transistors_billion,"
    "memory_type,memory_gb,memory_bw_gbs,hbm_stacks,hbm_stack_area_mm2,interconnect_bw_gbs,tdp_w,process_node,"
    "dense_tflops_fp4,notes,source_urls";

const std::vector<std::string>& shared_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> out;
    std::string s = kSharedHeader, cur;
    for (char c : s) {
      if (c == ',') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    out.push_back(cur);
    return out;
  }();
  return cols;
}

// One CSV line in the shared layout; `cells` maps column name -> raw CSV text (already quoted if
// the test wants quotes). Columns not given are empty.
std::string row(const std::map<std::string, std::string>& cells) {
  std::string line;
  std::size_t used = 0;
  for (std::size_t i = 0; i < shared_columns().size(); ++i) {
    if (i) line += ",";
    auto it = cells.find(shared_columns()[i]);
    if (it != cells.end()) {
      line += it->second;
      ++used;
    }
  }
  EXPECT_EQ(used, cells.size()) << "test bug: a cell names a column not in the shared header";
  return line + "\n";
}

std::string good_row(const std::string& id) {
  return row({{"id", id},
              {"vendor", "Acme"},
              {"kind", "gpu"},
              {"datacenter", "yes"},
              {"dense_tops_int8", "100"},
              {"die_area_mm2", "200"}});
}

std::size_t prec(const char* name) { return rules::precision_index(name); }

Catalog parse_ok(const std::string& text) {
  auto r = parse_catalog_csv(text);
  EXPECT_TRUE(r.is_ok()) << r.message();
  return r.is_ok() ? r.value() : Catalog{};
}

std::vector<std::string> ids(const Catalog& c) {
  std::vector<std::string> out;
  for (const auto& r : c.rows) out.push_back(r.item.id);
  return out;
}

std::vector<std::size_t> rows_of(const Catalog& c) {
  std::vector<std::size_t> out;
  for (const auto& r : c.rows) out.push_back(r.row);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Good CSV

TEST(CatalogCsv, ParsesSharedHeaderLayout) {
  const std::string text = std::string(kSharedHeader) + "\n" +
                           row({{"id", "chip-a"},
                                {"vendor", "NVIDIA"},
                                {"name", "A100 SXM4 80GB"},
                                {"kind", "gpu"},
                                {"release_year", "2020"},
                                {"datacenter", "yes"},
                                {"dense_tops_int8", "624"},
                                {"dense_tflops_fp16_bf16", "312"},
                                {"dense_tflops_tf32", "156"},
                                {"dense_tflops_fp32", "19.5"},
                                {"dense_tflops_fp64", "9.7"},
                                {"die_area_mm2", "826"},
                                {"transistors_billion", "54.2"},
                                {"memory_type", "HBM2e"},
                                {"memory_gb", "80"},
                                {"memory_bw_gbs", "2039"},
                                {"hbm_stacks", "5"},
                                {"interconnect_bw_gbs", "600"},
                                {"tdp_w", "400"},
                                {"process_node", "TSMC 7nm (N7)"},
                                {"notes", "\"Dense figures, no sparsity; \"\"quoted\"\" words\""},
                                {"source_urls", "https://a;https://b"}}) +
                           row({{"id", "hbm-x"},
                                {"vendor", "SK hynix"},
                                {"name", "HBM3E 12-Hi"},
                                {"kind", "hbm_stack"},
                                {"datacenter", "unknown"},
                                {"memory_gb", "36"},
                                {"memory_bw_gbs", "1229"},
                                {"hbm_stack_area_mm2", "121"}}) +
                           row({{"id", "consumer"},
                                {"vendor", "NVIDIA"},
                                {"kind", "asic"},
                                {"datacenter", "no"},
                                {"dense_tflops_fp8", "660.6"},
                                {"dense_tflops_fp4", "1321.2"},
                                {"hbm_stacks", "0"}});
  const Catalog c = parse_ok(text);
  ASSERT_TRUE(c.errors.empty()) << c.errors.front().to_string();
  ASSERT_EQ(ids(c), (std::vector<std::string>{"chip-a", "hbm-x", "consumer"}));
  EXPECT_EQ(rows_of(c), (std::vector<std::size_t>{2, 3, 4}));

  const auto& a = c.rows[0].item;
  EXPECT_EQ(a.vendor, "NVIDIA");
  EXPECT_EQ(a.name, "A100 SXM4 80GB");
  EXPECT_EQ(a.kind, ItemKind::kIc);
  EXPECT_EQ(a.release_year, 2020);
  EXPECT_EQ(a.datacenter, Tri::kTrue);
  ASSERT_EQ(a.units.size(), 1u);
  EXPECT_EQ(a.units[0].count, 1);
  EXPECT_EQ(a.units[0].dense_rate[prec("int8")], 624.0);
  EXPECT_EQ(a.units[0].dense_rate[prec("fp16_bf16")], 312.0);
  EXPECT_EQ(a.units[0].dense_rate[prec("tf32")], 156.0);
  EXPECT_EQ(a.units[0].dense_rate[prec("fp32")], 19.5);
  EXPECT_EQ(a.units[0].dense_rate[prec("fp64")], 9.7);
  EXPECT_FALSE(a.units[0].dense_rate[prec("fp8")].has_value());
  EXPECT_FALSE(a.units[0].dense_rate[prec("fp4")].has_value());
  EXPECT_FALSE(a.tpp_declared.has_value());
  EXPECT_EQ(a.die_area_mm2, 826.0);
  EXPECT_EQ(a.transistors_billion, 54.2);
  EXPECT_EQ(a.memory_gb, 80.0);
  EXPECT_EQ(a.memory_bw_gbs, 2039.0);
  EXPECT_EQ(a.hbm_stacks, 5);
  EXPECT_FALSE(a.hbm_stack_area_mm2.has_value());
  EXPECT_EQ(a.interconnect_bw_gbs, 600.0);
  EXPECT_EQ(a.tdp_w, 400.0);
  EXPECT_EQ(a.process_node, "TSMC 7nm (N7)");

  const auto& h = c.rows[1].item;
  EXPECT_EQ(h.kind, ItemKind::kHbm);
  EXPECT_EQ(h.datacenter, Tri::kUnknown);
  EXPECT_TRUE(h.units.empty());
  EXPECT_EQ(h.memory_bw_gbs, 1229.0);
  EXPECT_EQ(h.hbm_stack_area_mm2, 121.0);

  const auto& k = c.rows[2].item;
  EXPECT_EQ(k.kind, ItemKind::kIc);
  EXPECT_EQ(k.datacenter, Tri::kFalse);
  ASSERT_EQ(k.units.size(), 1u);
  EXPECT_EQ(k.units[0].dense_rate[prec("fp8")], 660.6);
  EXPECT_EQ(k.units[0].dense_rate[prec("fp4")], 1321.2);
  EXPECT_EQ(k.hbm_stacks, 0);
  EXPECT_FALSE(k.die_area_mm2.has_value());
}

TEST(CatalogCsv, RowNumberIsTheLineWhereTheRecordStarts) {
  // The second record's notes span three physical lines (2 embedded newlines): it starts on line 3,
  // so the next record starts on line 6; a blank line follows, so the last record is on line 8.
  const std::string text = std::string(kSharedHeader) + "\n" + good_row("r2") +
                           row({{"id", "r3"}, {"kind", "gpu"}, {"notes", "\"line one\nline two\nline three\""}}) +
                           row({{"id", "r6"}, {"kind", "gpu"}, {"die_area_mm2", "abc"}}) + "\n" + good_row("r8");
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"r2", "r3", "r8"}));
  EXPECT_EQ(rows_of(c), (std::vector<std::size_t>{2, 3, 8}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].row, 6u);
  EXPECT_EQ(c.errors[0].column, "die_area_mm2");
}

TEST(CatalogCsv, CrLfLineEndingsAndBomAreAccepted) {
  std::string text = "\xEF\xBB\xBF" + std::string(kSharedHeader) + "\r\n";
  std::string r = good_row("crlf");
  r.pop_back();
  text += r + "\r\n";
  const Catalog c = parse_ok(text);
  ASSERT_TRUE(c.errors.empty()) << c.errors.front().to_string();
  ASSERT_EQ(ids(c), (std::vector<std::string>{"crlf"}));
  EXPECT_EQ(c.rows[0].item.die_area_mm2, 200.0);
  // source_urls is the last column: the CR must not end up in any value, and the last numeric
  // column before it still parses.
  EXPECT_EQ(c.rows[0].item.datacenter, Tri::kTrue);
}

TEST(CatalogCsv, ColumnsInAnyOrderAndExtraColumnsTolerated) {
  const std::string text =
      "die_area_mm2,colour,dense_tops_int8,id,kind\n"
      "826,red,624,x1,gpu\n";
  const Catalog c = parse_ok(text);
  ASSERT_TRUE(c.errors.empty()) << c.errors.front().to_string();
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].item.id, "x1");
  EXPECT_EQ(c.rows[0].item.die_area_mm2, 826.0);
  ASSERT_EQ(c.rows[0].item.units.size(), 1u);
  EXPECT_EQ(c.rows[0].item.units[0].dense_rate[prec("int8")], 624.0);
}

TEST(CatalogCsv, ReadsTheSharedCatalog) {
  auto text = read_file(test::shared_data("accelerators.csv"));
  ASSERT_TRUE(text.is_ok()) << text.message();
  const Catalog c = parse_ok(text.value());
  // accelerators.README.md: 80 rows, 40 GPUs + 23 ASICs (ICs) and 17 HBM rows.
  EXPECT_TRUE(c.errors.empty()) << (c.errors.empty() ? "" : c.errors.front().to_string());
  ASSERT_EQ(c.rows.size(), 80u);
  std::size_t ic = 0, hbm = 0;
  for (const auto& r : c.rows) (r.item.kind == ItemKind::kHbm ? hbm : ic)++;
  EXPECT_EQ(ic, 63u);
  EXPECT_EQ(hbm, 17u);
  EXPECT_EQ(c.rows.front().item.id, "nvidia-a100-sxm4-80gb");
  EXPECT_EQ(c.rows.front().row, 2u);
  EXPECT_EQ(c.rows.front().item.interconnect_bw_gbs, 600.0);
}

// ---------------------------------------------------------------------------------------------
// Row errors: one bad record between two good ones. The bad one is reported on its line (3) with
// its column; the good ones (lines 2 and 4) are still read.

struct BadRow {
  const char* name;
  std::string line;         // the record on line 3
  std::string column;       // expected RowError::column
  std::string problem_has;  // expected substring of RowError::problem
};

void PrintTo(const BadRow& b, std::ostream* os) { *os << b.name; }

class CatalogCsvBadRow : public ::testing::TestWithParam<BadRow> {};

TEST_P(CatalogCsvBadRow, ReportedWithRowAndColumnOthersStillParse) {
  const BadRow& b = GetParam();
  const std::string text = std::string(kSharedHeader) + "\n" + good_row("good-2") + b.line + good_row("good-4");
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"good-2", "good-4"}));
  EXPECT_EQ(rows_of(c), (std::vector<std::size_t>{2, 4}));
  ASSERT_EQ(c.errors.size(), 1u);
  const RowError& e = c.errors[0];
  EXPECT_EQ(e.row, 3u);
  EXPECT_EQ(e.column, b.column);
  EXPECT_NE(e.problem.find(b.problem_has), std::string::npos) << "problem: " << e.problem;
  // The rendered form of the interface contract.
  const std::string prefix = b.column.empty() ? "row 3: " : "row 3, column " + b.column + ": ";
  EXPECT_EQ(e.to_string(), prefix + e.problem);
}

std::string with(std::map<std::string, std::string> cells) {
  cells.emplace("id", "bad-3");
  cells.emplace("kind", "gpu");
  return row(cells);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CatalogCsvBadRow,
    ::testing::Values(
        BadRow{"missing_id", row({{"id", ""}, {"kind", "gpu"}, {"dense_tops_int8", "100"}}), "id", "id"},
        BadRow{"blank_id", row({{"id", "   "}, {"kind", "gpu"}}), "id", "id"},
        BadRow{"non_numeric_abc", with({{"die_area_mm2", "abc"}}), "die_area_mm2", "'abc' is not a number"},
        BadRow{"thousands_separator", with({{"memory_bw_gbs", "\"1,935\""}}), "memory_bw_gbs",
               "'1,935' is not a number"},
        BadRow{"number_with_unit", with({{"memory_gb", "80 GB"}}), "memory_gb", "'80 GB' is not a number"},
        BadRow{"non_numeric_rate", with({{"dense_tflops_fp16_bf16", "n/a"}}), "dense_tflops_fp16_bf16",
               "'n/a' is not a number"},
        BadRow{"negative_die_area", with({{"die_area_mm2", "-5"}}), "die_area_mm2", "negative"},
        BadRow{"negative_bandwidth", with({{"interconnect_bw_gbs", "-600"}}), "interconnect_bw_gbs", "negative"},
        // The column is the catalog's column name, as in every other row error.
        BadRow{"negative_rate", with({{"dense_tops_int8", "-624"}}), "dense_tops_int8", "negative"},
        BadRow{"zero_die_area", with({{"die_area_mm2", "0"}}), "die_area_mm2", "greater than 0"},
        BadRow{"nan", with({{"die_area_mm2", "nan"}}), "die_area_mm2", "'nan' is not a number"},
        BadRow{"NaN_rate", with({{"dense_tops_int8", "NaN"}}), "dense_tops_int8", "not a number"},
        BadRow{"inf", with({{"memory_bw_gbs", "inf"}}), "memory_bw_gbs", "'inf' is not a number"},
        BadRow{"overflow", with({{"memory_bw_gbs", "1e999"}}), "memory_bw_gbs", "not a number"},
        BadRow{"absurd_die_area", with({{"die_area_mm2", "1e9"}}), "die_area_mm2", "implausibly large"},
        BadRow{"absurd_rate", with({{"dense_tops_int8", "5e7"}}), "dense_tops_int8", "implausibly large"},
        BadRow{"fractional_hbm_stacks", with({{"hbm_stacks", "2.5"}}), "hbm_stacks", "whole number"},
        BadRow{"release_year_out_of_range", with({{"release_year", "1800"}}), "release_year", "between 1950 and 2100"},
        BadRow{"unknown_kind", row({{"id", "bad-3"}, {"kind", "fpga"}}), "kind", "'fpga' is not an item kind"},
        BadRow{"bad_datacenter", with({{"datacenter", "maybe"}}), "datacenter", "'maybe' must be yes, no or unknown"},
        BadRow{"too_few_fields", "bad-3,Acme,X,gpu\n", "", "has 4 fields, the header has 26"},
        BadRow{"too_many_fields",
               with({{"source_urls", "u"}}).substr(0, with({{"source_urls", "u"}}).size() - 1) + ",extra\n", "",
               "has 27 fields, the header has 26"},
        BadRow{"malformed_quotes", with({{"name", "\"A100\"x"}}), "", "malformed CSV"},
        BadRow{"computer_without_contained_ic", row({{"id", "bad-3"}, {"kind", "server"}}), "contains_id",
               "must name the IC"}),
    [](const ::testing::TestParamInfo<BadRow>& p) { return std::string(p.param.name); });

TEST(CatalogCsv, DuplicateIdReportedOnTheSecondOccurrence) {
  const std::string text = std::string(kSharedHeader) + "\n" + good_row("dup") + good_row("other") + good_row("dup");
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"dup", "other"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].row, 4u);
  EXPECT_EQ(c.errors[0].column, "id");
  EXPECT_NE(c.errors[0].problem.find("'dup'"), std::string::npos) << c.errors[0].problem;
  EXPECT_NE(c.errors[0].problem.find("row 2"), std::string::npos) << c.errors[0].problem;
}

TEST(CatalogCsv, SeveralBadRowsAllReportedInRowOrder) {
  const std::string text = std::string(kSharedHeader) + "\n" + good_row("g2") + with({{"die_area_mm2", "abc"}}) +
                           good_row("g4") + "short,row\n" +
                           row({{"id", "x6"}, {"kind", "gpu"}, {"datacenter", "perhaps"}}) + good_row("g7");
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"g2", "g4", "g7"}));
  ASSERT_EQ(c.errors.size(), 3u);
  EXPECT_EQ(c.errors[0].row, 3u);
  EXPECT_EQ(c.errors[0].column, "die_area_mm2");
  EXPECT_EQ(c.errors[1].row, 5u);
  EXPECT_EQ(c.errors[1].column, "");
  EXPECT_EQ(c.errors[2].row, 6u);
  EXPECT_EQ(c.errors[2].column, "datacenter");
}

TEST(CatalogCsv, UnterminatedQuoteAtEndIsARowError) {
  const std::string text = std::string(kSharedHeader) + "\n" + good_row("g2") + with({{"notes", "\"never closed"}});
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"g2"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].row, 3u);
  EXPECT_EQ(c.errors[0].column, "");
  EXPECT_NE(c.errors[0].problem.find("malformed CSV"), std::string::npos) << c.errors[0].problem;
}

// Computers name their IC through contains_id; these columns are not in the shared layout.
constexpr const char* kComputerHeader = "id,kind,datacenter,dense_tops_int8,die_area_mm2,contains_id,contains_count\n";

TEST(CatalogCsv, ComputerLinksToItsIcEvenWhenTheIcComesLater) {
  const std::string text = std::string(kComputerHeader) +
                           "server-8,computer,,,,chip,8\n"  // row 2
                           "server-1,server,,,,chip,\n"     // row 3: count defaults to 1
                           "chip,gpu,yes,624,826,,\n";      // row 4
  const Catalog c = parse_ok(text);
  ASSERT_TRUE(c.errors.empty()) << c.errors.front().to_string();
  ASSERT_EQ(ids(c), (std::vector<std::string>{"server-8", "server-1", "chip"}));
  const auto& s8 = c.rows[0].item;
  EXPECT_EQ(s8.kind, ItemKind::kComputer);
  EXPECT_EQ(s8.contained_id, "chip");
  EXPECT_EQ(s8.contained_count, 8);
  ASSERT_NE(s8.contained_ic, nullptr);
  EXPECT_EQ(s8.contained_ic->id, "chip");
  EXPECT_EQ(s8.contained_ic->die_area_mm2, 826.0);
  EXPECT_EQ(c.rows[1].item.contained_count, 1);
  ASSERT_NE(c.rows[1].item.contained_ic, nullptr);
}

TEST(CatalogCsv, ComputerWithUnknownContainsIdIsARowError) {
  const std::string text = std::string(kComputerHeader) +
                           "chip,gpu,yes,624,826,,\n"        // row 2
                           "server,computer,,,,nope,4\n"     // row 3
                           "server-ok,computer,,,,chip,2\n"  // row 4
                           "bad,gpu,yes,abc,,,\n";           // row 5
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"chip", "server-ok"}));
  ASSERT_EQ(c.errors.size(), 2u);
  // Errors come in row order although the link check runs after the row checks.
  EXPECT_EQ(c.errors[0].row, 3u);
  EXPECT_EQ(c.errors[0].column, "contains_id");
  EXPECT_NE(c.errors[0].problem.find("'nope'"), std::string::npos) << c.errors[0].problem;
  EXPECT_EQ(c.errors[1].row, 5u);
  EXPECT_EQ(c.errors[1].column, "dense_tops_int8");
}

TEST(CatalogCsv, ComputerContainingAnHbmRowIsARowError) {
  const std::string text = "id,kind,contains_id\nstack,hbm_stack,\nbox,computer,stack\n";
  const Catalog c = parse_ok(text);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"stack"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].row, 3u);
  EXPECT_EQ(c.errors[0].column, "contains_id");
}

TEST(CatalogCsv, DominantFunctionMemoryMakesAnHbmItemWhateverTheColumnOrder) {
  // Technical Note to 3A090.c: a co-packaged IC whose dominant function is memory is HBM.
  const Catalog after = parse_ok("id,kind,dominant_function\nm1,gpu,memory\np1,gpu,processing\n");
  ASSERT_EQ(after.rows.size(), 2u);
  EXPECT_EQ(after.rows[0].item.kind, ItemKind::kHbm);
  EXPECT_EQ(after.rows[1].item.kind, ItemKind::kIc);
  const Catalog before = parse_ok("id,dominant_function,kind\nm1,memory,gpu\n");
  ASSERT_EQ(before.rows.size(), 1u);
  EXPECT_EQ(before.rows[0].item.kind, ItemKind::kHbm);
}

// ---------------------------------------------------------------------------------------------
// Whole-file refusal

TEST(CatalogCsv, EmptyFileIsRefused) {
  auto r = parse_catalog_csv("");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("empty"), std::string::npos) << r.message();
  auto blank = parse_catalog_csv("\n\n\r\n");
  ASSERT_FALSE(blank.is_ok());
  EXPECT_NE(blank.message().find("empty"), std::string::npos) << blank.message();
}

TEST(CatalogCsv, NoIdColumnIsRefused) {
  auto r = parse_catalog_csv("name,kind,die_area_mm2\nA100,gpu,826\n");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("'id'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("row 1"), std::string::npos) << r.message();
}

TEST(CatalogCsv, RateColumnWithUnknownPrecisionIsRefused) {
  std::string header = kSharedHeader;
  header.replace(header.find("dense_tflops_fp8"), std::string("dense_tflops_fp8").size(), "dense_tflops_fp12");
  auto r = parse_catalog_csv(header + "\n" + good_row("x"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("dense_tflops_fp12"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("unknown precision 'fp12'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("row 1"), std::string::npos) << r.message();
}

TEST(CatalogCsv, MalformedHeaderIsRefused) {
  auto r = parse_catalog_csv("id,\"kind\nx,gpu\n");
  EXPECT_FALSE(r.is_ok());
}

TEST(CatalogCsv, HeaderOnlyGivesAnEmptyCatalog) {
  const Catalog c = parse_ok(std::string(kSharedHeader) + "\n");
  EXPECT_TRUE(c.rows.empty());
  EXPECT_TRUE(c.errors.empty());
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

TEST(CatalogJsonl, ParsesGoodLinesWithLineNumbers) {
  const std::string text =
      R"({"id":"a","kind":"gpu","datacenter":true,"dense_tops_int8":624,"die_area_mm2":826,"interconnect_bw_gbs":400})"
      "\n\n"
      R"({"id":"b","kind":"hbm_stack","memory_bw_gbs":1229,"hbm_stack_area_mm2":121,"datacenter":"unknown","notes":"x"})"
      "\n"
      R"({"id":"c","rates":{"fp16":100,"int8":300},"datacenter":false,"hbm_stacks":4,"release_year":2024,"vendor":null})";
  auto r = parse_catalog_jsonl(text);
  ASSERT_TRUE(r.is_ok()) << r.message();
  const Catalog& c = r.value();
  ASSERT_TRUE(c.errors.empty()) << c.errors.front().to_string();
  EXPECT_EQ(ids(c), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows_of(c), (std::vector<std::size_t>{1, 3, 4}));
  const auto& a = c.rows[0].item;
  EXPECT_EQ(a.kind, ItemKind::kIc);
  EXPECT_EQ(a.datacenter, Tri::kTrue);
  ASSERT_EQ(a.units.size(), 1u);
  EXPECT_EQ(a.units[0].dense_rate[prec("int8")], 624.0);
  EXPECT_EQ(a.die_area_mm2, 826.0);
  EXPECT_EQ(a.interconnect_bw_gbs, 400.0);
  const auto& b = c.rows[1].item;
  EXPECT_EQ(b.kind, ItemKind::kHbm);
  EXPECT_EQ(b.hbm_stack_area_mm2, 121.0);
  const auto& ci = c.rows[2].item;
  EXPECT_EQ(ci.kind, ItemKind::kIc);  // default kind
  EXPECT_EQ(ci.datacenter, Tri::kFalse);
  ASSERT_EQ(ci.units.size(), 1u);
  EXPECT_EQ(ci.units[0].dense_rate[prec("fp16")], 100.0);
  EXPECT_EQ(ci.units[0].dense_rate[prec("int8")], 300.0);
  EXPECT_EQ(ci.hbm_stacks, 4);
  EXPECT_EQ(ci.release_year, 2024);
}

struct BadJsonLine {
  const char* name;
  std::string line;  // line 2 of a three-line file
  std::string field;
  std::string problem_has;
};

void PrintTo(const BadJsonLine& b, std::ostream* os) { *os << b.name; }

class CatalogJsonlBadLine : public ::testing::TestWithParam<BadJsonLine> {};

TEST_P(CatalogJsonlBadLine, ReportedWithLineAndFieldOthersStillParse) {
  const BadJsonLine& b = GetParam();
  const std::string text = R"({"id":"g1","dense_tops_int8":100})"
                           "\n" +
                           b.line + "\n" + R"({"id":"g3","die_area_mm2":10})" + "\n";
  auto r = parse_catalog_jsonl(text);
  ASSERT_TRUE(r.is_ok()) << r.message();
  const Catalog& c = r.value();
  EXPECT_EQ(ids(c), (std::vector<std::string>{"g1", "g3"}));
  EXPECT_EQ(rows_of(c), (std::vector<std::size_t>{1, 3}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].row, 2u);
  // The offending field, or a part of it ("units.count" for "units", "rates.fp12" for "rates").
  const std::string& col = c.errors[0].column;
  EXPECT_TRUE(col == b.field || (!b.field.empty() && col.rfind(b.field + ".", 0) == 0))
      << "field: '" << col << "', expected '" << b.field << "' or a part of it";
  EXPECT_NE(c.errors[0].problem.find(b.problem_has), std::string::npos) << "problem: " << c.errors[0].problem;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CatalogJsonlBadLine,
    ::testing::Values(
        BadJsonLine{"invalid_json", R"({"id":"x", "kind":)", "", "not valid JSON"},
        BadJsonLine{"trailing_garbage", R"({"id":"x"} extra)", "", "not valid JSON"},
        BadJsonLine{"not_an_object", R"([1,2,3])", "", "object"},
        BadJsonLine{"unknown_field", R"({"id":"x","colour":"red"})", "colour", "unknown field"},
        BadJsonLine{"string_for_number", R"({"id":"x","die_area_mm2":"826"})", "die_area_mm2", "must be a number"},
        BadJsonLine{"string_for_rate", R"({"id":"x","dense_tops_int8":"624"})", "dense_tops_int8", "must be a number"},
        BadJsonLine{"string_for_rate_in_rates", R"({"id":"x","rates":{"int8":"624"}})", "rates", "must be a number"},
        BadJsonLine{"unknown_precision_in_rates", R"({"id":"x","rates":{"fp12":10}})", "rates",
                    "unknown precision 'fp12'"},
        BadJsonLine{"unknown_precision_column", R"({"id":"x","dense_tflops_fp12":10})", "dense_tflops_fp12",
                    "unknown precision 'fp12'"},
        BadJsonLine{"missing_id", R"({"kind":"gpu","dense_tops_int8":10})", "id", "missing id"},
        BadJsonLine{"unknown_kind", R"({"id":"x","kind":"fpga"})", "kind", "'fpga' is not an item kind"},
        BadJsonLine{"bad_datacenter", R"({"id":"x","datacenter":"maybe"})", "datacenter", "yes, no or unknown"},
        BadJsonLine{"array_for_number", R"({"id":"x","die_area_mm2":[826]})", "die_area_mm2", "wrong type"},
        BadJsonLine{"zero_die_area", R"({"id":"x","die_area_mm2":0})", "die_area_mm2", "greater than 0"},
        BadJsonLine{"absurd_die_area", R"({"id":"x","die_area_mm2":1e9})", "die_area_mm2", "implausibly large"},
        BadJsonLine{"negative_bandwidth", R"({"id":"x","memory_bw_gbs":-1})", "memory_bw_gbs", "negative"},
        BadJsonLine{"units_not_array", R"({"id":"x","units":{"count":2}})", "units", "array"},
        BadJsonLine{"unit_without_rates", R"({"id":"x","units":[{"count":2}]})", "units", "rates"},
        BadJsonLine{"unit_count_fraction", R"({"id":"x","units":[{"count":1.5,"rates":{"int8":1}}]})", "units",
                    "whole number"},
        BadJsonLine{"unit_unknown_field", R"({"id":"x","units":[{"n":2,"rates":{"int8":1}}]})", "units",
                    "unknown unit field 'n'"},
        // 2^32 + 1 does not fit an int: it must be refused, not wrapped to 1.
        BadJsonLine{"unit_count_overflow", R"({"id":"x","units":[{"count":4294967297,"rates":{"int8":1}}]})", "units",
                    "count"},
        BadJsonLine{"negative_rate_column", R"({"id":"x","dense_tops_int8":-1})", "dense_tops_int8", "negative"},
        BadJsonLine{"unit_count_zero", R"({"id":"x","units":[{"count":0,"rates":{"int8":1}}]})", "units.count",
                    "between 1"},
        BadJsonLine{"bad_inline_contains", R"({"id":"x","kind":"computer","contains":{"id":"c","die_area_mm2":"big"}})",
                    "contains.die_area_mm2", "must be a number"},
        BadJsonLine{"computer_unknown_ic", R"({"id":"x","kind":"computer","contains_id":"ghost"})", "contains_id",
                    "'ghost'"},
        BadJsonLine{"duplicate_id", R"({"id":"g1"})", "id", "duplicate id 'g1'"}),
    [](const ::testing::TestParamInfo<BadJsonLine>& p) { return std::string(p.param.name); });

TEST(CatalogJsonl, UnitsAreAggregatedIntoTpp) {
  // int8: 2 x 100 + 1 x 50 = 250 TOPS -> x 8 bits = 2000; fp16: 10 x 16 = 160. TPP = 2000 (int8).
  const std::string text =
      R"({"id":"multi","units":[{"count":2,"rates":{"int8":100}},{"count":1,"rates":{"int8":50,"fp16":10}}],"die_area_mm2":400})";
  auto r = parse_catalog_jsonl(text);
  ASSERT_TRUE(r.is_ok()) << r.message();
  ASSERT_TRUE(r->errors.empty()) << r->errors.front().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  const auto& item = r->rows[0].item;
  ASSERT_EQ(item.units.size(), 2u);
  EXPECT_EQ(item.units[0].count, 2);
  EXPECT_EQ(item.units[0].dense_rate[prec("int8")], 100.0);
  EXPECT_FALSE(item.units[0].dense_rate[prec("fp16")].has_value());
  EXPECT_EQ(item.units[1].count, 1);
  EXPECT_EQ(item.units[1].dense_rate[prec("int8")], 50.0);
  EXPECT_EQ(item.units[1].dense_rate[prec("fp16")], 10.0);

  auto rs = test::registry()->version("2023-11-17");
  ASSERT_NE(rs, nullptr);
  const auto m = classify::compute_metrics(item, rs->conventions);
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 2000.0);
  EXPECT_EQ(m.tpp_precision, prec("int8"));
  ASSERT_TRUE(m.pd.has_value());
  EXPECT_DOUBLE_EQ(*m.pd, 5.0);  // 2000 / 400
}

TEST(CatalogJsonl, InlineContainsGivesTheComputerItsIc) {
  const std::string text =
      R"({"id":"srv","kind":"computer","contains_count":8,)"
      R"("contains":{"id":"chip","kind":"gpu","dense_tops_int8":624,"die_area_mm2":826,"datacenter":"yes"}})";
  auto r = parse_catalog_jsonl(text);
  ASSERT_TRUE(r.is_ok()) << r.message();
  ASSERT_TRUE(r->errors.empty()) << r->errors.front().to_string();
  ASSERT_EQ(ids(r.value()), (std::vector<std::string>{"srv"}));
  const auto& s = r->rows[0].item;
  EXPECT_EQ(s.kind, ItemKind::kComputer);
  EXPECT_EQ(s.contained_count, 8);
  EXPECT_EQ(s.contained_id, "chip");
  ASSERT_NE(s.contained_ic, nullptr);
  EXPECT_EQ(s.contained_ic->kind, ItemKind::kIc);
  EXPECT_EQ(s.contained_ic->datacenter, Tri::kTrue);
  EXPECT_EQ(s.contained_ic->die_area_mm2, 826.0);
  ASSERT_EQ(s.contained_ic->units.size(), 1u);
  EXPECT_EQ(s.contained_ic->units[0].dense_rate[prec("int8")], 624.0);
}

TEST(CatalogJsonl, ComputerLinksToAnIcOnAnotherLine) {
  const std::string text = R"({"id":"box","kind":"server","contains_id":"chip"})"
                           "\n"
                           R"({"id":"chip","kind":"asic","dense_tops_int8":10})";
  auto r = parse_catalog_jsonl(text);
  ASSERT_TRUE(r.is_ok()) << r.message();
  ASSERT_TRUE(r->errors.empty()) << r->errors.front().to_string();
  ASSERT_EQ(r->rows.size(), 2u);
  ASSERT_NE(r->rows[0].item.contained_ic, nullptr);
  EXPECT_EQ(r->rows[0].item.contained_ic->id, "chip");
  EXPECT_EQ(r->rows[0].item.contained_count, 1);
}

TEST(CatalogJsonl, EmptyInputIsAnEmptyCatalog) {
  auto r = parse_catalog_jsonl("\n\n");
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_TRUE(r->rows.empty());
  EXPECT_TRUE(r->errors.empty());
}

// ---------------------------------------------------------------------------------------------
// item_from_json directly

TEST(CatalogItemFromJson, GoodItemClearsField) {
  std::string field = "stale";
  auto r = item_from_json(nlohmann::json::parse(R"({"id":"x","kind":"gpu","tpp_published":4992,"base_eccn":"5A992"})"),
                          field);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(field, "");
  EXPECT_EQ(r->tpp_declared, 4992.0);
  EXPECT_EQ(r->base_eccn, "5A992");
}

TEST(CatalogItemFromJson, NamesTheOffendingField) {
  std::string field;
  auto r = item_from_json(nlohmann::json::parse(R"({"id":"x","interconnect_bw_gbs":"600 GB/s"})"), field);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(field, "interconnect_bw_gbs");

  auto r2 = item_from_json(nlohmann::json::parse(R"({"id":"x","tpp_published":0})"), field);
  ASSERT_FALSE(r2.is_ok());
  EXPECT_EQ(field, "tpp_published");
  EXPECT_NE(r2.message().find("greater than 0"), std::string::npos) << r2.message();

  auto r3 = item_from_json(nlohmann::json::parse(R"("just a string")"), field);
  ASSERT_FALSE(r3.is_ok());
  EXPECT_EQ(field, "");
}

TEST(CatalogItemFromJson, DominantFunctionMemoryMakesAnHbmItem) {
  std::string field;
  auto r = item_from_json(nlohmann::json::parse(R"({"id":"x","kind":"gpu","dominant_function":"memory"})"), field);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->kind, ItemKind::kHbm);
  // The key order of a JSON object carries no meaning: "kind" sorting after "dominant_function"
  // must not undo it.
  auto plain = item_from_json(nlohmann::json::parse(R"({"id":"x","dominant_function":"memory"})"), field);
  ASSERT_TRUE(plain.is_ok()) << plain.message();
  EXPECT_EQ(plain->kind, ItemKind::kHbm);
  auto bad = item_from_json(nlohmann::json::parse(R"({"id":"x","dominant_function":"storage"})"), field);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(field, "dominant_function");
}

}  // namespace
}  // namespace chipgate::io
