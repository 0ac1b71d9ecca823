// `chipgate keys` and `chipgate audit` through the real binary, on both backends.
#include <gtest/gtest.h>
#include <sys/wait.h>

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

TEST_P(StoreCliTest, KeysCreateRefusesAnExpiryThatIsNotAfterToday) {
  // The API's rule (400 on "expires"), on the command line too: such a key could never be used.
  const std::string today = Date::today_utc().to_string();
  for (const std::string& date : {std::string("2020-01-01"), today}) {
    auto r = cli("keys create --role viewer --expires " + date);
    EXPECT_EQ(r.exit_code, 2) << date << ": " << r.err;
    EXPECT_NE(r.err.find("--expires: " + date + " is not after today"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << "a key was printed: " << r.out;
  }
  EXPECT_TRUE(store_->list_keys().value().empty());
  EXPECT_EQ(cli("keys create --role viewer --expires " + Date::today_utc().plus_days(1).to_string()).exit_code, 0);
}

TEST_P(StoreCliTest, AuditVerifyNamesARoleRaisedInTheDatabase) {
  auto created = cli("keys create --role viewer --name auditor");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string id = store_->list_keys().value().front().id;
  ASSERT_EQ(cli("audit verify").exit_code, 0);
  sql("UPDATE api_keys SET role = 'admin' WHERE id = '" + id + "'");
  auto r = cli("audit verify");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("audit chain intact"), std::string::npos) << r.out;  // the records are untouched...
  EXPECT_NE(r.out.find("api_keys " + id + ": API key " + id + " differs from what audit record 1 recorded"),
            std::string::npos)
      << r.out;  // ...the key row is not
  auto js = nlohmann::json::parse(cli("audit verify --format json").out);
  EXPECT_EQ(js["ok"], false);
  EXPECT_EQ(js["row_problems"][0]["table"], "api_keys");
  EXPECT_EQ(js["row_problems"][0]["key"], id);
  EXPECT_EQ(js["row_problems"][0]["audit_id"], 1);
}

TEST_P(StoreCliTest, SignedHeadCatchesATruncatedChainWithARewrittenHead) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->append_audit(admin_event(i)));
  const std::string dir = test::temp_dir();
  auto keygen = test::run_cli("audit keygen --out " + dir + "/head.key");
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  EXPECT_EQ(std::filesystem::status(dir + "/head.key").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // A second keygen never overwrites a key.
  EXPECT_EQ(test::run_cli("audit keygen --out " + dir + "/head.key").exit_code, 2);
  auto head = cli("audit head --key " + dir + "/head.key --out " + dir + "/head.json");
  ASSERT_EQ(head.exit_code, 0) << head.err;
  auto anchor = nlohmann::json::parse(read(dir + "/head.json"));
  EXPECT_EQ(anchor["id"], 5);
  EXPECT_EQ(anchor["hash"], store_->audit_records(5, 1).value().front().hash);
  EXPECT_EQ(anchor["first_hash"], store_->audit_records(1, 1).value().front().hash);
  const std::string verify_head = "audit verify --head " + dir + "/head.json --public-key " + dir + "/head.key.pub";
  auto ok = cli(verify_head);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("the chain extends it"), std::string::npos) << ok.out;
  // Later records extend the anchor.
  ASSERT_TRUE(store_->append_audit(admin_event(6)));
  EXPECT_EQ(cli(verify_head).exit_code, 0);

  // Cut the tail (records 4-6) and rewrite the head to record 3: consistent on its own...
  const std::string hash3 = store_->audit_records(3, 1).value().front().hash;
  sql("DELETE FROM audit_log WHERE id > 3");
  sql("UPDATE audit_head SET last_id = 3, last_hash = '" + hash3 + "'");
  EXPECT_EQ(cli("audit verify").exit_code, 0) << "truncation is invisible without an anchor";
  // ...but not against the anchor taken at record 5.
  auto cut = cli(verify_head);
  EXPECT_EQ(cut.exit_code, 1) << cut.out;
  EXPECT_NE(cut.out.find("record 5 no longer exists"), std::string::npos) << cut.out;

  // A forged anchor (its record number changed) and an anchor signed by another key are refused.
  anchor["id"] = 2;
  test::write_file(dir + "/forged.json", anchor.dump());
  auto forged = cli("audit verify --head " + dir + "/forged.json");
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_NE(forged.out.find("signature does not match"), std::string::npos) << forged.out;
  ASSERT_EQ(test::run_cli("audit keygen --out " + dir + "/other.key").exit_code, 0);
  auto other = cli("audit verify --head " + dir + "/head.json --public-key " + dir + "/other.key.pub");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.out.find("not by the trusted key"), std::string::npos) << other.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCliTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

TEST(StoreCli, ReadOnlyCommandsNeverCreateADatabase) {
  // A mistyped --db: "no such database" (exit 2), not an empty store reported intact.
  const std::string dir = test::temp_dir();
  for (const std::string& cmd : {std::string("audit verify"), std::string("keys list"),
                                 std::string("audit export --from 2026-01-01 --to 2026-01-02 --out ") + dir + "/x.json",
                                 std::string("keys revoke k-0123456789abcdef")}) {
    auto r = test::run_cli(cmd + " --db sqlite:" + dir + "/MISTYPED");
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("no such database"), std::string::npos) << cmd << ": " << r.err;
    EXPECT_EQ(r.out.find("intact"), std::string::npos) << cmd << ": " << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir + "/MISTYPED")) << cmd << " created the database";
  }
  // Without --db, in a directory without chipgate.db: none is created there either.
  const std::string cmd = "cd " + dir + " && env -u CHIPGATE_DB " + test::cli_path() + " keys list >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/chipgate.db"));
}

TEST(StoreCli, UnreachableDatabaseIsAClearError) {
  auto r = test::run_cli("audit verify --db sqlite:/nonexistent-dir/x.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db: no such database: /nonexistent-dir/x.db does not exist"), std::string::npos) << r.err;
  r = test::run_cli("keys create --role viewer --db sqlite:/nonexistent-dir/x.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db: cannot open SQLite database /nonexistent-dir/x.db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chipgate::store
