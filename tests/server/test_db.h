// The server tests' store, per test and per backend, as in tests/store: "sqlite" is a fresh file in a
// temporary directory; "postgresql" is a fresh schema in the database named by CHIPGATE_TEST_PG
// (scripts/with-postgres.sh sets it; scripts/test.sh runs ctest through it), dropped afterwards.
// Without CHIPGATE_TEST_PG the PostgreSQL instances are skipped with a message saying so.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include "store/db.h"
#include "test_support.h"

namespace chipgate::server::testing {

// The parameter of every test that uses a store.
inline auto backends() { return ::testing::Values(std::string("sqlite"), std::string("postgresql")); }

// The database of one test: `spec` is what Store::open and `chipgate serve --db` take.
class TestDb {
 public:
  TestDb() = default;
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;
  ~TestDb() { drop(); }

  // Returns false (with `skip_reason` set) when the backend is not available in this run.
  bool create(const std::string& backend, std::string& skip_reason, std::string& error) {
    if (backend == "sqlite") {
      spec = "sqlite:" + test::temp_dir() + "/chipgate.db";
      return true;
    }
    const char* base = std::getenv("CHIPGATE_TEST_PG");
    if (!base || !*base) {
      skip_reason =
          "CHIPGATE_TEST_PG is not set: the PostgreSQL backend is tested only through scripts/with-postgres.sh "
          "(scripts/test.sh does this)";
      return false;
    }
    static std::atomic<int> counter{0};
    const std::string schema = "srv_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
    auto spec_base = store::db::parse_spec(base);
    if (!spec_base) {
      error = "CHIPGATE_TEST_PG: " + spec_base.message();
      return false;
    }
    auto admin = store::db::connect(spec_base.value());
    if (!admin) {
      error = admin.message();
      return false;
    }
    if (auto st = admin.value()->exec("CREATE SCHEMA " + schema); !st) {
      error = "CREATE SCHEMA " + schema + ": " + st.message();
      return false;
    }
    base_ = base;
    schema_ = schema;
    spec = base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    return true;
  }

  void drop() {
    if (schema_.empty()) return;
    auto parsed = store::db::parse_spec(base_);
    if (parsed) {
      auto admin = store::db::connect(parsed.value());
      if (admin) (void)admin.value()->exec("DROP SCHEMA " + schema_ + " CASCADE");
    }
    schema_.clear();
  }

  std::string spec;

 private:
  std::string base_;
  std::string schema_;
};

// A test run once per backend (its parameter, "sqlite" or "postgresql") on a fresh database of its
// own: SetUp creates it, or skips the test when the backend is not available in this run (fails when
// it should be and cannot be set up); TearDown drops it.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip, error;
    if (!db_.create(GetParam(), skip, error)) {
      if (!error.empty()) FAIL() << error;
      GTEST_SKIP() << skip;
    }
  }
  void TearDown() override { db_.drop(); }
  const std::string& spec() const { return db_.spec; }

  TestDb db_;
};

// A spec in single quotes for test::run_cli (a PostgreSQL URL holds '?' and '&').
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace chipgate::server::testing
