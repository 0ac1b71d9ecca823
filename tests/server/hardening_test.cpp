// Hostile clients against the real `chipgate serve` binary, on each backend (SQLite always;
// PostgreSQL when CHIPGATE_TEST_PG is set, see test_db.h), over raw sockets where a client library
// would hide the problem. Each test reproduces a failure of the hardening review:
//   - slow clients (more than there are worker threads) sending a header line now and then took
//     every worker, /healthz included; now they hold no worker and are cut at their deadline;
//   - one client address opening connections without end; now a per-client limit answers 429;
//   - every 401 appended an audit record, so an anonymous flood filled the log and slowed writers;
//   - POST /v1/lists {"paths"} read any file of the server (/etc/shadow in the error, /dev/zero
//     into memory); now only files inside --lists-dir;
//   - duplicate JSON keys (the last one won), a missing Content-Type, two Content-Length values,
//     pipelined requests, log lines of concurrent requests interleaving.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "server/log_line.h"
#include "server_process.h"
#include "store/store.h"
#include "test_db.h"
#include "test_support.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using testing::RawConnection;
using testing::RawResponse;
using testing::ServerProcess;
using Ms = std::chrono::milliseconds;

class Hardening : public testing::BackendTest {};

std::string make_key(const std::string& spec, store::Role role) {
  auto db = store::Store::open(spec);
  if (!db) return "";
  auto k = db.value()->create_key("test", role, "hardening", std::nullopt);
  return k ? k->secret : "";
}

std::vector<store::AuditRecord> audit_records(const std::string& spec) {
  auto db = store::Store::open(spec);
  if (!db) return {};
  auto r = db.value()->audit_records(1, 1000000);
  return r ? r.value() : std::vector<store::AuditRecord>{};
}

std::vector<store::AuditRecord> records_of_kind(const std::string& spec, const std::string& kind) {
  std::vector<store::AuditRecord> out;
  for (auto& r : audit_records(spec))
    if (r.kind == kind) out.push_back(std::move(r));
  return out;
}

// PO-1001 of data/sample-orders.csv: 8 H100 to a cloud in Germany.
const std::string kOrderDe =
    R"({"order_id":"PO-1001","line":"1","date":"2026-11-25","product_id":"nvidia-h100-sxm5-80gb","quantity":8,)"
    R"("value_usd":240000,"ship_to":"DE","consignee":"Example Cloud GmbH","end_user":"Example Cloud GmbH",)"
    R"("end_user_country":"DE","end_user_hq_country":"DE","exporter":"NVIDIA"})";

std::string request(const std::string& method, const std::string& path, const std::string& key = "",
                    const std::string& body = "", const std::string& content_type = "application/json") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!key.empty()) r += "Authorization: Bearer " + key + "\r\n";
  if (!content_type.empty() && !body.empty()) r += "Content-Type: " + content_type + "\r\n";
  if (method == "POST") r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

RawResponse round_trip(int port, const std::string& bytes, const std::string& source = "127.0.0.1") {
  RawConnection c(port, source);
  if (!c.ok() || !c.send(bytes)) return {};
  return c.read_response();
}

json body_json(const RawResponse& r) { return json::parse(r.body, nullptr, false); }

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - since).count();
}

// ---- slow clients ----------------------------------------------------------------------------

TEST_P(Hardening, SlowClientsBeyondTheWorkerCountDoNotStopOtherClientsAndAreCutAtTheirDeadline) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  // 2 workers; a request head must arrive within 6 s of its first byte.
  ASSERT_TRUE(server.start(dir, spec(), {"--threads", "2", "--header-timeout", "6"})) << server.err();

  // 10 slow clients from another address (5 per worker): a request line, then a header line every
  // 300 ms, never the blank line that ends the head (the reported attack: one every 3 s).
  constexpr int kSlow = 10;
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server.port, "127.0.0.2"));
    ASSERT_TRUE(slow.back()->ok());
    ASSERT_TRUE(slow.back()->send("POST /v1/decide HTTP/1.1\r\nHost: x\r\n"));
  }
  const auto started = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int n = 0; !stop; ++n) {
      for (auto& c : slow) c->send("X-Slow-" + std::to_string(n) + ": 1\r\n");
      std::this_thread::sleep_for(Ms(300));
    }
  });
  std::this_thread::sleep_for(Ms(500));
  // Meanwhile the service answers promptly: a health probe and an authenticated decision.
  auto t0 = std::chrono::steady_clock::now();
  auto health = round_trip(server.port, request("GET", "/healthz"));
  const auto health_ms = elapsed_ms(t0);
  t0 = std::chrono::steady_clock::now();
  auto decide = round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe));
  const auto decide_ms = elapsed_ms(t0);
  const auto answered_at = elapsed_ms(started);
  EXPECT_EQ(health.status, 200) << health.head;
  EXPECT_EQ(decide.status, 200) << decide.body;
  EXPECT_EQ(body_json(decide)["order_id"], "PO-1001");
  // Well before the slow heads' deadline (6 s): not served only once the slow clients were cut.
  EXPECT_LT(answered_at, 4500) << "health " << health_ms << " ms, decide " << decide_ms << " ms";

  // Each slow client is answered 408 at its deadline (6 s after its first byte, checked every
  // 100 ms) and the connection closed, although it kept sending.
  for (auto& c : slow) {
    auto r = c->read_response(Ms(10000));
    EXPECT_EQ(r.status, 408) << r.head;
    EXPECT_EQ(body_json(r)["error"]["code"], "request_timeout") << r.body;
    EXPECT_TRUE(r.has_header("Connection: close")) << r.head;
  }
  const auto cut_at = elapsed_ms(started);
  stop = true;
  trickle.join();
  EXPECT_GE(cut_at, 5500);
  EXPECT_LT(cut_at, 10000);
  auto metrics = round_trip(server.port, request("GET", "/metrics", make_key(spec(), store::Role::viewer)));
  EXPECT_NE(metrics.body.find("chipgate_http_request_timeouts_total{phase=\"head\"} " + std::to_string(kSlow)),
            std::string::npos)
      << metrics.body;
}

TEST_P(Hardening, ASlowBodyIsCutAtTheBodyDeadlineWithoutHoldingAWorker) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec(), {"--threads", "1", "--timeout", "2"})) << server.err();
  // The one worker would be held by a body that trickles in; two such clients.
  RawConnection a(server.port, "127.0.0.3"), b(server.port, "127.0.0.3");
  const std::string head = "POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
                           "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
  ASSERT_TRUE(a.send(head) && b.send(head));
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(Ms(300));
  a.send(" ");
  b.send(" ");
  auto decide = round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe));
  EXPECT_EQ(decide.status, 200) << decide.body;
  EXPECT_LT(elapsed_ms(started), 1800);
  for (auto* c : {&a, &b}) {
    auto r = c->read_response(Ms(5000));
    EXPECT_EQ(r.status, 408) << r.head;
    EXPECT_NE(r.body.find("request body was not received within 2 s"), std::string::npos) << r.body;
  }
}

TEST_P(Hardening, ThePerClientLimitAnswers429AndClosesCleanlyWhileOthersAreServed) {
  const std::string dir = test::temp_dir();
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec(), {"--max-connections-per-client", "3"})) << server.err();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(server.port, "127.0.0.4"));
    ASSERT_TRUE(held.back()->ok());
  }
  // Opened and idle: the fourth connection of this address is refused with an answer, then closed
  // with an end of stream (not a reset that would destroy the answer).
  std::this_thread::sleep_for(Ms(200));
  RawConnection fourth(server.port, "127.0.0.4");
  ASSERT_TRUE(fourth.send(request("GET", "/healthz")));
  auto refused = fourth.read_response(Ms(5000));
  EXPECT_EQ(refused.status, 429) << refused.head;
  EXPECT_EQ(body_json(refused)["error"]["code"], "too_many_connections") << refused.body;
  EXPECT_TRUE(refused.has_header("Connection: close")) << refused.head;
  EXPECT_TRUE(fourth.closed_by_peer(Ms(5000)));
  // Another address is served meanwhile, and so is this one once a connection is given back.
  EXPECT_EQ(round_trip(server.port, request("GET", "/healthz"), "127.0.0.5").status, 200);
  held.pop_back();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(Ms(100));
    status = round_trip(server.port, request("GET", "/healthz"), "127.0.0.4").status;
  }
  EXPECT_EQ(status, 200);
  // The held connections still work.
  ASSERT_TRUE(held[0]->send(request("GET", "/healthz")));
  EXPECT_EQ(held[0]->read_response().status, 200);
}

// ---- anonymous floods ------------------------------------------------------------------------

TEST_P(Hardening, AnAnonymousFloodWritesOneRecordPerClientAndWindowCarryingTheCount) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  const std::string viewer = make_key(spec(), store::Role::viewer);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec(), {"--denial-window", "5"})) << server.err();
  const auto before = records_of_kind(spec(), "auth.denied").size();
  // 200 requests without a key on one keep-alive connection (the report: 44,918 records in 10 s).
  constexpr int kFlood = 200;
  RawConnection c(server.port);
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_TRUE(c.send(request("POST", "/v1/decide", "", kOrderDe)));
    ASSERT_EQ(c.read_response().status, 401) << i;
  }
  // The first is recorded in full at once; the rest are only counted so far.
  auto denied = records_of_kind(spec(), "auth.denied");
  ASSERT_EQ(denied.size(), before + 1);
  EXPECT_EQ(denied.back().actor, "anonymous");
  EXPECT_EQ(json::parse(denied.back().outputs)["count"], 1);
  EXPECT_EQ(json::parse(denied.back().inputs)["remote"], "127.0.0.1");
  // Every denial is visible in the metric.
  auto m = round_trip(server.port, request("GET", "/metrics", viewer));
  EXPECT_NE(m.body.find("chipgate_auth_denied_total{status=\"401\"} " + std::to_string(kFlood)), std::string::npos)
      << m.body;
  // Decisions are still recorded.
  EXPECT_EQ(round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe)).status, 200);
  // When the 5 s window ends, one summary record carries the other 199 (and one log line says so).
  std::vector<store::AuditRecord> after;
  for (int i = 0; i < 100 && after.size() < before + 2; ++i) {
    std::this_thread::sleep_for(Ms(100));
    after = records_of_kind(spec(), "auth.denied");
  }
  ASSERT_EQ(after.size(), before + 2) << server.err();
  EXPECT_EQ(json::parse(after.back().outputs)["count"], kFlood - 1);
  EXPECT_EQ(json::parse(after.back().outputs)["statuses"]["401"], kFlood - 1);
  EXPECT_EQ(json::parse(after.back().inputs)["remote"], "127.0.0.1");
  ASSERT_EQ(server.stop(), 0);
  const std::string err = server.err();
  std::size_t lines = 0;
  for (std::size_t at = err.find("401 unauthenticated"); at != std::string::npos;
       at = err.find("401 unauthenticated", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << err;
  EXPECT_NE(err.find("auth denials: " + std::to_string(kFlood - 1) + " more from 127.0.0.1 (anonymous)"),
            std::string::npos)
      << err;
  // The records are part of the chain like any other.
  auto db = store::Store::open(spec());
  ASSERT_TRUE(db);
  auto v = db.value()->verify_audit();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_P(Hardening, DenialsCountedWhenTheServerStopsAreRecordedBeforeItExits) {
  const std::string dir = test::temp_dir();
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec())) << server.err();  // the default window: 60 s
  RawConnection c(server.port);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(request("GET", "/v1/rules", "cg_" + std::string(64, 'f'))));
    ASSERT_EQ(c.read_response().status, 401);
  }
  ASSERT_EQ(server.stop(), 0) << server.err();
  auto denied = records_of_kind(spec(), "auth.denied");
  ASSERT_EQ(denied.size(), 2u);
  EXPECT_EQ(json::parse(denied[0].outputs)["count"], 1);
  EXPECT_EQ(json::parse(denied[1].outputs)["count"], 4);  // 1 + 4 = the 5 denials
}

TEST_P(Hardening, LogLinesOfConcurrentDenialsAreWrittenWhole) {
  const std::string dir = test::temp_dir();
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec(), {"--threads", "8"})) << server.err();
  // 40 clients at once, each its own address, so that each denial is logged (the first of its window).
  std::vector<std::thread> clients;
  for (int i = 0; i < 40; ++i)
    clients.emplace_back([&, i] {
      round_trip(server.port, request("POST", "/v1/decide", "", kOrderDe), "127.0.1." + std::to_string(i + 1));
    });
  for (auto& t : clients) t.join();
  ASSERT_EQ(server.stop(), 0);
  std::istringstream lines(server.err());
  std::string line;
  int denials = 0;
  while (std::getline(lines, line)) {
    if (line.find("401 unauthenticated") == std::string::npos) continue;
    ++denials;
    EXPECT_EQ(line.rfind("chipgate serve: 401 unauthenticated: POST /v1/decide from 127.0.1.", 0), 0u) << line;
    EXPECT_NE(line.find("are counted and recorded together]"), std::string::npos) << line;
  }
  EXPECT_EQ(denials, 40) << server.err();
}

// ---- list paths ------------------------------------------------------------------------------

TEST_P(Hardening, ListPathsAreConfinedToTheListsDirAndNeverEchoOtherFiles) {
  const std::string lists = test::temp_dir(), outside = test::temp_dir(), dir = test::temp_dir();
  test::write_file(outside + "/secret.csv", "TOP-SECRET-LINE,with,some,fields\n");
  test::write_file(lists + "/good.json",
                   R"({"list_id":"test-list","entities":[{"name":"Zeta Quantum Widgets","country":"XX"}]})");
  test::write_file(lists + "/big.json", std::string(3000, ' ') + "{}");
  ASSERT_EQ(::symlink((outside + "/secret.csv").c_str(), (lists + "/link.csv").c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", (lists + "/zero.json").c_str()), 0);
  ASSERT_EQ(::mkfifo((lists + "/fifo.json").c_str(), 0600), 0);
  ::mkdir((lists + "/folder").c_str(), 0700);
  test::write_file(lists + "/folder/a.json", R"({"list_id":"a","entities":[{"name":"Alpha Widgets"}]})");
  ASSERT_EQ(::symlink((outside + "/secret.csv").c_str(), (lists + "/folder/b.csv").c_str()), 0);
  const std::string admin = make_key(spec(), store::Role::admin);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec(), {"--lists-dir", lists, "--max-list-upload-bytes", "2000"})) << server.err();
  auto import = [&](const std::string& path) {
    auto r = round_trip(server.port, request("POST", "/v1/lists", admin, json{{"paths", {path}}}.dump()));
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << r.body;
    return r;
  };
  struct Case {
    std::string path;
    int status;
    std::string code;
  };
  const std::vector<Case> refused = {
      {"/etc/passwd", 400, "paths_not_allowed"},                                       // outside
      {outside + "/secret.csv", 400, "paths_not_allowed"},                             // outside
      {lists + "/../" + outside.substr(5) + "/secret.csv", 400, "paths_not_allowed"},  // .. out of it
      {lists + "/link.csv", 400, "paths_not_allowed"},   // a link inside, to a file outside
      {lists + "/zero.json", 400, "paths_not_allowed"},  // a link to /dev/zero
      {"/dev/zero", 400, "paths_not_allowed"},
      {lists + "/fifo.json", 400, "invalid_request"},  // inside, but not a regular file
      {lists + "/missing.json", 400, "invalid_request"},
      {lists + "/big.json", 413, "list_too_large"},   // 3002 bytes > 2000
      {lists + "/folder", 400, "paths_not_allowed"},  // a folder holding a link outside
  };
  for (const auto& c : refused) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = import(c.path);
    EXPECT_EQ(r.status, c.status) << c.path << " -> " << r.body;
    EXPECT_EQ(body_json(r)["error"]["code"], c.code) << c.path << " -> " << r.body;
    EXPECT_EQ(body_json(r)["error"]["fields"][0]["field"], "paths[0]") << r.body;
    EXPECT_LT(elapsed_ms(t0), 5000) << c.path;  // the FIFO is not waited on
  }
  EXPECT_NE(import(lists + "/folder").body.find("b.csv"), std::string::npos);  // names the file inside
  auto ok = import(lists + "/good.json");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(body_json(ok)["source_counts"]["test-list"], 1);
  EXPECT_EQ(body_json(ok)["details"]["paths"], json::array({lists + "/good.json"}));
  ASSERT_EQ(server.stop(), 0);

  // Without --lists-dir, the paths form is refused whatever it names; the inline form remains.
  ServerProcess bare;
  ASSERT_TRUE(bare.start(test::temp_dir(), spec())) << bare.err();
  auto r = round_trip(bare.port, request("POST", "/v1/lists", admin, json{{"paths", {lists + "/good.json"}}}.dump()));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r)["error"]["code"], "paths_not_allowed");
  EXPECT_NE(body_json(r)["error"]["message"].get<std::string>().find("--lists-dir"), std::string::npos) << r.body;
}

// ---- request framing and bodies --------------------------------------------------------------

TEST_P(Hardening, DuplicateJsonKeysAre400NamingTheKeyAndNothingIsRecorded) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec())) << server.err();
  const auto before = audit_records(spec()).size();
  // ship_to given twice: DE then CN. Taking the last would decide a shipment to China.
  std::string twice = kOrderDe;
  twice.insert(twice.size() - 1, R"(,"ship_to":"CN")");
  auto r = round_trip(server.port, request("POST", "/v1/decide", key, twice));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r)["error"]["code"], "invalid_json");
  EXPECT_NE(body_json(r)["error"]["message"].get<std::string>().find("duplicate key 'ship_to'"), std::string::npos)
      << r.body;
  EXPECT_EQ(body_json(r)["error"]["fields"][0]["field"], "ship_to");
  // In a batch, the element is named.
  r = round_trip(server.port, request("POST", "/v1/decide", key, "[" + kOrderDe + "," + twice + "]"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r)["error"]["fields"][0]["field"], "[1].ship_to");
  EXPECT_EQ(audit_records(spec()).size(), before);
}

TEST_P(Hardening, JsonRoutesNeedAJsonContentTypeAndScenariosKeepTheirs) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  const std::string admin = make_key(spec(), store::Role::admin);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec())) << server.err();
  auto without = round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe, ""));
  EXPECT_EQ(without.status, 415) << without.body;
  EXPECT_NE(body_json(without)["error"]["message"].get<std::string>().find("none was given"), std::string::npos);
  EXPECT_EQ(round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe, "text/plain")).status, 415);
  EXPECT_EQ(round_trip(server.port, request("POST", "/v1/keys", admin, R"({"role":"viewer"})", "")).status, 415);
  EXPECT_EQ(round_trip(server.port, request("POST", "/v1/lists", admin, R"({"files":[]})", "")).status, 415);
  EXPECT_EQ(
      round_trip(server.port, request("POST", "/v1/decide", key, kOrderDe, "application/json; charset=utf-8")).status,
      200);
  // POST /v1/scenarios takes TOML, and (as before) a body without a Content-Type is read as TOML,
  // or as JSON when it starts with '{'.
  std::ifstream in(test::source_path("rules/us-ear/scenarios/tpp-threshold-raised.toml"));
  std::string toml((std::istreambuf_iterator<char>(in)), {});
  for (auto at = toml.find("tpp-threshold-raised"); at != std::string::npos; at = toml.find("tpp-threshold-raised"))
    toml.replace(at, 20, "tpp-raised-copy");
  auto scenario = round_trip(server.port, request("POST", "/v1/scenarios", admin, toml, ""));
  EXPECT_EQ(scenario.status, 201) << scenario.body;
}

TEST_P(Hardening, TwoDifferentContentLengthsAre400AndTheConnectionIsClosed) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec())) << server.err();
  const auto before = audit_records(spec()).size();
  RawConnection c(server.port);
  // Which length holds decides where the next request starts (request smuggling).
  ASSERT_TRUE(c.send("POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(kOrderDe.size()) +
                     "\r\nContent-Length: 5\r\n\r\n" + kOrderDe));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 400) << r.head;
  EXPECT_NE(r.body.find("two different Content-Length values"), std::string::npos) << r.body;
  EXPECT_TRUE(r.has_header("Connection: close")) << r.head;
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(audit_records(spec()).size(), before);
}

TEST_P(Hardening, PipelinedRequestsAreAnsweredInOrder) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ServerProcess server;
  // With a party list, so that the decision to Germany is a determined "no licence" (without one the
  // parties are not screened and license_required is null).
  ASSERT_TRUE(server.start(dir, spec(), {"--lists", test::source_path("data/sample-parties.json")})) << server.err();
  json china = json::parse(kOrderDe);
  china["order_id"] = "PO-1002";
  china["ship_to"] = "CN";
  china["end_user_country"] = "CN";
  RawConnection c(server.port);
  // Five requests in one write: health, a decision to Germany, one to China, a HEAD, readiness.
  ASSERT_TRUE(c.send(request("GET", "/healthz") + request("POST", "/v1/decide", key, kOrderDe) +
                     request("POST", "/v1/decide", key, china.dump()) + "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                     request("GET", "/readyz")));
  auto health = c.read_response();
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(body_json(health)["status"], "ok");
  auto de = c.read_response();
  ASSERT_EQ(de.status, 200) << de.body;
  EXPECT_EQ(body_json(de)["order_id"], "PO-1001");
  // Germany is in no controlled destination group of the H100's rules.
  EXPECT_EQ(body_json(de)["license_required"], false);
  auto cn = c.read_response();
  ASSERT_EQ(cn.status, 200) << cn.body;
  EXPECT_EQ(body_json(cn)["order_id"], "PO-1002");
  // An H100 (TPP far above 4800) to China needs a licence under every rule version since 2022-10-07.
  EXPECT_EQ(body_json(cn)["license_required"], true);
  // HEAD: GET's status and Content-Length ({"status":"ok"} and a newline: 16 bytes), no body.
  auto head = c.read_response(std::chrono::seconds(10), true);
  EXPECT_EQ(head.status, 200) << head.head;
  EXPECT_TRUE(head.has_header("Content-Length: 16")) << head.head;
  auto ready = c.read_response();
  EXPECT_EQ(ready.status, 200) << ready.head << ready.body;
  EXPECT_EQ(body_json(ready)["status"], "ready") << ready.body;
}

TEST_P(Hardening, ChunkedBodiesAndExpectContinueAreRead) {
  const std::string dir = test::temp_dir();
  const std::string key = make_key(spec(), store::Role::analyst);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec())) << server.err();
  RawConnection c(server.port);
  const std::string a = kOrderDe.substr(0, 100), b = kOrderDe.substr(100);
  std::ostringstream chunked;
  chunked << std::hex << a.size() << "\r\n" << a << "\r\n" << b.size() << ";ext=1\r\n" << b << "\r\n0\r\n\r\n";
  const std::string auth = "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\n";
  ASSERT_TRUE(
      c.send("POST /v1/decide HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n" + chunked.str()));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r)["order_id"], "PO-1001");
  // Expect: 100-continue: the interim answer comes before the body is sent, then the final one.
  ASSERT_TRUE(c.send("POST /v1/decide HTTP/1.1\r\nHost: x\r\n" + auth +
                     "Expect: 100-continue\r\nContent-Length: " + std::to_string(kOrderDe.size()) + "\r\n\r\n"));
  auto interim = c.read_response(std::chrono::seconds(10), true);
  EXPECT_EQ(interim.status, 100) << interim.head;
  ASSERT_TRUE(c.send(kOrderDe));
  auto final_answer = c.read_response();
  EXPECT_EQ(final_answer.status, 200) << final_answer.body;
  // A transfer coding the server does not implement: 501, closed.
  RawConnection g(server.port);
  ASSERT_TRUE(g.send("POST /v1/decide HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"));
  auto gz = g.read_response();
  EXPECT_EQ(gz.status, 501) << gz.head;
  EXPECT_TRUE(g.closed_by_peer());
}

INSTANTIATE_TEST_SUITE_P(Backends, Hardening, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(LogLine, ConcurrentLinesAreWrittenWhole) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string all;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) all.append(buf, static_cast<std::size_t>(n));
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        write_log_line("writer " + std::to_string(t) + " line " + std::to_string(i) + " " + std::string(300, 'x'),
                       fds[1]);
    });
  for (auto& w : writers) w.join();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  std::istringstream lines(all);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_EQ(line.rfind("writer ", 0), 0u) << line.substr(0, 60);
    EXPECT_EQ(line.size() - line.find_last_not_of('x') - 1, 300u) << line.substr(0, 60);
  }
  EXPECT_EQ(count, 8 * 200);
}

}  // namespace
}  // namespace chipgate::server
