// POST /v1/lists with the list files in the body ({"files": [{"name", "content"}], "force"}), on both
// backends (server_fixture.h): the real lists of ../shared/data/lists, formats detected as for paths
// (the same snapshot id), the larger body limit of this one route (admin keys only), bad content
// named by file and line with nothing recorded, and the sharp-drop check with "force".
#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "core/sha256.h"
#include "io/catalog.h"
#include "server_fixture.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h

class ListUploadTest : public ServerTest {};

// A shared list file's text ("" when unreadable: the tests then fail on its size).
std::string read_text(const std::string& path) {
  auto text = io::read_file(path);
  return text ? std::move(text).value() : std::string();
}

std::string upload_body(const std::vector<std::pair<std::string, std::string>>& files, bool force = false) {
  json body = {{"files", json::array()}};
  for (const auto& [name, content] : files) body["files"].push_back({{"name", name}, {"content", content}});
  if (force) body["force"] = true;
  return body.dump();
}

std::string key_id_of(const std::string& secret) {
  auto k = fx().db->lookup_key(secret);
  return k && k->key ? k->key->id : "";
}

bool screened_as_match(int port, const std::string& key, const std::string& name) {
  auto r = call_at(port, "POST", "/v1/screen", key, json{{"name", name}}.dump());
  return r.status == 200 && r.j()["match"] == true;
}

std::size_t snapshot_count() { return call("GET", "/v1/lists", fx().viewer).j()["snapshots"].size(); }

TEST_P(ListUploadTest, TheRealEntityListIsImportedFromTheBodyAsFromItsPath) {
  const std::string path = test::shared_data("lists/bis-and-others_nsfreg/bis_entity_list.json");
  const std::string content = read_text(path);
  // Larger than the default 1 MiB of the other routes, let alone the fixture's 64 KiB.
  ASSERT_GT(content.size(), std::size_t{1} << 20) << path;
  const json published = json::parse(content);
  const std::string body = upload_body({{"bis_entity_list.json", content}});

  // An Entity List entry that is not in the sample list the fixture starts with.
  const std::string party = "King Royal Technologies Co., Ltd.";
  ASSERT_FALSE(screened_as_match(fx().port, fx().analyst, party));

  // Only POST /v1/lists takes a body this large, and only from an admin: elsewhere it is 413, and a
  // non-admin gets the 401/403 a small body would get (audited), not a 413.
  auto decide = call("POST", "/v1/decide", fx().analyst, body);
  EXPECT_EQ(decide.status, 413) << decide.body.substr(0, 300);
  EXPECT_EQ(decide.j()["error"]["code"], "body_too_large");
  const auto audit_before = audit_count();
  auto analyst = call("POST", "/v1/lists", fx().analyst, body);
  EXPECT_EQ(analyst.status, 403) << analyst.body.substr(0, 300);
  EXPECT_EQ(call("POST", "/v1/lists", "", body).status, 401);
  auto denials = fx().db->audit_records(audit_before + 1, 1000000);
  ASSERT_TRUE(denials);
  ASSERT_EQ(denials->size(), 2u);
  EXPECT_EQ(denials->at(0).kind, "auth.denied");
  EXPECT_EQ(denials->at(1).kind, "auth.denied");

  auto r = call("POST", "/v1/lists", fx().admin, body);
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 500);
  const json snap = r.j();
  // Every entity of the published file has a name, so each is an entry of list "bis-entity-list".
  EXPECT_EQ(snap["source_counts"]["bis-entity-list"], published["entities"].size());
  EXPECT_EQ(snap["details"]["files"][0]["name"], "bis_entity_list.json");
  EXPECT_EQ(snap["details"]["files"][0]["bytes"], content.size());
  EXPECT_EQ(snap["details"]["files"][0]["sha256"], sha256_hex(content));
  EXPECT_EQ(snap["details"]["forced"], false);
  // Audited like the path form: list.import by the admin key, naming the file and its hash.
  auto recs = fx().db->audit_records(audit_before + 3, 1000000);
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ(recs->at(0).kind, "list.import");
  EXPECT_EQ(recs->at(0).actor, key_id_of(fx().admin));
  EXPECT_EQ(json::parse(recs->at(0).inputs)["details"]["files"][0]["sha256"], sha256_hex(content));

  // In use from now on.
  auto lists = call("GET", "/v1/lists", fx().viewer);
  ASSERT_EQ(lists.status, 200);
  EXPECT_EQ(lists.j()["current"]["snapshot_id"], snap["id"]);
  EXPECT_EQ(lists.j()["current"]["paths"], json::array({"upload:bis_entity_list.json"}));
  EXPECT_TRUE(screened_as_match(fx().port, fx().analyst, party));

  // The path form of the same file reads the same entries: the same content id.
  auto by_path = call("POST", "/v1/lists", fx().admin, json{{"paths", {path}}}.dump());
  ASSERT_EQ(by_path.status, 201) << by_path.body.substr(0, 500);
  EXPECT_EQ(by_path.j()["id"], snap["id"]);
}

TEST_P(ListUploadTest, OfacLegacyFilesAreDetectedByNameAndJoinedAsWithPaths) {
  // cons_prim.csv (12 columns, no header) and cons_alt.csv (5 columns, "aka" rows): the aliases of
  // cons_alt.csv join their primary entry by ent_num, so the pair differs from cons_prim.csv alone.
  const std::string dir = test::shared_data("lists/ofac_watchman-testdata");
  const std::string prim = read_text(dir + "/cons_prim.csv"), alt = read_text(dir + "/cons_alt.csv");
  ASSERT_FALSE(prim.empty());
  auto both = call("POST", "/v1/lists", fx().admin, upload_body({{"cons_prim.csv", prim}, {"cons_alt.csv", alt}}));
  ASSERT_EQ(both.status, 201) << both.body;
  EXPECT_TRUE(both.j()["source_counts"].contains("ofac-cons")) << both.body;
  auto by_path =
      call("POST", "/v1/lists", fx().admin, json{{"paths", {dir + "/cons_prim.csv", dir + "/cons_alt.csv"}}}.dump());
  ASSERT_EQ(by_path.status, 201) << by_path.body;
  EXPECT_EQ(by_path.j()["id"], both.j()["id"]);
  auto alone = call("POST", "/v1/lists", fx().admin, upload_body({{"cons_prim.csv", prim}}));
  ASSERT_EQ(alone.status, 201) << alone.body;
  EXPECT_EQ(alone.j()["source_counts"], both.j()["source_counts"]);  // the same entries...
  EXPECT_NE(alone.j()["id"], both.j()["id"]);                        // ...without the aliases
}

TEST_P(ListUploadTest, BadContentIsRefusedNamingFileAndLineAndNothingIsRecorded) {
  const std::string good = R"({"list_id":"test-list","entities":[{"name":"Zeta Quantum Widgets"}]})";
  // Line 4 holds the second comma of ",,": the JSON syntax error.
  const std::string broken =
      "{\n"
      "  \"list_id\": \"broken\",\n"
      "  \"entities\": [\n"
      "    {\"name\": \"A\"},,\n"
      "  ]\n"
      "}\n";
  const auto snapshots = snapshot_count();
  const auto audit_before = audit_count();
  auto r = call("POST", "/v1/lists", fx().admin, upload_body({{"good.json", good}, {"broken.json", broken}}));
  ASSERT_EQ(r.status, 400) << r.body;
  const json e = r.j()["error"];
  EXPECT_EQ(e["code"], "invalid_list");
  EXPECT_EQ(e["fields"][0]["field"], "files[1].content");
  EXPECT_EQ(e["fields"][0]["file"], "broken.json");
  EXPECT_EQ(e["fields"][0]["line"], 4) << r.body;
  EXPECT_NE(e["message"].get<std::string>().find("broken.json:4: not a list file"), std::string::npos) << r.body;

  // A CSV whose header is no list layout: line 1.
  auto csv = call("POST", "/v1/lists", fx().admin, upload_body({{"weird.csv", "a,b,c\n1,2,3\n"}}));
  ASSERT_EQ(csv.status, 400) << csv.body;
  EXPECT_EQ(csv.j()["error"]["fields"][0]["field"], "files[0].content");
  EXPECT_EQ(csv.j()["error"]["fields"][0]["line"], 1) << csv.body;
  EXPECT_NE(csv.body.find("unrecognised CSV layout"), std::string::npos) << csv.body;

  // Malformed requests: the field named.
  auto field_of = [](const std::string& body) {
    auto reply = call("POST", "/v1/lists", fx().admin, body);
    EXPECT_EQ(reply.status, 400) << body << " -> " << reply.body;
    return reply.j()["error"]["fields"][0]["field"].get<std::string>();
  };
  EXPECT_EQ(field_of(upload_body({{"../lists/x.json", good}})), "files[0].name");
  EXPECT_EQ(field_of(upload_body({{"a.json", good}, {"a.json", good}})), "files[1].name");
  EXPECT_EQ(field_of(R"({"files":[{"name":"a.json","content":42}]})"), "files[0].content");
  EXPECT_EQ(field_of(R"({"files":[{"name":"a.json"}]})"), "files[0].content");
  EXPECT_EQ(field_of(R"({"files":[{"name":"a.json","content":"{}","mode":"x"}]})"), "files[0].mode");
  EXPECT_EQ(field_of(R"({"files":[]})"), "files");
  EXPECT_EQ(field_of(R"({"files":[{"name":"a.json","content":"{}"}],"paths":["/tmp"]})"), "paths");
  EXPECT_EQ(field_of(R"({"files":[{"name":"a.json","content":"{}"}],"force":"yes"})"), "force");

  // Nothing recorded, nothing replaced: the good file of the refused request is not in use.
  EXPECT_EQ(snapshot_count(), snapshots);
  EXPECT_EQ(audit_count(), audit_before);
  EXPECT_FALSE(screened_as_match(fx().port, fx().analyst, "Zeta Quantum Widgets"));
}

TEST_P(ListUploadTest, ASharpDropIsRefusedUnlessForced) {
  // "test-list" with 30 entries, then with 5: -83% is beyond the default policy (more than 10% fewer
  // entries of a list that had at least 20; data/screening/terms.toml [snapshot]).
  auto full = call("POST", "/v1/lists", fx().admin, upload_body({{"full.json", widget_list(30)}}));
  ASSERT_EQ(full.status, 201) << full.body;
  EXPECT_EQ(full.j()["source_counts"]["test-list"], 30);
  const auto snapshots = snapshot_count();
  auto cut = call("POST", "/v1/lists", fx().admin, upload_body({{"cut.json", widget_list(5)}}));
  ASSERT_EQ(cut.status, 409) << cut.body;
  EXPECT_EQ(cut.j()["error"]["code"], "sharp_drop");
  EXPECT_NE(cut.j()["error"]["message"].get<std::string>().find("test-list: 30 -> 5"), std::string::npos) << cut.body;
  EXPECT_EQ(cut.j()["error"]["fields"][0]["field"], "files");
  EXPECT_EQ(snapshot_count(), snapshots);  // nothing recorded
  EXPECT_TRUE(screened_as_match(fx().port, fx().analyst, "Widget Maker 17 Ltd")) << "the 30-entry list stays in use";
  auto forced = call("POST", "/v1/lists", fx().admin, upload_body({{"cut.json", widget_list(5)}}, true));
  ASSERT_EQ(forced.status, 201) << forced.body;
  EXPECT_EQ(forced.j()["source_counts"]["test-list"], 5);
  EXPECT_EQ(forced.j()["details"]["forced"], true);
  EXPECT_FALSE(screened_as_match(fx().port, fx().analyst, "Widget Maker 17 Ltd"));
}

TEST_P(ListUploadTest, TheUploadLimitIsItsOwnSettingAndAnOversizedBodyLeavesTheConnectionUsable) {
  // A second server on the same store with --max-list-upload-bytes 100 KiB (the fixture's other
  // routes: 64 KiB). A list of 2,000 entries of ~45 bytes is ~90 KiB: over 64 KiB, under 100 KiB.
  Fixture small(spec(), [](ServiceOptions& o) { o.limits.max_list_upload_bytes = 100 * 1024; });
  std::string list = R"({"list_id":"test-list","entities":[)";
  for (int i = 0; i < 2000; ++i)
    list += std::string(i ? "," : "") + R"({"name":"Widget Maker )" + std::to_string(i) + R"( Ltd"})";
  list += "]}";
  const std::string fits = upload_body({{"list.json", list}});
  ASSERT_GT(fits.size(), 64u * 1024);
  ASSERT_LT(fits.size(), 100u * 1024);
  auto ok = call_at(small.port, "POST", "/v1/lists", small.admin, fits);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.j()["source_counts"]["test-list"], 2000);

  // 150 KiB: over the upload limit. One keep-alive connection: the refused body is read to its end,
  // so the next request on the same connection is answered normally.
  const std::string over = upload_body({{"list.json", list + std::string(150 * 1024, ' ')}});
  httplib::Client c("127.0.0.1", small.port);
  c.set_keep_alive(true);
  httplib::Headers h{{"Authorization", "Bearer " + small.admin}};
  auto big = c.Post("/v1/lists", h, over, "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  const json err = json::parse(big->body, nullptr, false);
  EXPECT_EQ(err["error"]["code"], "body_too_large") << big->body;
  EXPECT_NE(big->body.find("102400"), std::string::npos) << big->body;
  auto next = c.Get("/v1/lists", h);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << next->body;
  // The other routes keep their own limit on that server.
  auto decide = c.Post("/v1/decide", h, fits, "application/json");
  ASSERT_TRUE(decide);
  EXPECT_EQ(decide->status, 413);
  EXPECT_NE(decide->body.find("65536"), std::string::npos) << decide->body;
}

INSTANTIATE_TEST_SUITE_P(Backends, ListUploadTest, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server
