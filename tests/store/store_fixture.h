// The store test fixture: a fresh store per test on SQLite (always) or PostgreSQL (when
// CHIPGATE_TEST_PG holds a connection URL; each test then gets its own schema).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/db.h"
#include "store/store.h"
#include "test_support.h"

namespace chipgate::store::testing {

inline const std::string kZero(64, '0');

inline std::string random_suffix() {
  static std::atomic<int> counter{0};
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      spec_ = "sqlite:" + test::temp_dir() + "/store.db";
    } else {
      const char* base = std::getenv("CHIPGATE_TEST_PG");
      if (!base || !*base)
        GTEST_SKIP() << "CHIPGATE_TEST_PG is not set: the PostgreSQL backend is tested only through "
                        "scripts/with-postgres.sh (scripts/test.sh does this)";
      schema_ = "t_" + random_suffix();
      auto admin = db::connect(db::parse_spec(base).value());
      ASSERT_TRUE(admin) << admin.message();
      ASSERT_TRUE(admin.value()->exec("CREATE SCHEMA " + schema_)) << schema_;
      const std::string b = base;
      spec_ = b + (b.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    }
    auto st = Store::open(spec_);
    ASSERT_TRUE(st) << st.message();
    store_ = std::move(st).value();
  }

  void TearDown() override {
    store_.reset();
    auto schemas = extra_schemas_;
    if (!schema_.empty()) schemas.push_back(schema_);
    if (!schemas.empty()) {
      auto admin = db::connect(db::parse_spec(std::getenv("CHIPGATE_TEST_PG")).value());
      if (admin)
        for (const auto& s : schemas) (void)admin.value()->exec("DROP SCHEMA " + s + " CASCADE");
    }
  }

  // Another, empty database of the same backend (no chipgate schema yet): a new SQLite path, or a new
  // PostgreSQL schema (dropped in TearDown). `query` is appended to a PostgreSQL URL ("&name=value").
  std::string fresh_spec(const std::string& query = "") {
    if (GetParam() == "sqlite") return "sqlite:" + test::temp_dir() + "/fresh.db";
    const std::string schema = "t_" + random_suffix();
    auto admin = db::connect(db::parse_spec(std::getenv("CHIPGATE_TEST_PG")).value());
    EXPECT_TRUE(admin) << admin.message();
    EXPECT_TRUE(admin.value()->exec("CREATE SCHEMA " + schema)) << schema;
    extra_schemas_.push_back(schema);
    const std::string b = std::getenv("CHIPGATE_TEST_PG");
    return b + (b.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema + query;
  }

  // A separate raw connection to the same database, for tampering with SQL.
  std::unique_ptr<db::Connection> raw() {
    auto c = db::connect(db::parse_spec(spec_).value());
    EXPECT_TRUE(c) << c.message();
    return std::move(c).value();
  }
  void sql(const std::string& statement) {
    auto c = raw();
    ASSERT_TRUE(c->exec(statement)) << statement;
  }
  std::int64_t count(const std::string& table) {
    auto r = raw()->query("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(r) << r.message();
    return std::stoll(*r.value()[0][0]);
  }

  AuditEvent decision(int n) {
    return AuditEvent{"k-test",
                      "decision.decide",
                      {{"order", "PO-" + std::to_string(n)}, {"item", "H100 SXM"}, {"destination", "CN"}},
                      {{"license_required", true}, {"n", n}},
                      "2025-01-16",
                      "abc123",
                      "snap-1"};
  }
  AuditEvent admin_event(int n) { return AuditEvent{"cli:test", "test.event", {{"n", n}}, {{"ok", true}}, "", "", ""}; }

  std::string spec_;
  std::string schema_;
  std::vector<std::string> extra_schemas_;
  std::unique_ptr<Store> store_;
};

}  // namespace chipgate::store::testing
