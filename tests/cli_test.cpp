// Tests through the real chipgate binary (test::run_cli): the interface contract of issue 2.
// Every expected classification is worked out by hand from the rule files:
//   2022-10-07: 3A090.a = bit length x TOPS >= 4800 AND I/O >= 600 GB/s.
//   2023-11-17: 3A090.a = TPP >= 4800, or TPP >= 1600 and PD >= 5.92; 3A090.b (TPP 2400..4800 and
//               PD 1.6..5.92, or TPP >= 1600 and PD 3.2..5.92) unless 3A090.a; non-datacenter note.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace chipgate {
namespace {

using nlohmann::json;
using test::run_cli;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<json> json_lines(const std::string& s) {
  std::vector<json> out;
  for (const auto& line : lines_of(s)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(j);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

std::string today_utc() {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

// The header of ../shared/data/accelerators.csv.
constexpr const char* kHeader =
    "id,vendor,name,kind,release_year,datacenter,dense_tops_int8,dense_tflops_fp8,dense_tflops_fp16_bf16,"
    "dense_tflops_tf32,dense_tflops_fp32,dense_tflops_fp64,tpp_published,die_area_mm2,transistors_billion,"
    "memory_type,memory_gb,memory_bw_gbs,hbm_stacks,hbm_stack_area_mm2,interconnect_bw_gbs,tdp_w,process_node,"
    "dense_tflops_fp4,notes,source_urls\n";

// A row in the shared layout from the fields the rules read (the others empty).
std::string row(const std::string& id, const std::string& datacenter, const std::string& int8, const std::string& die,
                const std::string& io = "") {
  // id,vendor,name,kind,release_year,datacenter,int8,fp8,fp16,tf32,fp32,fp64,tpp,die,transistors,
  // memory_type,memory_gb,memory_bw,hbm_stacks,hbm_area,io,tdp,process,fp4,notes,urls
  return id + ",Acme," + id + " name,gpu,2024," + datacenter + "," + int8 + ",,,,,,," + die + ",,,,,,," + io +
         ",,,,\"a, note\",\n";
}

// dc-chip:  INT8 624 -> TPP 624 x 8 = 4992 >= 4800                       -> 3A090.a (2023-11-17 text)
// small:    INT8 100 -> TPP 800 < 1600, die 100, not datacenter          -> none
// undet:    INT8 250 -> TPP 2000, no die area, datacenter: a.2 needs PD,
//           b.2 needs PD -> undetermined, candidates 3A090.a/.b, missing die_area_mm2
std::string small_catalog() {
  return std::string(kHeader) + row("dc-chip", "yes", "624", "826", "600") + row("small", "no", "100", "100") +
         row("undet", "yes", "250", "");
}

std::string write_catalog(const std::string& content, const std::string& name = "catalog.csv") {
  const std::string path = test::temp_dir() + "/" + name;
  test::write_file(path, content);
  return path;
}

const json* step(const json& trace, const std::string& kind, const std::string& key = "",
                 const std::string& value = "") {
  for (const auto& s : trace)
    if (s.value("step", "") == kind && (key.empty() || s.value(key, "") == value)) return &s;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// classify --catalog ... --format jsonl: the contract's objects

// `chipgate --version` names the release, the build and every rule version and scenario the binary
// loads by default, so that a saved answer can be tied to the engine and the rules that gave it.
TEST(CliVersion, NamesReleaseBuildAndEveryBundledRuleVersion) {
  const auto r = run_cli("--version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(std::string("chipgate ") + CHIPGATE_VERSION + "\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nbuild: "), std::string::npos) << r.out;
  const auto reg = test::registry();
  EXPECT_NE(r.out.find("(" + std::to_string(reg->versions().size()) + " versions, " +
                       std::to_string(reg->scenarios().size()) + " scenarios)"),
            std::string::npos)
      << r.out;
  for (const auto& v : reg->versions())
    EXPECT_NE(r.out.find("  " + v->version.id + "  effective " + v->version.effective.to_string()), std::string::npos)
        << v->version.id;
  for (const auto& s : reg->scenarios()) EXPECT_NE(r.out.find("  scenario " + s.name), std::string::npos) << s.name;
  EXPECT_NE(r.out.find("Not legal advice"), std::string::npos);
  // Rules that do not load are reported, and the version is still printed.
  ::setenv("CHIPGATE_RULES", "/nonexistent/rules", 1);
  const auto broken = run_cli("--version");
  ::unsetenv("CHIPGATE_RULES");
  EXPECT_EQ(broken.exit_code, 0) << broken.err;
  EXPECT_EQ(broken.out.rfind(std::string("chipgate ") + CHIPGATE_VERSION, 0), 0u) << broken.out;
  EXPECT_NE(broken.out.find("rules: /nonexistent/rules: cannot be loaded: "), std::string::npos) << broken.out;
}

TEST(CliClassify, JsonlContractOnASmallCatalog) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 3u) << r.out;

  for (const auto& j : out) {
    for (const char* key : {"id", "date", "status", "eccn", "missing", "trace"})
      EXPECT_TRUE(j.contains(key)) << key << " in " << j.dump();
    EXPECT_EQ(j["date"], "2024-01-01");
    ASSERT_TRUE(j["eccn"].is_array());
    ASSERT_TRUE(j["missing"].is_array());
    ASSERT_TRUE(j["trace"].is_array());
    ASSERT_FALSE(j["trace"].empty());
    // The trace starts with the rule version in force on 2024-01-01 and ends with the conclusion.
    EXPECT_EQ(j["trace"].front().value("step", ""), "rules");
    EXPECT_EQ(j["trace"].front().value("version", ""), "2023-11-17");
    EXPECT_EQ(j["trace"].back().value("step", ""), "conclusion");
    EXPECT_EQ(j["trace"].back().value("status", ""), j["status"]);
    // eccn is empty unless controlled.
    if (j["status"] != "controlled") {
      EXPECT_TRUE(j["eccn"].empty()) << j.dump();
    }
  }

  const json& a = out[0];
  EXPECT_EQ(a["id"], "dc-chip");
  EXPECT_EQ(a["status"], "controlled");
  EXPECT_EQ(a["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(a["missing"], json::array());
  const json* tpp = step(a["trace"], "metric", "name", "tpp");
  ASSERT_NE(tpp, nullptr);
  EXPECT_DOUBLE_EQ((*tpp)["value"].get<double>(), 4992.0);
  const json* pd = step(a["trace"], "metric", "name", "pd");
  ASSERT_NE(pd, nullptr);
  EXPECT_NEAR((*pd)["value"].get<double>(), 4992.0 / 826.0, 1e-9);  // 6.0436 >= 5.92
  const json* entry_a = step(a["trace"], "entry", "entry", "3A090.a");
  ASSERT_NE(entry_a, nullptr);
  EXPECT_EQ((*entry_a)["result"], "applies");

  const json& s = out[1];
  EXPECT_EQ(s["id"], "small");
  EXPECT_EQ(s["status"], "not_controlled");
  EXPECT_EQ(s["eccn"], json::array());
  EXPECT_EQ(s["missing"], json::array());

  const json& u = out[2];
  EXPECT_EQ(u["id"], "undet");
  EXPECT_EQ(u["status"], "undetermined");
  EXPECT_EQ(u["eccn"], json::array());
  EXPECT_EQ(u["missing"], json::array({"die_area_mm2"}));
  ASSERT_TRUE(u.contains("candidates"));
  EXPECT_EQ(u["candidates"], json::array({"3A090.a", "3A090.b"}));
}

TEST(CliClassify, JsonLinesCatalogGivesTheSameAnswers) {
  const auto path =
      write_catalog(R"({"id":"dc-chip","kind":"gpu","datacenter":"yes","dense_tops_int8":624,"die_area_mm2":826})"
                    "\n"
                    R"({"id":"small","kind":"gpu","datacenter":false,"rates":{"int8":100},"die_area_mm2":100})"
                    "\n",
                    "catalog.jsonl");
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["id"], "dc-chip");
  EXPECT_EQ(out[0]["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(out[1]["id"], "small");
  EXPECT_EQ(out[1]["status"], "not_controlled");
}

TEST(CliClassify, BadRowIsReportedOthersStillClassifiedExit1) {
  const std::string csv = std::string(kHeader) + row("good-2", "yes", "624", "826") +
                          row("bad-3", "yes", "624", "abc") + row("good-4", "no", "100", "100");
  const auto path = write_catalog(csv);
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format jsonl");
  EXPECT_EQ(r.exit_code, 1);
  const auto err_lines = lines_of(r.err);
  ASSERT_EQ(err_lines.size(), 1u) << r.err;
  EXPECT_EQ(err_lines[0].rfind("row 3, column die_area_mm2: ", 0), 0u) << err_lines[0];
  EXPECT_NE(err_lines[0].find("abc"), std::string::npos) << err_lines[0];
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  EXPECT_EQ(out[0]["id"], "good-2");
  EXPECT_EQ(out[0]["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(out[1]["id"], "good-4");
  EXPECT_EQ(out[1]["status"], "not_controlled");
}

TEST(CliClassify, SeveralBadRowsEachOnItsOwnStderrLine) {
  const std::string csv = std::string(kHeader) + row("a", "maybe", "1", "1") + row("b", "yes", "-5", "1") +
                          "c,too,short\n" + row("d", "yes", "1", "1");
  const auto path = write_catalog(csv);
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format jsonl");
  EXPECT_EQ(r.exit_code, 1);
  const auto err_lines = lines_of(r.err);
  ASSERT_EQ(err_lines.size(), 3u) << r.err;
  EXPECT_EQ(err_lines[0].rfind("row 2, column datacenter: ", 0), 0u) << err_lines[0];
  EXPECT_EQ(err_lines[1].rfind("row 3, column dense_tops_int8: ", 0), 0u) << err_lines[1];
  EXPECT_EQ(err_lines[2].rfind("row 4", 0), 0u) << err_lines[2];
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], "d");
}

TEST(CliClassify, CatalogThatIsNotACatalogIsFatal) {
  const auto no_id = write_catalog("name,kind\nA100,gpu\n");
  const auto r = run_cli("classify --catalog " + no_id + " --date 2024-01-01 --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("id"), std::string::npos) << r.err;

  const auto missing = run_cli("classify --catalog /nonexistent/dir/x.csv --format jsonl");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/dir/x.csv"), std::string::npos) << missing.err;
}

TEST(CliClassify, UnknownScenarioIsFatalAndNamed) {
  const auto path = write_catalog(small_catalog());
  const auto r =
      run_cli("classify --catalog " + path + " --date 2024-01-01 --scenario no-such-scenario --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no-such-scenario"), std::string::npos) << r.err;
}

TEST(CliClassify, KnownScenarioChangesTheAnswer) {
  // tpp-threshold-raised: 3A090.a needs TPP >= 9600, no PD prong, no 3A090.b: 4992 is not enough.
  const auto path = write_catalog(small_catalog());
  const auto r =
      run_cli("classify --catalog " + path + " --date 2024-01-01 --scenario tpp-threshold-raised --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]["id"], "dc-chip");
  EXPECT_EQ(out[0]["status"], "not_controlled");
  EXPECT_EQ(out[0]["eccn"], json::array());
  // undet: TPP 2000 < 9600 and no PD prong left: decided without the die area.
  EXPECT_EQ(out[2]["status"], "not_controlled");
  EXPECT_EQ(out[2]["missing"], json::array());
}

TEST(CliClassify, BadDateIsFatal) {
  const auto path = write_catalog(small_catalog());
  for (const char* d : {"2023-02-30", "2024-13-01", "yesterday", "2024/01/01"}) {
    const auto r = run_cli("classify --catalog " + path + " --date " + d + " --format jsonl");
    EXPECT_EQ(r.exit_code, 2) << d;
    EXPECT_EQ(r.out, "") << d;
    EXPECT_FALSE(r.err.empty()) << d;
  }
  const auto r = run_cli("classify --catalog " + path + " --compare-dates 2022-10-07 2023-02-29 --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliClassify, DateBeforeTheFirstVersionIsNotControlled) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --date 2022-10-06 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& j : out) {
    EXPECT_EQ(j["status"], "not_controlled") << j["id"];
    EXPECT_EQ(j["eccn"], json::array());
    EXPECT_FALSE(j["trace"].empty());
  }
}

// ---------------------------------------------------------------------------------------------
// --compare-dates

// A800-like: I/O 400 GB/s < 600, so the 2022 text does not reach it; TPP 4992 >= 4800 from 2023-11-17.
void expect_a800_change(const json& j, const std::string& id) {
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["changed"], true);
  ASSERT_TRUE(j["dates"].is_array());
  ASSERT_EQ(j["dates"].size(), 2u);
  EXPECT_EQ(j["dates"][0]["date"], "2022-10-07");
  EXPECT_EQ(j["dates"][0]["status"], "not_controlled");
  EXPECT_EQ(j["dates"][0]["eccn"], json::array());
  EXPECT_EQ(j["dates"][0]["trace"].front().value("version", ""), "2022-10-07");
  EXPECT_EQ(j["dates"][1]["date"], "2023-11-17");
  EXPECT_EQ(j["dates"][1]["status"], "controlled");
  EXPECT_EQ(j["dates"][1]["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(j["dates"][1]["trace"].front().value("version", ""), "2023-11-17");
}

TEST(CliCompareDates, A800LikeItemChangesBetween2022And2023) {
  const std::string csv = std::string(kHeader) + row("a800-like", "yes", "624", "826", "400") +
                          row("a100-like", "yes", "624", "826", "600");
  const auto path = write_catalog(csv);
  const auto r = run_cli("classify --catalog " + path + " --compare-dates 2022-10-07 2023-11-17 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 2u);
  expect_a800_change(out[0], "a800-like");
  // A100-like: I/O 600 >= 600 and 4992 >= 4800 in 2022; TPP 4992 in 2023: 3A090.a on both.
  EXPECT_EQ(out[1]["id"], "a100-like");
  EXPECT_EQ(out[1]["changed"], false);
  EXPECT_EQ(out[1]["dates"][0]["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(out[1]["dates"][1]["eccn"], json::array({"3A090.a"}));
}

TEST(CliCompareDates, SingleItemByFlags) {
  const auto r = run_cli(
      "classify --id a800-flags --kind gpu --tops-int8 624 --die-area 826 --interconnect-bw 400 --datacenter yes "
      "--compare-dates 2022-10-07 2023-11-17 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  expect_a800_change(out[0], "a800-flags");
}

TEST(CliCompareDates, TableMarksTheChange) {
  const std::string csv = std::string(kHeader) + row("a800-like", "yes", "624", "826", "400");
  const auto path = write_catalog(csv);
  const auto r = run_cli("classify --catalog " + path + " --compare-dates 2022-10-07 2023-11-17 --format table");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CHANGED"), std::string::npos) << r.out;
  std::string line;
  for (const auto& l : lines_of(r.out))
    if (l.rfind("a800-like", 0) == 0) line = l;
  ASSERT_FALSE(line.empty()) << r.out;
  EXPECT_NE(line.find("3A090.a"), std::string::npos) << line;
  EXPECT_NE(line.find("yes"), std::string::npos) << line;
}

TEST(CliCompareDates, WholeSharedCatalogOnFourDates) {
  const auto r = run_cli("classify --catalog " + test::shared_data("accelerators.csv") +
                         " --compare-dates 2022-10-07 2023-11-17 2024-12-02 today --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 80u);
  const std::vector<std::string> dates = {"2022-10-07", "2023-11-17", "2024-12-02", today_utc()};
  std::set<std::string> ids;
  for (const auto& j : out) {
    ASSERT_TRUE(j.contains("id"));
    ids.insert(j["id"].get<std::string>());
    ASSERT_TRUE(j.contains("changed")) << j["id"];
    ASSERT_TRUE(j["dates"].is_array()) << j["id"];
    ASSERT_EQ(j["dates"].size(), 4u) << j["id"];
    for (std::size_t i = 0; i < 4; ++i) {
      const json& d = j["dates"][i];
      EXPECT_EQ(d["id"], j["id"]);
      EXPECT_EQ(d["date"], dates[i]) << j["id"];
      ASSERT_TRUE(d["trace"].is_array());
      EXPECT_FALSE(d["trace"].empty()) << j["id"] << " " << dates[i];
      const std::string status = d["status"].get<std::string>();
      EXPECT_TRUE(status == "controlled" || status == "not_controlled" || status == "undetermined") << status;
      if (status != "controlled") {
        EXPECT_TRUE(d["eccn"].empty()) << j["id"];
      }
      if (status == "controlled") {
        EXPECT_FALSE(d["eccn"].empty()) << j["id"];
      }
    }
  }
  EXPECT_EQ(ids.size(), 80u);

  auto find = [&](const std::string& id) -> const json* {
    for (const auto& j : out)
      if (j["id"] == id) return &j;
    return nullptr;
  };
  // nvidia-a800-sxm4-80gb: INT8 624, NVLink 400 GB/s, die 826, datacenter (shared CSV row 4).
  const json* a800 = find("nvidia-a800-sxm4-80gb");
  ASSERT_NE(a800, nullptr);
  EXPECT_EQ((*a800)["changed"], true);
  EXPECT_EQ((*a800)["dates"][0]["status"], "not_controlled");
  EXPECT_EQ((*a800)["dates"][1]["eccn"], json::array({"3A090.a"}));
  // nvidia-a100-sxm4-80gb: INT8 624, NVLink 600 GB/s: 3A090.a under every version.
  const json* a100 = find("nvidia-a100-sxm4-80gb");
  ASSERT_NE(a100, nullptr);
  EXPECT_EQ((*a100)["changed"], false);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*a100)["dates"][i]["eccn"], json::array({"3A090.a"})) << dates[i];
}

// ---------------------------------------------------------------------------------------------
// Other formats

TEST(CliClassify, CsvFormatHasHeaderAndOneRowPerItem) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ls = lines_of(r.out);
  ASSERT_EQ(ls.size(), 4u) << r.out;
  const auto header = split(ls[0], ',');
  ASSERT_GE(header.size(), 4u);
  EXPECT_EQ(header[0], "id");
  EXPECT_EQ(header[1], "date");
  EXPECT_EQ(header[2], "status");
  EXPECT_EQ(header[3], "eccn");
  const auto dc = split(ls[1], ',');
  ASSERT_EQ(dc.size(), header.size()) << ls[1];
  EXPECT_EQ(dc[0], "dc-chip");
  EXPECT_EQ(dc[1], "2024-01-01");
  EXPECT_EQ(dc[2], "controlled");
  EXPECT_EQ(dc[3], "3A090.a");
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == "tpp") {
      EXPECT_DOUBLE_EQ(std::stod(dc[i]), 4992.0);
    }
  const auto sm = split(ls[2], ',');
  EXPECT_EQ(sm[0], "small");
  EXPECT_EQ(sm[2], "not_controlled");
  EXPECT_EQ(sm[3], "");
  const auto un = split(ls[3], ',');
  EXPECT_EQ(un[0], "undet");
  EXPECT_EQ(un[2], "undetermined");
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == "missing") {
      EXPECT_EQ(un[i], "die_area_mm2");
    }
}

TEST(CliClassify, TableFormatShowsTheDisclaimer) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format table");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Not legal advice"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dc-chip"), std::string::npos);
  EXPECT_NE(r.out.find("3A090.a"), std::string::npos);
  // Default format is the table.
  const auto d = run_cli("classify --catalog " + path + " --date 2024-01-01");
  EXPECT_EQ(d.exit_code, 0);
  EXPECT_NE(d.out.find("Not legal advice"), std::string::npos);
}

TEST(CliClassify, JsonFormatIsOneArray) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --date 2024-01-01 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["id"], "dc-chip");
  EXPECT_EQ(j[0]["eccn"], json::array({"3A090.a"}));
}

TEST(CliClassify, UnknownFormatIsFatal) {
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path + " --format xml");
  EXPECT_EQ(r.exit_code, 2);
}

// ---------------------------------------------------------------------------------------------
// Single items

TEST(CliSingleItem, ByFlags) {
  // INT8 624 -> TPP 4992; die 826 -> PD 6.04; datacenter: 3A090.a on 2024-01-01.
  const auto r =
      run_cli("classify --kind gpu --tops-int8 624 --die-area 826 --datacenter yes --date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["status"], "controlled");
  EXPECT_EQ(out[0]["eccn"], json::array({"3A090.a"}));
  EXPECT_EQ(out[0]["date"], "2024-01-01");

  // FP16 150 -> TPP 2400; die 1000 -> PD 2.4: 3A090.b.1 (2400..4800, 1.6..5.92).
  const auto b = run_cli(
      "classify --id b-level --tflops-fp16 150 --die-area 1000 --datacenter yes --date 2024-01-01 --format jsonl");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto bo = json_lines(b.out);
  ASSERT_EQ(bo.size(), 1u);
  EXPECT_EQ(bo[0]["id"], "b-level");
  EXPECT_EQ(bo[0]["eccn"], json::array({"3A090.b"}));

  // Same chip not designed for datacenters: the note excludes it (TPP 2400 < 4800).
  const auto n = run_cli("classify --tflops-fp16 150 --die-area 1000 --datacenter no --date 2024-01-01 --format jsonl");
  ASSERT_EQ(n.exit_code, 0) << n.err;
  const auto no = json_lines(n.out);
  ASSERT_EQ(no.size(), 1u);
  EXPECT_EQ(no[0]["status"], "not_controlled");

  // Unknown datacenter flag leaves it open: missing names "datacenter".
  const auto q = run_cli("classify --tflops-fp16 150 --die-area 1000 --date 2024-01-01 --format jsonl");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto qo = json_lines(q.out);
  ASSERT_EQ(qo.size(), 1u);
  EXPECT_EQ(qo[0]["status"], "undetermined");
  EXPECT_EQ(qo[0]["missing"], json::array({"datacenter"}));
}

TEST(CliSingleItem, ByJson) {
  const auto r = run_cli(
      "classify --json "
      "'{\"id\":\"j1\",\"kind\":\"gpu\",\"rates\":{\"int8\":624},\"die_area_mm2\":826,\"datacenter\":true}' "
      "--date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], "j1");
  EXPECT_EQ(out[0]["status"], "controlled");
  EXPECT_EQ(out[0]["eccn"], json::array({"3A090.a"}));
}

TEST(CliSingleItem, ComputerWithInlineIc) {
  // A server with 8 ICs of TPP 4992: 4A090.a on 2024-01-01 (contains a 3A090.a IC).
  const auto r = run_cli(
      "classify --json '{\"id\":\"srv\",\"kind\":\"computer\",\"contains_count\":8,"
      "\"contains\":{\"id\":\"chip\",\"dense_tops_int8\":624,\"die_area_mm2\":826,\"datacenter\":\"yes\"}}' "
      "--date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["eccn"], json::array({"4A090.a"}));
}

TEST(CliSingleItem, ComputerFlagsNamingAnIcOfTheCatalog) {
  // 8 x dc-chip (TPP 4992, 3A090.a): 4A090.a. Only the single item is printed.
  const auto path = write_catalog(small_catalog());
  const auto r = run_cli("classify --catalog " + path +
                         " --id box --kind computer --contains dc-chip --contains-count 8 "
                         "--date 2024-01-01 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u) << r.out;
  EXPECT_EQ(out[0]["id"], "box");
  EXPECT_EQ(out[0]["eccn"], json::array({"4A090.a"}));
  // An IC the catalog does not have: fatal, naming the field.
  const auto bad = run_cli("classify --catalog " + path + " --kind computer --contains ghost --format jsonl");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("contains_id"), std::string::npos) << bad.err;
}

TEST(CliSingleItem, BadJsonFieldIsFatalAndNamed) {
  const auto r = run_cli("classify --json '{\"id\":\"j2\",\"die_area_mm2\":\"big\"}' --date 2024-01-01 --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("die_area_mm2"), std::string::npos) << r.err;

  const auto u = run_cli("classify --json '{\"id\":\"j3\",\"colour\":\"red\"}' --format jsonl");
  EXPECT_EQ(u.exit_code, 2);
  EXPECT_NE(u.err.find("colour"), std::string::npos) << u.err;

  const auto z = run_cli("classify --json '{\"id\":\"j4\",\"rates\":{\"fp12\":1}}' --format jsonl");
  EXPECT_EQ(z.exit_code, 2);
  EXPECT_NE(z.err.find("fp12"), std::string::npos) << z.err;

  const auto notjson = run_cli("classify --json '{not json' --format jsonl");
  EXPECT_EQ(notjson.exit_code, 2);
  EXPECT_NE(notjson.err.find("--json"), std::string::npos) << notjson.err;
}

TEST(CliSingleItem, BadFlagValueIsFatal) {
  const auto r = run_cli("classify --tops-int8 lots --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
  const auto k = run_cli("classify --kind fpga --tops-int8 1 --format jsonl");
  EXPECT_EQ(k.exit_code, 2);
  EXPECT_NE(k.err.find("kind"), std::string::npos) << k.err;
  const auto neg = run_cli("classify --die-area=-5 --tops-int8 1 --format jsonl");
  EXPECT_EQ(neg.exit_code, 2);
  EXPECT_NE(neg.err.find("die_area_mm2"), std::string::npos) << neg.err;
}

TEST(CliClassify, NothingToClassifyIsFatal) {
  const auto r = run_cli("classify --format jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

// ---------------------------------------------------------------------------------------------
// rules list | show | check

// The versions and scenarios of issue 2; the rules directory may hold more (later conforming
// changes), so the counts come from the directory itself.
const std::vector<std::string> kVersions = {"2022-10-07", "2023-01-17", "2023-11-17", "2024-04-04", "2024-12-02",
                                            "2025-01-13", "2025-01-16", "2026-01-15", "2026-07-10"};
const std::vector<std::string> kScenarios = {"hbm-rollback", "return-to-2022", "tpp-threshold-raised"};

std::size_t toml_files_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".toml") ++n;
  return n;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(CliRules, ListShowsEveryVersionAndScenario) {
  const std::size_t version_files = toml_files_in(test::rules_dir());
  const std::size_t scenario_files = toml_files_in(test::rules_dir() + "/scenarios");
  ASSERT_GE(version_files, kVersions.size());
  ASSERT_GE(scenario_files, kScenarios.size());

  const auto r = run_cli("rules list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& v : kVersions) EXPECT_NE(r.out.find(v), std::string::npos) << v;
  for (const auto& s : kScenarios) EXPECT_NE(r.out.find(s), std::string::npos) << s;

  const auto j = run_cli("rules list --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json parsed = json::parse(j.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << j.out;
  std::vector<std::string> versions, scenarios;
  for (const auto& v : parsed["versions"]) versions.push_back(v["id"]);
  for (const auto& s : parsed["scenarios"]) scenarios.push_back(s["name"]);
  EXPECT_EQ(versions.size(), version_files);
  EXPECT_EQ(scenarios.size(), scenario_files);
  for (const auto& v : kVersions) EXPECT_TRUE(contains(versions, v)) << v;
  for (const auto& s : kScenarios) EXPECT_TRUE(contains(scenarios, s)) << s;
  EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end())) << "oldest first";
  // Effective dates equal the ids; 2025-01-13 (AI diffusion) is in the text but not enforced.
  for (const auto& v : parsed["versions"]) {
    EXPECT_EQ(v["effective"], v["id"]);
    if (v["id"] == "2025-01-13") {
      EXPECT_EQ(v["enforced"], false);
    }
    if (v["id"] == "2024-12-02") {
      EXPECT_EQ(v["enforced"], true);
    }
  }
}

TEST(CliRules, ShowVersionAsJsonIncludes3A090c) {
  const auto r = run_cli("rules show 2024-12-02 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["version"], "2024-12-02");
  std::vector<std::string> entries;
  for (const auto& e : j["entries"]) entries.push_back(e["id"]);
  EXPECT_NE(std::find(entries.begin(), entries.end(), "3A090.c"), entries.end());
  EXPECT_NE(std::find(entries.begin(), entries.end(), "3A090.a"), entries.end());
  // 3A090.c (HBM) was added on 2024-12-02: the version before has no such entry.
  const auto before = run_cli("rules show 2024-04-04 --format json");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const json bj = json::parse(before.out, nullptr, false);
  ASSERT_FALSE(bj.is_discarded()) << before.out;
  EXPECT_EQ(bj["version"], "2024-04-04");
  for (const auto& e : bj["entries"]) EXPECT_NE(e["id"], "3A090.c");
}

TEST(CliRules, ShowADateResolvesToTheVersionInForce) {
  const auto r = run_cli("rules show 2023-06-01 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["version"], "2023-01-17");
  // Text format names it as well.
  const auto t = run_cli("rules show 2023-06-01");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("2023-01-17"), std::string::npos);
  // Before the first version nothing is in force: fatal.
  const auto none = run_cli("rules show 2021-01-01");
  EXPECT_EQ(none.exit_code, 2);
  const auto bogus = run_cli("rules show not-a-version");
  EXPECT_EQ(bogus.exit_code, 2);
}

TEST(CliRules, CheckPassesOnTheRepositoryRules) {
  const auto r = run_cli("rules check");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string counts = std::to_string(toml_files_in(test::rules_dir())) + " versions and " +
                             std::to_string(toml_files_in(test::rules_dir() + "/scenarios")) + " scenarios";
  EXPECT_NE(r.out.find(counts), std::string::npos) << r.out;
}

// A copy of the rules with an unknown metric name in the 3A090.c condition of 2024-12-02.toml.
struct BrokenRules {
  std::string dir;
  int line = 0;
};

BrokenRules broken_rules_copy() {
  namespace fs = std::filesystem;
  BrokenRules b;
  b.dir = test::temp_dir() + "/us-ear";
  fs::copy(test::rules_dir(), b.dir, fs::copy_options::recursive);
  const std::string file = b.dir + "/2024-12-02.toml";
  std::ifstream in(file);
  std::string out, line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string needle = "metric = \"mbd\"";
    if (auto pos = line.find(needle); pos != std::string::npos && b.line == 0) {
      line.replace(pos, needle.size(), "metric = \"memory_bandwidth_density\"");
      b.line = n;
    }
    out += line + "\n";
  }
  test::write_file(file, out);
  return b;
}

TEST(CliRules, CheckOnBrokenRulesNamesFileAndLine) {
  const BrokenRules b = broken_rules_copy();
  ASSERT_GT(b.line, 0) << "test bug: 2024-12-02.toml has no mbd condition";
  const std::string where = "2024-12-02.toml:" + std::to_string(b.line);

  const auto r = run_cli("rules check --rules " + b.dir);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("memory_bandwidth_density"), std::string::npos) << r.err;

  // The same with --rules before the subcommand.
  const auto r2 = run_cli("rules --rules " + b.dir + " check");
  EXPECT_EQ(r2.exit_code, 2) << r2.out;
  EXPECT_NE(r2.err.find(where), std::string::npos) << r2.err;

  // The unmodified copy checks clean (so the failure above is the edit, not the copy).
  const std::string good = test::temp_dir() + "/us-ear";
  std::filesystem::copy(test::rules_dir(), good, std::filesystem::copy_options::recursive);
  const auto ok = run_cli("rules --rules " + good + " check");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  // classify refuses to run on broken rules.
  const auto c = run_cli("classify --rules " + b.dir + " --tops-int8 1 --format jsonl");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find(where), std::string::npos) << c.err;
}

}  // namespace
}  // namespace chipgate
