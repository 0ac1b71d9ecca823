// `chipgate keys` and `chipgate audit` through the real binary, on both backends.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store_fixture.h"

namespace chipgate::store {
namespace {

using testing::StoreTest;

class StoreCliTest : public StoreTest {
 protected:
  test::CommandResult cli(const std::string& args) { return test::run_cli(args + " --db '" + spec_ + "'"); }
  static std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

TEST_P(StoreCliTest, KeysCreatePrintsTheKeyOnceAndItWorks) {
  auto r = cli("keys create --role admin --name ops --expires 2099-01-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // stdout is exactly the key and a newline: "cg_" + 64 hex.
  ASSERT_EQ(r.out.size(), 68u) << r.out;
  const std::string key = r.out.substr(0, 67);
  EXPECT_EQ(key.substr(0, 3), "cg_");
  EXPECT_NE(r.err.find("only time the key is shown"), std::string::npos) << r.err;
  auto check = store_->lookup_key(key).value();
  ASSERT_TRUE(check.ok()) << check.reason;
  EXPECT_EQ(check.key->role, Role::admin);
  EXPECT_EQ(check.key->name, "ops");
  EXPECT_EQ(check.key->expires->to_string(), "2099-01-01");

  auto list = cli("keys list --format json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto keys = nlohmann::json::parse(list.out);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["id"], check.key->id);
  EXPECT_EQ(list.out.find(key), std::string::npos);  // never the secret

  auto revoke = cli("keys revoke " + check.key->id);
  EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(store_->lookup_key(key).value().outcome, KeyCheck::Outcome::revoked);
  auto again = cli("keys revoke " + check.key->id);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;
}

TEST_P(StoreCliTest, KeysCreateRejectsBadInput) {
  auto r = cli("keys create --role root");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'root' is not a role"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = cli("keys create --role viewer --expires 2026-02-30");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--expires"), std::string::npos) << r.err;
  EXPECT_TRUE(store_->list_keys().value().empty());
}

TEST_P(StoreCliTest, AuditVerifyExitsZeroWhenIntactAndNamesTheFirstBadRecord) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->record_decision(decision(i)));
  auto ok = cli("audit verify");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("intact: 4 records"), std::string::npos) << ok.out;

  sql("UPDATE audit_log SET actor = 'someone-else' WHERE id = 2");
  auto bad = cli("audit verify");
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.out.find("BROKEN at record 2"), std::string::npos) << bad.out;
  auto js = cli("audit verify --format json");
  EXPECT_EQ(js.exit_code, 1);
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["first_bad_record"], 2);
  EXPECT_EQ(j["records_checked"], 1);
}

TEST_P(StoreCliTest, AuditExportWritesJsonAndHtml) {
  AuditEvent e = decision(1);
  e.inputs["note"] = "<script>alert(1)</script>";
  ASSERT_TRUE(store_->record_decision(e));
  ASSERT_TRUE(store_->append_audit({"cli:test", "rules.install", {{"v", 1}}, {}, "2025-01-16", "h", ""}));
  const std::string dir = test::temp_dir() + "/report";
  const std::string today = Date::today_utc().to_string();
  auto r = cli("audit export --from " + today + " --to " + today + " --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string stem = dir + "/audit-" + today + "_" + today;
  auto j = nlohmann::json::parse(read(stem + ".json"));
  ASSERT_EQ(j["records"].size(), 2u);
  EXPECT_EQ(j["records"][0]["inputs"]["note"], "<script>alert(1)</script>");
  EXPECT_EQ(j["records"][1]["kind"], "rules.install");
  EXPECT_EQ(j["chain"]["ok"], true);
  EXPECT_EQ(j["records"][1]["prev_hash"], j["records"][0]["hash"]);
  const std::string html = read(stem + ".html");
  EXPECT_NE(html.find("Hash chain intact"), std::string::npos);
  EXPECT_NE(html.find("Not legal advice"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);  // escaped, never live

  // A past range: no records, still a valid report; a .json path writes only that file.
  const std::string file = test::temp_dir() + "/old.json";
  auto old = cli("audit export --from 2001-01-01 --to 2001-12-31 --out " + file);
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(nlohmann::json::parse(read(file))["records"].size(), 0u);
  auto reversed = cli("audit export --from 2001-12-31 --to 2001-01-01 --out " + file);
  EXPECT_EQ(reversed.exit_code, 2);
  EXPECT_NE(reversed.err.find("before --from"), std::string::npos) << reversed.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCliTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

TEST(StoreCli, UnreachableDatabaseIsAClearError) {
  auto r = test::run_cli("audit verify --db sqlite:/nonexistent-dir/x.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db: cannot open SQLite database /nonexistent-dir/x.db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chipgate::store
