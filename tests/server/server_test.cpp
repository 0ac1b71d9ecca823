// The HTTP API end to end over a real loopback socket: an in-process server (port 0) per test, on a
// fresh store of each backend (SQLite always; PostgreSQL when CHIPGATE_TEST_PG is set, see
// test_db.h), called with cpp-httplib's client. Every route, the auth paths, bad input, decisions
// fetched back by id, the same output as the CLI, the OpenAPI document.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "server/http_server.h"
#include "server/routes.h"
#include "server/service.h"
#include "server_fixture.h"
#include "store/store.h"
#include "test_support.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h

TEST_P(ServerTest, HealthAndReadinessNeedNoKey) {
  auto h = call("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.j()["status"], "ok");
  auto r = call("GET", "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  // Public: it says ready or not, nothing about the store (backend, paths, hosts).
  EXPECT_EQ(r.j(), json({{"status", "ready"}})) << r.body;
}

TEST_P(ServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  auto r = call("GET", "/v1/nothing", fx().analyst);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.j()["error"]["code"], "not_found");
  r = call("DELETE", "/v1/decide", fx().analyst);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.j()["error"]["code"], "method_not_allowed");
}

TEST_P(ServerTest, NoKeyIs401WithReasonAndIsAudited) {
  const auto before = audit_count();
  auto r = call("POST", "/v1/decide", "", kOrderCn);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.j()["error"]["code"], "unauthenticated");
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("missing Authorization"), std::string::npos);
  EXPECT_EQ(r.www_authenticate, "Bearer realm=\"chipgate\"");
  // The denial is one audit record (kind auth.denied) and one log line; no decision was recorded.
  EXPECT_EQ(audit_count(), before + 1);
  auto recs = fx().db->audit_records(before + 1, 1);
  ASSERT_TRUE(recs && recs->size() == 1u);
  EXPECT_EQ(recs->front().kind, "auth.denied");
  EXPECT_EQ(recs->front().actor, "anonymous");
  EXPECT_TRUE(fx().logged("401 unauthenticated: POST /v1/decide"));
}

TEST_P(ServerTest, BadRevokedAndExpiredKeysAre401) {
  auto r = call("GET", "/v1/rules", "cg_" + std::string(64, '0'));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("unknown"), std::string::npos) << r.body;
  r = call("GET", "/v1/rules", fx().revoked);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("revoked"), std::string::npos) << r.body;
  r = call("GET", "/v1/rules", fx().expired);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("expired"), std::string::npos) << r.body;
  // A malformed header (no Bearer scheme).
  httplib::Client c("127.0.0.1", fx().port);
  auto raw = c.Get("/v1/rules", httplib::Headers{{"Authorization", "Basic dXNlcjpwYXNz"}});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 401);
  EXPECT_NE(raw->body.find("malformed Authorization"), std::string::npos);
}

TEST_P(ServerTest, RolesAreEnforced) {
  // viewer on an admin route and on an analyst route: 403 with the roles named.
  auto r = call("POST", "/v1/lists", fx().viewer, R"({"paths":["x"]})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.j()["error"]["code"], "forbidden");
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("needs role admin"), std::string::npos) << r.body;
  r = call("POST", "/v1/decide", fx().viewer, kOrderDe);
  EXPECT_EQ(r.status, 403);
  // analyst may not import lists either
  r = call("POST", "/v1/lists", fx().analyst, R"({"paths":["x"]})");
  EXPECT_EQ(r.status, 403);
  // viewer may read; admin may do everything
  EXPECT_EQ(call("GET", "/v1/rules", fx().viewer).status, 200);
  EXPECT_EQ(call("POST", "/v1/decide", fx().admin, kOrderDe).status, 200);
  EXPECT_TRUE(fx().logged("403 forbidden: POST /v1/lists"));
}

TEST_P(ServerTest, DecideIsRecordedAndFetchedBackById) {
  auto r = call("POST", "/v1/decide", fx().analyst, kOrderCn);
  ASSERT_EQ(r.status, 200) << r.body;
  json d = r.j();
  // An H100 (TPP far above 4800) to China needs a licence under every rule version since 2022-10-07.
  EXPECT_EQ(d["license_required"], true);
  EXPECT_EQ(d["order_id"], "PO-1002");
  ASSERT_TRUE(d["decision_id"].is_number_integer());
  const auto id = d["decision_id"].get<std::int64_t>();
  auto back = call("GET", "/v1/decisions/" + std::to_string(id), fx().viewer);
  ASSERT_EQ(back.status, 200) << back.body;
  json s = back.j();
  EXPECT_EQ(s["decision_id"], id);
  EXPECT_EQ(s["kind"], "decision.decide");
  EXPECT_EQ(s["inputs"]["order"], json::parse(kOrderCn));
  json expected_out = d;
  expected_out.erase("decision_id");
  EXPECT_EQ(s["outputs"], expected_out);
  EXPECT_FALSE(s["rule_set_hash"].get<std::string>().empty());
  EXPECT_FALSE(s["list_snapshot_id"].get<std::string>().empty());

  EXPECT_EQ(call("GET", "/v1/decisions/999999999", fx().viewer).status, 404);
  auto bad = call("GET", "/v1/decisions/1%20OR%201=1", fx().viewer);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["error"]["fields"][0]["field"], "id");
}

TEST_P(ServerTest, DecideEqualsTheCli) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/orders.jsonl", std::string(kOrderCn) + "\n" + kOrderDe + "\n");
  auto cli = test::run_cli(
      "decide --orders " + dir + "/orders.jsonl --catalog " + test::source_path("data/sample-catalog.csv") +
      " --letters " + test::source_path("data/sample-letters.toml") + " --lists " +
      test::source_path("data/sample-parties.json") + " --rules " + test::rules_dir() + " --format jsonl");
  ASSERT_EQ(cli.exit_code, 3) << cli.err;  // every line decided, the CN line needs a licence
  std::istringstream lines(cli.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  for (const auto& [body, cli_line] : {std::pair{kOrderCn, first}, std::pair{kOrderDe, second}}) {
    auto r = call("POST", "/v1/decide", fx().analyst, body);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.j();
    j.erase("decision_id");
    EXPECT_EQ(j, json::parse(cli_line)) << "HTTP and CLI differ for " << body;
  }
}

TEST_P(ServerTest, DecideBatchHasTheCliJsonShapeAndDistinctIds) {
  const std::string body = std::string("[") + kOrderCn + "," + kOrderDe + "]";
  auto r = call("POST", "/v1/decide", fx().analyst, body);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  ASSERT_EQ(j["decisions"].size(), 2u);
  // One line needs a licence (China), one does not (Germany is not in a controlled destination group).
  EXPECT_EQ(j["decisions"][0]["license_required"], true);
  EXPECT_EQ(j["decisions"][1]["license_required"], false);
  EXPECT_EQ(j["summary"]["lines"], 2);
  const auto a = j["decisions"][0]["decision_id"].get<std::int64_t>();
  const auto b = j["decisions"][1]["decision_id"].get<std::int64_t>();
  EXPECT_EQ(b, a + 1);  // one transaction, ids in input order
}

TEST_P(ServerTest, BadDecideInputIs4xxAndNothingIsRecorded) {
  const auto before = audit_count();
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"order_id": "x", )", 400, ""},                                                       // malformed JSON
      {R"({"order_id":"x","product_id":"nvidia-h100-sxm5-80gb","ship_to":7.5e400})", 400, ""},  // number overflow
      {R"({"order_id":"x","product_id":"nvidia-h100-sxm5-80gb","ship_to":"CN","qty":1})", 400, "qty"},
      {R"({"order_id":"x","product_id":"nvidia-h100-sxm5-80gb","ship_to":"CN","quantity":[1]})", 400, "quantity"},
      {R"({"order_id":"x","product_id":"no-such-chip","ship_to":"CN"})", 400, "product_id"},
      {R"({"order_id":"x","product_id":"nvidia-h100-sxm5-80gb","ship_to":"XX"})", 400, "ship_to"},
      {R"({"order_id":"x","product_id":"nvidia-h100-sxm5-80gb","ship_to":"CN","end_uses":"weather"})", 400, "end_uses"},
      // A valid first line does not get recorded when the second is bad: nothing is half-written.
      {std::string("[") + kOrderDe + R"(,{"order_id":"y","product_id":"nvidia-h100-sxm5-80gb","ship_to":"ZZ"}])", 400,
       "[1].ship_to"},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/v1/decide", fx().analyst, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    json j = r.j();
    ASSERT_TRUE(j.contains("error")) << r.body;
    if (!c.field.empty()) {
      ASSERT_TRUE(j["error"].contains("fields")) << r.body;
      EXPECT_EQ(j["error"]["fields"][0]["field"], c.field) << r.body;
    }
  }
  auto wrong_type = call("POST", "/v1/decide", fx().analyst, kOrderCn, "text/plain");
  EXPECT_EQ(wrong_type.status, 415);
  auto bad_scenario = call("POST", "/v1/decide?scenario=no-such-scenario", fx().analyst, kOrderCn);
  EXPECT_EQ(bad_scenario.status, 400);
  EXPECT_EQ(bad_scenario.j()["error"]["fields"][0]["field"], "scenario");
  auto bad_date = call("POST", "/v1/decide?date=2023-02-30", fx().analyst, kOrderCn);
  EXPECT_EQ(bad_date.status, 400);
  auto bad_param = call("POST", "/v1/decide?dte=2023-02-01", fx().analyst, kOrderCn);
  EXPECT_EQ(bad_param.status, 400);
  EXPECT_EQ(audit_count(), before);  // none of these wrote anything
}

TEST_P(ServerTest, HugeBodiesAndBatchesAre413) {
  // The fixture's limits: 64 KiB body, 50 elements.
  std::string huge = R"({"order_id":")" + std::string(200 * 1024, 'x') + R"(","product_id":"p","ship_to":"CN"})";
  auto r = call("POST", "/v1/decide", fx().analyst, huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("body_too_large"), std::string::npos) << r.body;
  std::string batch = "[";
  for (int i = 0; i < 51; ++i) batch += std::string(i ? "," : "") + R"({"name":"a"})";
  batch += "]";
  r = call("POST", "/v1/screen", fx().analyst, batch);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.j()["error"]["code"], "batch_too_large");
}

TEST_P(ServerTest, SqlLookingStringsAreDataNotCode) {
  json order = json::parse(kOrderDe);
  order["order_id"] = "x'); DROP TABLE decisions; --";
  order["consignee"] = "Robert'); DELETE FROM audit_log; --";
  auto r = call("POST", "/v1/decide", fx().analyst, order.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto id = r.j()["decision_id"].get<std::int64_t>();
  auto back = call("GET", "/v1/decisions/" + std::to_string(id), fx().viewer);
  ASSERT_EQ(back.status, 200);
  EXPECT_EQ(back.j()["inputs"]["order"]["order_id"], "x'); DROP TABLE decisions; --");
  auto v = fx().db->verify_audit();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_P(ServerTest, ClassifyEqualsTheCli) {
  const std::string item = R"({"id":"x","kind":"gpu","datacenter":true,"rates":{"fp8":1979},"die_area_mm2":814})";
  auto cli =
      test::run_cli("classify --json '" + item + "' --date 2025-06-01 --format jsonl --rules " + test::rules_dir());
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto r = call("POST", "/v1/classify?date=2025-06-01", fx().analyst, item);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  ASSERT_TRUE(j["decision_id"].is_number_integer());
  j.erase("decision_id");
  EXPECT_EQ(j, json::parse(cli.out));
  // 1979 dense TFLOPS FP8 x 8 bits = TPP 15832 >= 4800: 3A090.a. (Dense TFLOPS already count both
  // operations of a multiply-accumulate: they are the rule's 2 x MacTOPS.)
  EXPECT_EQ(j["status"], "controlled");

  auto batch = call("POST", "/v1/classify?date=2025-06-01", fx().analyst,
                    "[" + item + R"(,{"id":"y","kind":"gpu","datacenter":false,"rates":{"int8":10}}])");
  ASSERT_EQ(batch.status, 200) << batch.body;
  ASSERT_EQ(batch.j().size(), 2u);
  EXPECT_EQ(batch.j()[1]["status"], "not_controlled");  // TPP 10 x 8 = 80, far below every threshold
}

TEST_P(ServerTest, ScreenFindsAListedPartyAndClearsAnUnlistedOne) {
  auto r = call(
      "POST", "/v1/screen", fx().analyst,
      R"([{"id":"a","name":"Huawei Technologies Co., Ltd.","country":"CN"},{"id":"b","name":"Nobody Particular GmbH"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], "a");
  EXPECT_EQ(j[0]["match"], true);  // the sample list's first entry, by its primary name
  EXPECT_EQ(j[0]["hits"][0]["list"], "bis-entity-list");
  EXPECT_EQ(j[1]["match"], false);
  EXPECT_TRUE(j[1]["decision_id"].is_number_integer());
  auto bad = call("POST", "/v1/screen", fx().analyst, R"({"name":12})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["error"]["fields"][0]["field"], "name");
}

TEST_P(ServerTest, RulesScenariosAndLists) {
  auto rules = call("GET", "/v1/rules", fx().viewer);
  ASSERT_EQ(rules.status, 200);
  auto cli = test::run_cli("rules list --format json --rules " + test::rules_dir());
  ASSERT_EQ(cli.exit_code, 0);
  json j = rules.j();
  json c = json::parse(cli.out);
  EXPECT_EQ(j["versions"], c["versions"]);
  EXPECT_EQ(j["scenarios"], c["scenarios"]);
  // One renderer (io::rules_list_to_json): the same keys in the same order, not only the same values.
  const auto ordered = nlohmann::ordered_json::parse(rules.body), cli_ordered = nlohmann::ordered_json::parse(cli.out);
  EXPECT_EQ(ordered["versions"].dump(), cli_ordered["versions"].dump());
  EXPECT_EQ(ordered["scenarios"].dump(), cli_ordered["scenarios"].dump());
  auto sc = call("GET", "/v1/scenarios", fx().viewer);
  ASSERT_EQ(sc.status, 200);
  EXPECT_EQ(sc.j()["scenarios"].size(), c["scenarios"].size());

  auto lists = call("GET", "/v1/lists", fx().viewer);
  ASSERT_EQ(lists.status, 200) << lists.body;
  const std::string before = lists.j()["current"]["snapshot_id"];
  EXPECT_FALSE(before.empty());
}

TEST_P(ServerTest, AdminImportsListsAndScreeningUsesThem) {
  // A one-entry list written for this test: after the import, that name is a hit and Huawei is not.
  const std::string dir = test::temp_dir();
  test::write_file(
      dir + "/list.json",
      R"({"list_id":"test-list","entities":[{"name":"Zeta Quantum Widgets","aliases":[],"country":"XX"}]})");
  auto bad = call("POST", "/v1/lists", fx().admin, R"({"paths":["/nonexistent/list.json"]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  const auto snapshots_before = call("GET", "/v1/lists", fx().viewer).j()["snapshots"].size();
  auto r = call("POST", "/v1/lists", fx().admin, R"({"paths":[")" + dir + R"(/list.json"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto lists = call("GET", "/v1/lists", fx().viewer);
  ASSERT_EQ(lists.status, 200);
  EXPECT_EQ(lists.j()["snapshots"].size(), snapshots_before + 1);  // newest first
  EXPECT_EQ(lists.j()["current"]["snapshot_id"], lists.j()["snapshots"][0]["id"]);
  auto s = call("POST", "/v1/screen", fx().analyst, R"({"name":"Zeta Quantum Widgets"})");
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.j()["match"], true);
  // Restore the sample list for the other tests.
  auto back = call("POST", "/v1/lists", fx().admin,
                   R"({"paths":[")" + test::source_path("data/sample-parties.json") + R"("]})");
  ASSERT_EQ(back.status, 201) << back.body;
}

TEST_P(ServerTest, ListImportWithASharpDropIsRefusedUnlessForced) {
  // "test-list" with 30 entries, then with 5: -83% is beyond the default policy (more than 10% fewer
  // entries of a list that had at least 20; data/screening/terms.toml [snapshot]).
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/full.json", widget_list(30));
  test::write_file(dir + "/cut.json", widget_list(5));
  auto full = call("POST", "/v1/lists", fx().admin, R"({"paths":[")" + dir + R"(/full.json"]})");
  ASSERT_EQ(full.status, 201) << full.body;
  EXPECT_EQ(full.j()["source_counts"]["test-list"], 30);
  const auto snapshots = call("GET", "/v1/lists", fx().viewer).j()["snapshots"].size();

  auto cut = call("POST", "/v1/lists", fx().admin, R"({"paths":[")" + dir + R"(/cut.json"]})");
  ASSERT_EQ(cut.status, 409) << cut.body;
  EXPECT_EQ(cut.j()["error"]["code"], "sharp_drop");
  const std::string message = cut.j()["error"]["message"];
  EXPECT_NE(message.find("test-list: 30 -> 5"), std::string::npos) << message;
  EXPECT_NE(message.find("\"force\": true"), std::string::npos) << message;
  EXPECT_EQ(call("GET", "/v1/lists", fx().viewer).j()["snapshots"].size(), snapshots);  // nothing recorded
  auto still = call("POST", "/v1/screen", fx().analyst, R"({"name":"Widget Maker 17 Ltd"})");
  EXPECT_EQ(still.j()["match"], true) << "the 30-entry list stays in use";

  auto bad = call("POST", "/v1/lists", fx().admin, R"({"paths":[")" + dir + R"(/cut.json"],"force":"yes"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.j()["error"]["fields"][0]["field"], "force");

  auto forced = call("POST", "/v1/lists", fx().admin, R"({"paths":[")" + dir + R"(/cut.json"],"force":true})");
  ASSERT_EQ(forced.status, 201) << forced.body;
  EXPECT_EQ(forced.j()["source_counts"]["test-list"], 5);
  EXPECT_EQ(forced.j()["details"]["forced"], true);
  // Restore the sample list for the other tests (the test list disappearing is itself a drop).
  auto back = call("POST", "/v1/lists", fx().admin,
                   R"({"paths":[")" + test::source_path("data/sample-parties.json") + R"("],"force":true})");
  ASSERT_EQ(back.status, 201) << back.body;
}

TEST_P(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  call("GET", "/healthz");
  call("POST", "/v1/decide", "", kOrderCn);  // a 401
  auto m = call("GET", "/metrics", fx().viewer);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("chipgate_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("route=\"/v1/decide\",method=\"POST\",status=\"401\""), std::string::npos);
  EXPECT_NE(m.body.find("chipgate_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("chipgate_auth_denied_total{status=\"401\"}"), std::string::npos);
  EXPECT_EQ(call("GET", "/metrics").status, 401);  // metrics need a key
}

TEST_P(ServerTest, OpenApiServedDocumentIsTheRepositoryFile) {
  auto r = call("GET", "/openapi.json");  // public
  ASSERT_EQ(r.status, 200);
  std::ifstream in(test::source_path("openapi/openapi.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(json::parse(r.body), json::parse(ss.str()));
  EXPECT_EQ(json::parse(r.body)["openapi"].get<std::string>().substr(0, 2), "3.");
}

TEST_P(ServerTest, OpenApiEveryRouteIsDocumentedAndEveryDocumentedRouteExists) {
  ASSERT_EQ(call("POST", "/v1/decide", fx().analyst, kOrderDe).status, 200);  // so that a decision exists
  std::ifstream in(test::source_path("openapi/openapi.json"));
  const json doc = json::parse(in);
  std::set<std::pair<std::string, std::string>> documented, registered;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert({m, path});
    }
  for (const auto& r : routes()) {
    registered.insert({r.method, r.path});
    ASSERT_TRUE(doc["paths"].contains(r.path)) << r.path << " is not in openapi.json";
    std::string m = r.method;
    for (auto& ch : m) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ASSERT_TRUE(doc["paths"][r.path].contains(m)) << r.method << " " << r.path << " is not in openapi.json";
    const json& op = doc["paths"][r.path][m];
    // The documented role is the enforced one; public routes say so with an empty security list.
    EXPECT_EQ(op.value("x-role", ""), std::string(access_name(r.access))) << r.method << " " << r.path;
    EXPECT_EQ(op.contains("security") && op["security"].empty(), r.access == Access::kPublic) << r.path;
    // And the server really answers it (not 404/405).
    auto reply =
        call(r.method, r.path == "/v1/decisions/{id}" ? "/v1/decisions/" + std::to_string(last_decision_id()) : r.path,
             fx().admin, r.method == "POST" ? "{}" : "");
    EXPECT_NE(reply.status, 404) << r.path;
    EXPECT_NE(reply.status, 405) << r.path;
  }
  EXPECT_EQ(documented, registered);
}

// A stop (SIGTERM) that arrives before run() listens must not be lost: run() then returns at once
// instead of serving forever (cpp-httplib ignores a stop before it listens).
TEST(HttpServerLifecycle, StopBeforeRunIsNotLost) {
  auto opened = store::Store::open("sqlite:" + test::temp_dir() + "/lifecycle.db");
  ASSERT_TRUE(opened) << opened.message();
  std::shared_ptr<store::Store> db(std::move(opened).value());
  ServiceOptions o;
  o.rules_dir = test::rules_dir();
  o.catalog = test::source_path("data/sample-catalog.csv");
  o.lists = {test::source_path("data/sample-parties.json")};
  o.log = [](const std::string&) {};
  auto s = Service::create(o, db);
  ASSERT_TRUE(s) << s.message();
  HttpOptions ho;
  ho.port = 0;
  ho.threads = 2;
  HttpServer http(std::shared_ptr<Service>(std::move(s).value()), ho);
  ASSERT_TRUE(http.bind());
  http.stop();
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    (void)http.run();
    returned = true;
  });
  for (int i = 0; i < 100 && !returned; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const bool returned_in_time = returned;
  if (!returned_in_time) http.stop();  // the bug: it is listening now; stop it so the test can end
  runner.join();
  EXPECT_TRUE(returned_in_time) << "run() kept serving after stop()";
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerTest, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server
