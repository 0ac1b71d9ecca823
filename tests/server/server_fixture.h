// The HTTP API test fixture: an in-process server (port 0) on a fresh store per test and backend
// (SQLite always; PostgreSQL when CHIPGATE_TEST_PG is set, see test_db.h), keys of every role, and
// a cpp-httplib client. Used by server_test.cpp and admin_test.cpp.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "server/service.h"
#include "store/store.h"
#include "test_db.h"
#include "test_support.h"

namespace chipgate::server::testing {

using json = nlohmann::json;

// One server on one fresh store (each test has its own).
struct Fixture {
  std::string dir;
  std::shared_ptr<store::Store> db;
  std::shared_ptr<Service> service;
  std::unique_ptr<HttpServer> http;
  std::thread thread;
  int port = 0;
  std::string admin, analyst, viewer, revoked, expired;
  std::vector<std::string> log;
  std::mutex log_mutex;

  // `adjust` changes the service's options before it starts (limits, ...).
  explicit Fixture(const std::string& spec, const std::function<void(ServiceOptions&)>& adjust = {}) {
    dir = test::temp_dir();
    auto opened = store::Store::open(spec);
    if (!opened) throw std::runtime_error(opened.message());
    db = std::move(opened).value();
    // `today`: the day the key is created as of (an expired key was created before it expired).
    auto key = [&](store::Role role, std::optional<Date> expires = std::nullopt, Date today = Date::today_utc()) {
      auto k = db->create_key("test", role, "test key", expires, today);
      if (!k) throw std::runtime_error(k.message());
      return k.value();
    };
    admin = key(store::Role::admin).secret;
    analyst = key(store::Role::analyst).secret;
    viewer = key(store::Role::viewer).secret;
    auto r = key(store::Role::analyst);
    revoked = r.secret;
    if (auto st = db->revoke_key("test", r.info.id); !st) throw std::runtime_error(st.message());
    expired = key(store::Role::analyst, Date::parse("2020-01-01").value(), Date::parse("2019-12-31").value()).secret;

    ServiceOptions o;
    o.rules_dir = test::rules_dir();
    o.catalog = test::source_path("data/sample-catalog.csv");
    o.letters = test::source_path("data/sample-letters.toml");
    o.lists = {test::source_path("data/sample-parties.json")};
    o.terms_file = test::source_path("data/screening/terms.toml");
    // POST /v1/lists {"paths"} reads only inside these: the tests' temporary folders, the sample
    // lists, and the shared real lists when present.
    o.list_dirs = {"/tmp", test::source_path("data")};
    if (std::error_code ec; std::filesystem::is_directory(test::shared_data("lists"), ec))
      o.list_dirs.push_back(test::shared_data("lists"));
    o.limits.max_body_bytes = 64 * 1024;
    o.limits.max_batch = 50;
    o.log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex);
      log.push_back(line);
    };
    if (adjust) adjust(o);
    auto s = Service::create(o, db);
    if (!s) throw std::runtime_error(s.message());
    service = std::shared_ptr<Service>(std::move(s).value());
    HttpOptions ho;
    ho.port = 0;
    ho.threads = 8;
    http = std::make_unique<HttpServer>(service, ho);
    auto p = http->bind();
    if (!p) throw std::runtime_error(p.message());
    port = p.value();
    thread = std::thread([this] { (void)http->run(); });
    // Wait until the server answers: HttpServer::stop() before run() has started listening would
    // not stop it (a fixture destroyed at once, as in the start-up tests, would hang in join()).
    for (int i = 0; i < 200; ++i) {
      httplib::Client c("127.0.0.1", port);
      if (auto h = c.Get("/healthz"); h && h->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("the test server did not answer /healthz within 10 s");
  }
  ~Fixture() {
    http->stop();
    thread.join();
  }
  bool logged(const std::string& needle) {
    std::lock_guard lock(log_mutex);
    for (const auto& l : log)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
};

inline Fixture* g_current = nullptr;  // the running test's server (tests run one at a time)
inline Fixture& fx() { return *g_current; }

// Every test runs once per backend ("sqlite", "postgresql") on its own fresh store and server.
class ServerTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fixture_ = std::make_unique<Fixture>(spec());
    g_current = fixture_.get();
  }
  void TearDown() override {
    g_current = nullptr;
    fixture_.reset();
    BackendTest::TearDown();
  }

  std::unique_ptr<Fixture> fixture_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string www_authenticate;
  json j() const { return json::parse(body, nullptr, false); }
};

// One request to the server listening on `port`.
inline Reply call_at(int port, const std::string& method, const std::string& path, const std::string& key = "",
                     const std::string& body = "", const std::string& content_type = "application/json") {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  httplib::Headers h;
  if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
  httplib::Result r = method == "GET"    ? c.Get(path.c_str(), h)
                      : method == "POST" ? c.Post(path.c_str(), h, body, content_type.c_str())
                                         : c.Delete(path.c_str(), h);
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.content_type = r->get_header_value("Content-Type");
  out.www_authenticate = r->get_header_value("WWW-Authenticate");
  return out;
}

// One request to the running test's server.
inline Reply call(const std::string& method, const std::string& path, const std::string& key = "",
                  const std::string& body = "", const std::string& content_type = "application/json") {
  return call_at(fx().port, method, path, key, body, content_type);
}

// PO-1002 of data/sample-orders.csv: 8 H100 to an AI lab in China.
inline const char* kOrderCn =
    R"({"order_id":"PO-1002","line":"1","date":"2026-11-25","product_id":"nvidia-h100-sxm5-80gb","quantity":8,)"
    R"("value_usd":240000,"ship_to":"CN","consignee":"Example Trading Co.","end_user":"Example AI Lab",)"
    R"("end_user_country":"CN","end_user_hq_country":"CN","exporter":"NVIDIA"})";
// PO-1001: the same GPUs to a cloud in Germany.
inline const char* kOrderDe =
    R"({"order_id":"PO-1001","line":"1","date":"2026-11-25","product_id":"nvidia-h100-sxm5-80gb","quantity":8,)"
    R"("value_usd":240000,"ship_to":"DE","consignee":"Example Cloud GmbH","end_user":"Example Cloud GmbH",)"
    R"("end_user_country":"DE","end_user_hq_country":"DE","exporter":"NVIDIA"})";

inline std::int64_t audit_count() {
  auto recs = fx().db->audit_records(1, 1000000);
  return recs ? static_cast<std::int64_t>(recs->size()) : -1;
}

inline std::int64_t last_decision_id() {
  auto recs = fx().db->audit_records(1, 1000000);
  std::int64_t found = 0;
  for (std::int64_t id = 1; recs && id <= static_cast<std::int64_t>(recs->size()) + 1; ++id) {
    auto d = fx().db->get_decision(id);
    if (d && d.value()) found = id;
  }
  return found;
}

// A list file in the BIS JSON shape: "test-list" with `n` entries "Widget Maker <i> Ltd" (for the
// sharp-drop tests: 30 entries, then 5, is beyond the default policy).
inline std::string widget_list(int n) {
  std::string body = R"({"list_id":"test-list","entities":[)";
  for (int i = 0; i < n; ++i)
    body += std::string(i ? "," : "") + R"({"name":"Widget Maker )" + std::to_string(i) + R"( Ltd","country":"XX"})";
  return body + "]}";
}

}  // namespace chipgate::server::testing
