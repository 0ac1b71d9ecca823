// `chipgate screen` and `chipgate lists` through the real binary: the interface contract,
// exit codes and error messages.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace chipgate {
namespace {

std::string fixture(const std::string& rel) { return test::source_path("tests/screen/data/" + rel); }

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  text.replace(pos, from.size(), to);
}

std::vector<nlohmann::json> lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

TEST(ScreenCli, BatchJsonlFollowsTheContract) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/parties.csv",
                   "id,name,country,address\n"
                   "c1,HUAWEI TECH CO,CN,Shenzhen\n"
                   "c2,Innocent Bakery Ltd,FR,\n"
                   "c3,GUANGZHOU HAIGE COMM GRP,CN,\n"
                   "c4,,,\n");
  auto r = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --batch " + dir +
                         "/parties.csv --format jsonl");
  // c4 has an empty name: reported (exit 1), still one object per party.
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("parties.csv:5: name: empty name"), std::string::npos) << r.err;
  auto v = lines(r.out);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0]["id"], "c1");
  EXPECT_EQ(v[0]["match"], true);
  const auto& hit = v[0]["hits"][0];
  for (const char* key : {"list", "entry_id", "name", "matched_name", "score", "ofac_score", "explanation"})
    EXPECT_TRUE(hit.contains(key)) << key;
  EXPECT_EQ(hit["list"], "bis-entity-list");
  EXPECT_EQ(hit["entry_id"], "bis-entity-list:1");
  EXPECT_EQ(hit["name"], "Huawei Technologies Co., Ltd.");
  EXPECT_GE(hit["score"].get<double>(), 0.8);
  EXPECT_LE(hit["score"].get<double>(), 1.0);
  EXPECT_EQ(v[1]["match"], false);
  EXPECT_TRUE(v[1]["hits"].empty());
  EXPECT_EQ(v[2]["hits"][0]["name"], "Guangzhou Haige Communication Group Co., Ltd.");
  EXPECT_EQ(v[3]["error"], "empty name");
}

TEST(ScreenCli, JsonLinesInputAndThreshold) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/p.jsonl", "{\"id\": \"a\", \"name\": \"Huawie Technologies\"}\n");
  // A typo (HUAWIE): scores 0.9 per typo pair, under a threshold of 0.99 -> no match, no hit shown.
  auto strict = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --batch " + dir +
                              "/p.jsonl --format jsonl --threshold 0.99");
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_EQ(lines(strict.out)[0]["match"], false);
  auto normal = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --batch " + dir +
                              "/p.jsonl --format jsonl");
  EXPECT_EQ(lines(normal.out)[0]["match"], true);
  // Exit codes: 0 done with no match, 3 done with a match (something needs attention).
  EXPECT_EQ(normal.exit_code, 3) << normal.err;
}

// --format csv: one row per hit (best first), or one row with empty hit columns, so every party is in
// the file; cells that a spreadsheet would run are neutralised; --compare writes id,score,ofac_score.
TEST(ScreenCli, CsvFormatHasEveryPartyAndEveryHit) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/p.csv", "id,name\nk1,Huawei Technologies\nk2,=cmd|x\nk3,Innocent Bakery\n");
  const auto r =
      test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --batch " + dir + "/p.csv --format csv");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> rows;
  for (std::string l; std::getline(in, l);) rows.push_back(l);
  ASSERT_GE(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[0], "id,query,match,rank,list,entry_id,name,matched_name,score,ofac_score,explanation,error");
  EXPECT_EQ(rows[1].rfind("k1,Huawei Technologies,true,1,", 0), 0u) << rows[1];
  EXPECT_NE(r.out.find("\nk2,'=cmd|x,false,,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nk3,Innocent Bakery,false,,"), std::string::npos) << r.out;
  test::write_file(dir + "/pairs.csv", "id,name1,name2\np1,Huawei Technologies,HUAWEI TECHNOLOGIES CO LTD\n");
  const auto c = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --compare " + dir +
                               "/pairs.csv --format csv");
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("id,score,ofac_score\np1,", 0), 0u) << c.out;
}

// A match exits 3 (done, something needs attention); no match exits 0.
TEST(ScreenCli, SingleNameReadableAndJson) {
  auto t = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " '华为技术有限公司' --country CN");
  ASSERT_EQ(t.exit_code, 3) << t.err;
  EXPECT_NE(t.out.find("MATCH"), std::string::npos);
  EXPECT_NE(t.out.find("Huawei Technologies Co., Ltd."), std::string::npos);
  EXPECT_NE(t.out.find("Not legal advice"), std::string::npos);
  auto j =
      test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " 'CHINA TECHNOLOGY CORP' --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["match"], false);
  // Without --lists nothing is screened against a silent default: the name is refused (exit 2) with
  // what to pass; the bundled demo list is used only when named.
  auto d = test::run_cli("screen 'Huawei Technologies' --format json");
  EXPECT_EQ(d.exit_code, 2) << d.out;
  EXPECT_TRUE(d.out.empty()) << d.out;
  EXPECT_NE(d.err.find("no restricted-party list given: pass --lists"), std::string::npos) << d.err;
  auto sample = test::run_cli("screen --lists " + test::source_path("data/sample-parties.json") +
                              " 'Huawei Technologies' --format json");
  ASSERT_EQ(sample.exit_code, 3) << sample.err;
  EXPECT_EQ(nlohmann::json::parse(sample.out)["match"], true);
}

TEST(ScreenCli, BadInputAndBadLists) {
  auto longname = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " " + std::string(10000, 'x'));
  EXPECT_EQ(longname.exit_code, 1);
  EXPECT_NE(longname.err.find("too long"), std::string::npos);
  auto notlist = test::run_cli("screen --lists " + fixture("bad/not_a_list.csv") + " Huawei");
  EXPECT_EQ(notlist.exit_code, 2);
  EXPECT_NE(notlist.err.find("not a list file"), std::string::npos) << notlist.err;
  auto both = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " Huawei --batch x.csv");
  EXPECT_EQ(both.exit_code, 2);
}

TEST(ScreenCli, ListsImportRefusesASharpDropUnlessForced) {
  const std::string dir = test::temp_dir();
  const std::string snaps = dir + "/snaps";
  auto first = test::run_cli("lists import " + fixture("mini_entity_list.json") + " " + fixture("ofac") +
                             " --snapshots " + snaps);
  // The fixtures carry bad rows (reported, exit 1), the rest is stored.
  ASSERT_EQ(first.exit_code, 1) << first.err;
  auto manifest = nlohmann::json::parse(first.out);
  EXPECT_EQ(manifest["counts"]["bis-entity-list"], 4);
  EXPECT_EQ(manifest["counts"]["ofac-sdn"], 3);
  // The next import lacks the Entity List fixture: bis-entity-list 4 -> 0. The default policy
  // (terms.toml) does not check sources under 20 rows, so use a terms file with a lower floor.
  std::string terms = test::source_path("data/screening/terms.toml");
  std::ifstream in(terms);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  replace_once(text, "min_previous_rows = 20", "min_previous_rows = 2");
  replace_once(text, "\"../../rules/reference/iso3166-1.toml\"",
               "\"" + test::source_path("rules/reference/iso3166-1.toml") + "\"");
  replace_once(text, "\"zh-aliases.toml\"", "\"" + test::source_path("data/screening/zh-aliases.toml") + "\"");
  test::write_file(dir + "/terms.toml", text);
  auto refused =
      test::run_cli("lists import " + fixture("ofac") + " --snapshots " + snaps + " --terms " + dir + "/terms.toml");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("bis-entity-list: 4 -> 0 rows (-100.0%)"), std::string::npos) << refused.err;
  auto shown = test::run_cli("lists show --snapshots " + snaps);
  ASSERT_EQ(shown.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(shown.out)["id"], manifest["id"]);  // still the first snapshot
  auto forced = test::run_cli("lists import " + fixture("ofac") + " --snapshots " + snaps + " --terms " + dir +
                              "/terms.toml --force");
  EXPECT_EQ(forced.exit_code, 1) << forced.err;  // stored; the fixture's bad rows still reported
  EXPECT_NE(nlohmann::json::parse(test::run_cli("lists show --snapshots " + snaps).out)["id"], manifest["id"]);
}

TEST(ScreenCli, RescreeningReportsOnlyChangedParties) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/customers.csv",
                   "id,name\n"
                   "k1,Huawei Technologies\n"
                   "k2,AERO-CARIBBEAN\n"
                   "k3,Innocent Bakery\n");
  // Before: only the Entity List fixture. After: plus the OFAC fixture, so k2 newly matches.
  auto r = test::run_cli("screen --batch " + dir + "/customers.csv --since " + fixture("mini_entity_list.json") +
                         " --lists " + fixture("mini_entity_list.json") + " --lists " + fixture("ofac"));
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto v = lines(r.out);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]["id"], "k2");
  EXPECT_EQ(v[0]["change"], "new match");
  EXPECT_EQ(v[0]["after"]["hits"][0]["name"], "AEROCARIBBEAN AIRLINES");
}

TEST(ScreenCli, PairwiseCompare) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/pairs.csv", "id,name1,name2\n1,ACME CO,ACME LTD\n2,Vladimir Putin,Putin Vladimir\n");
  auto r = test::run_cli("screen --lists " + fixture("mini_entity_list.json") + " --compare " + dir + "/pairs.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = lines(r.out);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0]["score"].get<double>(), 0.9804, 1e-4);  // 1/1.02, see the matcher test
  EXPECT_DOUBLE_EQ(v[1]["score"].get<double>(), 1.0);      // word order ignored
}

}  // namespace
}  // namespace chipgate
