// Ownership data over HTTP (POST /v1/ownership, `chipgate serve --ownership`), and the server without
// restricted-party lists, on both store backends (server_fixture.h). The Affiliates rule and the
// sample ownership data are those of tests/affiliates_test.cpp: on 2026-11-25 the rule is in force
// (its stay of 90 FR 50857 ended on 2026-11-09), and an entity 50% or more owned by Entity List parties,
// or by entities they own 50% or more of, needs the listed owner's licence.
#include <gtest/gtest.h>

#include <string>

#include "server_fixture.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h

class OwnershipTest : public ServerTest {};

// A 1-unit line of the sample catalog's RTX 4090 D (below every 3A090 line and not datacenter: no
// licence by classification) to Singapore (A:6), consignee `consignee`.
std::string line_to(const std::string& consignee) {
  return R"({"order_id":"PO-O","date":"2026-11-25","product_id":"nvidia-rtx-4090d","quantity":1,"value_usd":2000,)"
         R"("ship_to":"SG","consignee":")" +
         consignee + R"("})";
}

std::string key_id(const std::string& secret) {
  auto k = fx().db->lookup_key(secret);
  return k && k->key ? k->key->id : "";
}

std::int64_t ownership_imports() {
  auto recs = fx().db->audit_records(1, 1000000);
  std::int64_t n = 0;
  for (const auto& r : recs.value())
    if (r.kind == "ownership.import") ++n;
  return n;
}

TEST_P(OwnershipTest, PostedRowsAreRecordedAuditedAndUsedByTheNextDecision) {
  // Before: "Acme Sub Ltd" is on no list -> no licence.
  auto before = call("POST", "/v1/decide", fx().analyst, line_to("Acme Sub Ltd"));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.j()["license_required"], false);
  // Sugon (Entity List) holds 30% and Inspur Group Co., Ltd. 25%: 55% in the aggregate -> covered.
  const std::string rows =
      R"([{"party":"Acme Sub Ltd","owner":"Sugon","percent":30,"source":"register extract","as_of":"2026-10-01"},)"
      R"({"party":"Acme Sub Ltd","owner":"Inspur Group Co., Ltd.","percent":25,"source":"register extract"}])";
  auto r = call("POST", "/v1/ownership", fx().admin, rows);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j()["records"], 2);
  EXPECT_EQ(r.j()["total_records"], 2);
  EXPECT_EQ(ownership_imports(), 1);
  auto rec = fx().db->audit_records(r.j()["audit_id"].get<std::int64_t>(), 1);
  ASSERT_TRUE(rec && rec->size() == 1u);
  EXPECT_EQ(rec->front().actor, key_id(fx().admin));
  auto after = call("POST", "/v1/decide", fx().analyst, line_to("Acme Sub Ltd"));
  ASSERT_EQ(after.status, 200) << after.body;
  const json d = after.j();
  EXPECT_EQ(d["license_required"], true) << d.dump();
  ASSERT_EQ(d["affiliates"].size(), 1u);
  EXPECT_EQ(d["affiliates"][0]["restricted_share"], 55.0);
  EXPECT_EQ(d["screening"]["ownership_data"], r.j()["ownership_id"]);
  auto stored = fx().db->ownership();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 2u);
}

TEST_P(OwnershipTest, BadRowsAre400AndNothingIsRecorded) {
  auto r = call(
      "POST", "/v1/ownership", fx().admin,
      R"([{"party":"B","owner":"A","percent":60,"source":"x"},{"party":"C","owner":"A","percent":"60","source":"x"}])");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.j()["error"]["fields"][0]["field"], "[1].percent");
  r = call("POST", "/v1/ownership", fx().admin, R"({"party":"B","owner":"A","percent":101,"source":"x"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.j()["error"]["fields"][0]["field"], "percent");
  r = call("POST", "/v1/ownership", fx().admin, R"({"party":"B","owner":"A","percent":10})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.j()["error"]["fields"][0]["field"], "source");
  EXPECT_EQ(ownership_imports(), 0);
  // Shares checked with the stored rows: 70% stored + 40% more in B is 110%.
  ASSERT_EQ(call("POST", "/v1/ownership", fx().admin, R"({"party":"B","owner":"A","percent":70,"source":"x"})").status,
            201);
  r = call("POST", "/v1/ownership", fx().admin, R"({"party":"B","owner":"Z","percent":40,"source":"x"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("110%"), std::string::npos) << r.body;
  // The same pair again replaces the stored row: 70% -> 40%, then Z's 40% fits.
  ASSERT_EQ(call("POST", "/v1/ownership", fx().admin, R"({"party":"b","owner":"a","percent":40,"source":"y"})").status,
            201);
  EXPECT_EQ(call("POST", "/v1/ownership", fx().admin, R"({"party":"B","owner":"Z","percent":40,"source":"x"})").status,
            201);
  EXPECT_EQ(fx().db->ownership()->size(), 2u);
}

TEST_P(OwnershipTest, AdminOnly) {
  const std::string row = R"({"party":"B","owner":"A","percent":60,"source":"x"})";
  EXPECT_EQ(call("POST", "/v1/ownership", fx().analyst, row).status, 403);
  EXPECT_EQ(call("POST", "/v1/ownership", fx().viewer, row).status, 403);
  EXPECT_EQ(call("POST", "/v1/ownership", "", row).status, 401);
}

TEST_P(OwnershipTest, FileAtStartRecordedOnceAndUsed) {
  auto with_file = [](ServiceOptions& o) { o.ownership_file = test::source_path("data/sample-ownership.csv"); };
  {
    Fixture first(spec(), with_file);
    auto r = call_at(first.port, "POST", "/v1/decide", first.analyst, line_to("Example Chain Subsidiary Ltd"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.j()["license_required"], true) << r.body;
  }
  EXPECT_EQ(ownership_imports(), 1);
  Fixture second(spec(), with_file);  // the same file again: nothing new to record
  EXPECT_EQ(ownership_imports(), 1);
  EXPECT_EQ(fx().db->ownership()->size(), 13u);
  // A file with a bad row stops the server from starting, naming the row.
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/bad.csv", "party,owner,percent,source\nB,A,sixty,x\n");
  try {
    Fixture bad(spec(), [&](ServiceOptions& o) { o.ownership_file = dir + "/bad.csv"; });
    FAIL() << "started with a bad ownership file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("row 2, column percent"), std::string::npos) << e.what();
  }
}

TEST_P(OwnershipTest, WithoutListsNothingIsScreenedUntilImported) {
  Fixture bare(spec(), [](ServiceOptions& o) { o.lists.clear(); });
  auto d = call_at(bare.port, "POST", "/v1/decide", bare.analyst, line_to("Sugon"));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_TRUE(d.j()["license_required"].is_null()) << d.body;
  EXPECT_EQ(d.j()["screening"]["status"], "not_screened");
  auto s = call_at(bare.port, "POST", "/v1/screen", bare.analyst, R"({"id":"p1","name":"Sugon"})");
  EXPECT_EQ(s.status, 409) << s.body;
  EXPECT_EQ(s.j()["error"]["code"], "no_lists");
  auto lists = call_at(bare.port, "GET", "/v1/lists", bare.viewer);
  ASSERT_EQ(lists.status, 200);
  EXPECT_TRUE(lists.j()["current"]["snapshot_id"].is_null());
  auto imported = call_at(bare.port, "POST", "/v1/lists", bare.admin,
                          R"({"paths":[")" + test::source_path("data/sample-parties.json") + R"("]})");
  ASSERT_EQ(imported.status, 201) << imported.body;
  d = call_at(bare.port, "POST", "/v1/decide", bare.analyst, line_to("Sugon"));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.j()["license_required"], true) << d.body;
  EXPECT_EQ(d.j()["screening"]["status"], "screened");
}

INSTANTIATE_TEST_SUITE_P(Backends, OwnershipTest, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server
