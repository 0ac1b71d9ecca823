// The administrative routes over HTTP, on both backends (server_fixture.h): API keys (create, list,
// revoke) and installed scenarios (validation, storage, use, a second instance on the same store),
// the role checks and audit records of each, and what `chipgate serve` records at start.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "io/catalog.h"
#include "server_fixture.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h

class AdminTest : public ServerTest {};

std::string key_id_of(const std::string& secret) {
  auto k = fx().db->lookup_key(secret);
  return k && k->key ? k->key->id : "";
}

// The scenarios and versions of the rules directory (counted from it, so that a new rule file does
// not change what these tests mean).
std::size_t file_scenarios() { return test::registry()->scenarios().size(); }
std::size_t rule_versions() { return test::registry()->versions().size(); }

std::vector<store::AuditRecord> records_after(std::int64_t before) {
  auto r = fx().db->audit_records(before + 1, 1000000);
  return r ? r.value() : std::vector<store::AuditRecord>{};
}

// The file scenario tpp-threshold-raised, with the 3A090.a.1 line at TPP 40000 instead of 9600.
const std::string kScenario = R"toml(# test scenario
[scenario]
name = "tpp-40000"
title = "3A090.a raised to TPP >= 40000 (test)"
description = "3A090.a.1 becomes TPP >= 40000; 3A090.a.2 and 3A090.b removed."
min_version = "2023-11-17"

[entries."3A090.a".prongs."a.1"]
text = "Scenario: a 'total processing performance' of 40000 or more."
all = [{ metric = "tpp", op = ">=", value = 40000 }]

[entries."3A090.a".prongs."a.2"]
removed = true

[entries."3A090.b"]
removed = true

[entries."4A090.b"]
removed = true

[entries."4A090"]
removed = true

[notes."3A090-non-datacenter"]
when = [
  { flag = "datacenter", is = false },
  { metric = "tpp", op = "<", value = 40000 },
]
)toml";

// A datacenter GPU with 1979 dense FP8 TFLOPS: TPP = 1979 x 8 bits = 15832 (dense TFLOPS already count
// both operations of a multiply-accumulate, the rule's 2 x MacTOPS). That is >= 4800
// (3A090.a.1 of every version since 2023-11-17: controlled) but < 40000 (the scenario's line), and
// with a.2 and 3A090.b removed nothing else can catch it: not controlled under the scenario.
const std::string kGpu = R"({"id":"x","kind":"gpu","datacenter":true,"rates":{"fp8":1979},"die_area_mm2":814})";

// ---- keys ------------------------------------------------------------------------------------

TEST_P(AdminTest, KeyCreatedOverHttpWorksIsListedWithoutSecretAndIsRefusedOnceRevoked) {
  const std::string admin_id = key_id_of(fx().admin);
  ASSERT_FALSE(admin_id.empty());
  const auto before = audit_count();
  auto r = call("POST", "/v1/keys", fx().admin, R"({"role":"analyst","name":"order desk","expires":"2099-12-31"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const json k = r.j();
  const std::string secret = k["key"];
  const std::string id = k["id"];
  EXPECT_EQ(secret.size(), 67u);  // "cg_" + 64 hex
  EXPECT_EQ(secret.substr(0, 3), "cg_");
  EXPECT_EQ(id.size(), 18u);  // "k-" + 16 hex
  EXPECT_EQ(k["role"], "analyst");
  EXPECT_EQ(k["name"], "order desk");
  EXPECT_EQ(k["expires"], "2099-12-31");
  EXPECT_EQ(k["status"], "active");
  // Audited once, as key.create by the admin key, without the secret.
  auto recs = records_after(before);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, "key.create");
  EXPECT_EQ(recs[0].actor, admin_id);
  EXPECT_EQ(recs[0].inputs.find(secret.substr(3)), std::string::npos);

  // The new key may decide (analyst) but not manage keys.
  EXPECT_EQ(call("POST", "/v1/decide", secret, kOrderDe).status, 200);
  EXPECT_EQ(call("GET", "/v1/keys", secret).status, 403);

  auto list = call("GET", "/v1/keys", fx().admin);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(secret.substr(3)), std::string::npos) << "a secret is listed";
  const json keys = list.j()["keys"];
  // The fixture's five keys (admin, analyst, viewer, revoked, expired) and this one.
  ASSERT_EQ(keys.size(), 6u);
  auto it = std::find_if(keys.begin(), keys.end(), [&](const json& x) { return x["id"] == id; });
  ASSERT_NE(it, keys.end());
  EXPECT_FALSE(it->contains("key"));
  EXPECT_FALSE(it->contains("key_hash"));
  EXPECT_EQ(std::count_if(keys.begin(), keys.end(), [](const json& x) { return x["status"] == "revoked"; }), 1);
  EXPECT_EQ(std::count_if(keys.begin(), keys.end(), [](const json& x) { return x["status"] == "expired"; }), 1);

  const auto before_revoke = audit_count();
  auto del = call("DELETE", "/v1/keys/" + id, fx().admin);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.j()["status"], "revoked");
  EXPECT_TRUE(del.j()["revoked"].is_string());
  recs = records_after(before_revoke);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, "key.revoke");
  EXPECT_EQ(recs[0].actor, admin_id);
  // From now on the key is refused, with the reason.
  auto refused = call("POST", "/v1/decide", secret, kOrderDe);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.j()["error"]["message"].get<std::string>().find("revoked"), std::string::npos) << refused.body;
  // Revoking again: 409; an unknown id: 404; not an id at all: 400. None of them writes a record.
  const auto before_errors = audit_count();
  EXPECT_EQ(call("DELETE", "/v1/keys/" + id, fx().admin).status, 409);
  auto unknown = call("DELETE", "/v1/keys/k-0000000000000000", fx().admin);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.j()["error"]["code"], "not_found");
  auto bad = call("DELETE", "/v1/keys/1%20OR%201=1", fx().admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["error"]["fields"][0]["field"], "id");
  EXPECT_EQ(audit_count(), before_errors);
}

TEST_P(AdminTest, BadKeyRequestsAre400WithTheFieldAndCreateNothing) {
  const auto before = audit_count();
  const auto keys_before = fx().db->list_keys().value().size();
  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"name":"x"})", "role"},
      {R"({"role":"root"})", "role"},
      {R"({"role":7})", "role"},
      {R"({"role":"viewer","colour":"red"})", "colour"},
      {R"({"role":"viewer","expires":"2020-01-01"})", "expires"},  // in the past: never valid
      {R"({"role":"viewer","expires":"2099-02-30"})", "expires"},  // no such day
      {R"({"role":"viewer","name":["a"]})", "name"},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/v1/keys", fx().admin, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    ASSERT_TRUE(r.j()["error"].contains("fields")) << r.body;
    EXPECT_EQ(r.j()["error"]["fields"][0]["field"], c.field) << r.body;
  }
  EXPECT_EQ(call("POST", "/v1/keys", fx().admin, R"({"role":)").status, 400);  // malformed JSON
  EXPECT_EQ(call("POST", "/v1/keys", fx().admin, R"(["viewer"])").status, 400);
  EXPECT_EQ(call("POST", "/v1/keys", fx().admin, R"({"role":"viewer"})", "text/plain").status, 415);
  EXPECT_EQ(audit_count(), before);
  EXPECT_EQ(fx().db->list_keys().value().size(), keys_before);
}

TEST_P(AdminTest, NonAdminKeysAre403OnEveryAdminRouteAndEveryDenialIsAccounted) {
  const auto keys_before = fx().db->list_keys().value().size();
  struct Case {
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/keys", R"({"role":"admin"})"},
      {"GET", "/v1/keys", ""},
      {"DELETE", "/v1/keys/" + key_id_of(fx().admin), ""},
      {"POST", "/v1/scenarios", R"({"toml":"x"})"},
  };
  for (const std::string& key : {fx().viewer, fx().analyst}) {
    const std::string id = key_id_of(key);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      const auto before = audit_count();
      auto r = call(c.method, c.path, key, c.body);
      EXPECT_EQ(r.status, 403) << c.method << " " << c.path << " -> " << r.body;
      EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("needs role admin"), std::string::npos) << r.body;
      // The first denial of a key (from this client, in the window) is recorded in full at once; the
      // others are counted and recorded together when the window ends (server/denials.h).
      auto recs = records_after(before);
      ASSERT_EQ(recs.size(), i == 0 ? 1u : 0u) << c.method << " " << c.path;
      if (i > 0) continue;
      EXPECT_EQ(recs[0].kind, "auth.denied");
      EXPECT_EQ(recs[0].actor, id);
      EXPECT_EQ(json::parse(recs[0].inputs)["route"], c.path);
      EXPECT_EQ(json::parse(recs[0].outputs)["count"], 1);
    }
  }
  // The window's end (here forced): one record per key carrying the three denials not yet recorded.
  const auto before_flush = audit_count();
  fx().service->run_deferred_work(true);
  auto summaries = records_after(before_flush);
  ASSERT_EQ(summaries.size(), 2u);
  for (const auto& s : summaries) {
    EXPECT_EQ(s.kind, "auth.denied");
    EXPECT_EQ(json::parse(s.outputs)["count"], 3);
    EXPECT_EQ(json::parse(s.outputs)["statuses"]["403"], 3);
    EXPECT_EQ(json::parse(s.inputs)["remote"], "127.0.0.1");
  }
  EXPECT_NE(summaries[0].actor, summaries[1].actor);
  // No key at all: 401.
  EXPECT_EQ(call("GET", "/v1/keys").status, 401);
  // Nothing was created or revoked: the admin key still works.
  EXPECT_EQ(fx().db->list_keys().value().size(), keys_before);
  EXPECT_EQ(call("GET", "/v1/keys", fx().admin).status, 200);
}

// ---- scenarios -------------------------------------------------------------------------------

TEST_P(AdminTest, InstalledScenarioIsStoredAuditedAndUsableAtOnce) {
  // Before: unknown scenario; the GPU is 3A090.a-controlled under the rules in force.
  auto unknown = call("POST", "/v1/classify?date=2025-06-01&scenario=tpp-40000", fx().analyst, kGpu);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  auto base = call("POST", "/v1/classify?date=2025-06-01", fx().analyst, kGpu);
  ASSERT_EQ(base.status, 200) << base.body;
  EXPECT_EQ(base.j()["status"], "controlled");

  const auto before = audit_count();
  auto r = call("POST", "/v1/scenarios", fx().admin, kScenario, "application/toml");
  ASSERT_EQ(r.status, 201) << r.body;
  const json out = r.j();
  EXPECT_EQ(out["name"], "tpp-40000");
  EXPECT_EQ(out["min_version"], "2023-11-17");
  // Compiled over every version from 2023-11-17 on (its min_version), as many as the rules
  // directory has (2023-11-17, 2024-04-04, ..., 2026-11-10).
  std::size_t from_min_version = 0;
  for (const auto& v : test::registry()->versions()) from_min_version += v->version.id >= "2023-11-17" ? 1 : 0;
  EXPECT_EQ(out["validated_over"].size(), from_min_version) << r.body;
  EXPECT_EQ(out["toml_sha256"].get<std::string>().size(), 64u);

  // One audit record, rules.install by the admin key, carrying the TOML itself.
  auto recs = records_after(before);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, "rules.install");
  EXPECT_EQ(recs[0].actor, key_id_of(fx().admin));
  EXPECT_EQ(json::parse(recs[0].inputs)["toml"], kScenario);
  EXPECT_EQ(recs[0].rule_set_hash, out["rule_set_hash"]);
  // Stored with its hash.
  auto stored = fx().db->installed_scenarios();
  ASSERT_TRUE(stored) << stored.message();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().name, "tpp-40000");
  EXPECT_EQ(stored->front().toml, kScenario);
  EXPECT_EQ(stored->front().toml_sha256, out["toml_sha256"]);

  // Usable at once: TPP 15832 < 40000, so no longer controlled under the scenario.
  auto c = call("POST", "/v1/classify?date=2025-06-01&scenario=tpp-40000", fx().analyst, kGpu);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["status"], "not_controlled") << c.body;
  // And by decide: the recorded decision names the scenario's rule set.
  auto d = call("POST", "/v1/decide?scenario=tpp-40000", fx().analyst, kOrderCn);
  ASSERT_EQ(d.status, 200) << d.body;
  auto back = call("GET", "/v1/decisions/" + std::to_string(d.j()["decision_id"].get<std::int64_t>()), fx().viewer);
  ASSERT_EQ(back.status, 200);
  const std::string label = back.j()["rule_set_id"];
  EXPECT_NE(label.find("+tpp-40000"), std::string::npos) << label;

  // Listed after the file scenarios (marked "rules"), marked as installed.
  auto list = call("GET", "/v1/scenarios", fx().viewer);
  ASSERT_EQ(list.status, 200);
  const json sc = list.j()["scenarios"];
  ASSERT_EQ(sc.size(), file_scenarios() + 1);
  EXPECT_EQ(sc[file_scenarios()]["name"], "tpp-40000");
  EXPECT_EQ(sc[file_scenarios()]["source"], "installed");
  EXPECT_EQ(sc[0]["source"], "rules");

  auto v = fx().db->verify_audit();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_P(AdminTest, JsonFormInstallsAndItsNameMustMatchTheToml) {
  json body = {{"name", "tpp-40000"}, {"toml", kScenario}};
  auto r = call("POST", "/v1/scenarios", fx().admin, body.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  std::string other = kScenario;
  other.replace(other.find("tpp-40000"), 9, "tpp-40001");
  body = {{"name", "something-else"}, {"toml", other}};
  auto mismatch = call("POST", "/v1/scenarios", fx().admin, body.dump());
  EXPECT_EQ(mismatch.status, 422) << mismatch.body;
  EXPECT_NE(mismatch.body.find("does not match"), std::string::npos) << mismatch.body;
  EXPECT_EQ(call("POST", "/v1/scenarios", fx().admin, R"({"toml":"x","extra":1})").status, 400);
  EXPECT_EQ(call("POST", "/v1/scenarios", fx().admin, R"({"name":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/v1/scenarios", fx().admin, "", "application/toml").status, 400);
  EXPECT_EQ(call("POST", "/v1/scenarios", fx().admin, kScenario, "image/png").status, 415);
  EXPECT_EQ(fx().db->installed_scenarios().value().size(), 1u);
}

TEST_P(AdminTest, BadScenariosAreRefusedNamingLineAndFieldAndStoreNothing) {
  const auto before = audit_count();
  struct Case {
    std::string what;
    std::string toml;
    int status;
    int line;           // expected fields[0].line (worked out from the text), 0 = not checked
    std::string field;  // expected fields[0].field, "" = not checked
  };
  auto with = [](const std::string& from, const std::string& to) {
    std::string t = kScenario;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<Case> cases = {
      // Line 4 of kScenario is the title: an unterminated string there is a TOML syntax error.
      {"syntax", with("title = \"3A090.a raised to TPP >= 40000 (test)\"", "title = \"unterminated"), 400, 4, ""},
      // An unknown key in [scenario]: inserted after min_version (line 6), so on line 7.
      {"unknown key", with("min_version = \"2023-11-17\"", "min_version = \"2023-11-17\"\ncolour = \"red\""), 422, 7,
       "scenario"},
      {"unknown base", with("min_version = \"2023-11-17\"", "base = \"1999-01-01\""), 422, 0, ""},
      // An unknown metric in a condition (line 10: the all = [...] of a.1).
      {"unknown metric", with(R"(metric = "tpp", op = ">=")", R"(metric = "tops", op = ">=")"), 422, 10,
       "entries.3A090.a.prongs.a.1.all[0]"},
      {"no [scenario]", "[entries.\"3A090.b\"]\nremoved = true\n", 422, 0, "scenario.name"},
      {"bad name", with("name = \"tpp-40000\"", "name = \"../etc/passwd\""), 422, 0, "scenario.name"},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/v1/scenarios", fx().admin, c.toml, "application/toml");
    EXPECT_EQ(r.status, c.status) << c.what << " -> " << r.body;
    const json j = r.j();
    ASSERT_TRUE(j.contains("error")) << r.body;
    ASSERT_TRUE(j["error"].contains("fields")) << c.what << ": " << r.body;
    if (c.line) {
      EXPECT_EQ(j["error"]["fields"][0].value("line", 0), c.line) << c.what << ": " << r.body;
    }
    if (!c.field.empty()) {
      EXPECT_EQ(j["error"]["fields"][0]["field"], c.field) << c.what << ": " << r.body;
    }
  }
  EXPECT_EQ(audit_count(), before);
  EXPECT_TRUE(fx().db->installed_scenarios().value().empty());
  EXPECT_EQ(call("GET", "/v1/scenarios", fx().viewer).j()["scenarios"].size(), file_scenarios());  // the files only
}

TEST_P(AdminTest, ScenarioNamesAreInstalledOnceAndNeverChangeMeaning) {
  ASSERT_EQ(call("POST", "/v1/scenarios", fx().admin, kScenario, "application/toml").status, 201);
  const auto before = audit_count();
  // The same text again: accepted, nothing new recorded.
  auto again = call("POST", "/v1/scenarios", fx().admin, kScenario, "application/toml");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.j()["already_installed"], true);
  // Other text under the same name: 409.
  auto other = call("POST", "/v1/scenarios", fx().admin, std::string(kScenario) + "\n# changed\n", "application/toml");
  EXPECT_EQ(other.status, 409) << other.body;
  // The name of a scenario file of the rules directory: 409.
  std::string file_name = kScenario;
  file_name.replace(file_name.find("tpp-40000"), 9, "hbm-rollback");
  auto taken = call("POST", "/v1/scenarios", fx().admin, file_name, "application/toml");
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(audit_count(), before);
  EXPECT_EQ(fx().db->installed_scenarios().value().size(), 1u);
}

TEST_P(AdminTest, AScenarioInstalledThroughOneInstanceIsKnownToASecondOnTheSameStore) {
  ASSERT_EQ(call("POST", "/v1/scenarios", fx().admin, kScenario, "application/toml").status, 201);
  // A second server on the same database (for PostgreSQL: the same schema), started afterwards.
  Fixture second(spec());
  auto list = call_at(second.port, "GET", "/v1/scenarios", second.viewer);
  ASSERT_EQ(list.status, 200);
  const json sc = list.j()["scenarios"];
  ASSERT_EQ(sc.size(), file_scenarios() + 1) << list.body;
  EXPECT_EQ(sc[file_scenarios()]["name"], "tpp-40000");
  auto c = call_at(second.port, "POST", "/v1/classify?date=2025-06-01&scenario=tpp-40000", second.analyst, kGpu);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["status"], "not_controlled");
  // Posting it through the second instance is "already installed", not a second record.
  auto again = call_at(second.port, "POST", "/v1/scenarios", second.admin, kScenario, "application/toml");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(fx().db->installed_scenarios().value().size(), 1u);
}

TEST_P(AdminTest, AScenarioInstalledThroughOneRunningInstanceIsUsedByAnotherWithoutARestart) {
  // Two more servers on the same store, both started before the install.
  Fixture second(spec());
  Fixture third(spec());
  const std::string classify = "/v1/classify?date=2025-06-01&scenario=tpp-40000";
  ASSERT_EQ(call_at(second.port, "POST", classify, second.analyst, kGpu).status, 400);  // unknown so far
  ASSERT_EQ(call("POST", "/v1/scenarios", fx().admin, kScenario, "application/toml").status, 201);

  // The second instance has not restarted: a request naming the scenario loads it from the store.
  // TPP 15832 < 40000 (kGpu): not controlled under the scenario.
  auto c = call_at(second.port, "POST", classify, second.analyst, kGpu);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["status"], "not_controlled") << c.body;
  auto d = call_at(second.port, "POST", "/v1/decide?scenario=tpp-40000", second.analyst, kOrderCn);
  ASSERT_EQ(d.status, 200) << d.body;
  auto back = call_at(second.port, "GET", "/v1/decisions/" + std::to_string(d.j()["decision_id"].get<std::int64_t>()),
                      second.viewer);
  ASSERT_EQ(back.status, 200);
  EXPECT_NE(back.j()["rule_set_id"].get<std::string>().find("+tpp-40000"), std::string::npos) << back.body;

  // The third lists it (GET /v1/scenarios asks the store), 4 file scenarios + the installed one, and
  // GET /v1/rules too.
  auto list = call_at(third.port, "GET", "/v1/scenarios", third.viewer);
  ASSERT_EQ(list.status, 200);
  const json sc = list.j()["scenarios"];
  ASSERT_EQ(sc.size(), file_scenarios() + 1) << list.body;
  EXPECT_EQ(sc[file_scenarios()]["name"], "tpp-40000");
  EXPECT_EQ(sc[file_scenarios()]["source"], "installed");
  auto rules = call_at(third.port, "GET", "/v1/rules", third.viewer);
  ASSERT_EQ(rules.status, 200);
  EXPECT_EQ(rules.j()["scenarios"].size(), file_scenarios() + 1);

  // A name unknown to the store too: the usual 400 naming the scenario.
  auto unknown = call_at(second.port, "POST", "/v1/classify?scenario=no-such-scenario", second.analyst, kGpu);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.j()["error"]["fields"][0]["field"], "scenario");
  // Loading is not installing: the store still has one install record of it.
  EXPECT_EQ(fx().db->installed_scenarios().value().size(), 1u);
  auto recs = fx().db->audit_records(1, 1000000);
  EXPECT_EQ(std::count_if(recs->begin(), recs->end(),
                          [](const store::AuditRecord& r) {
                            return r.kind == "rules.install" && r.rule_set_id.find("+") != std::string::npos;
                          }),
            1);
}

TEST_P(AdminTest, AStoredScenarioThatIsNotValidHereIsRefusedWithTheReason) {
  // Written straight into the store (as an instance with other rule files might have): valid TOML,
  // but "nonsense" is no metric of the rules vocabulary.
  store::RuleInstall install;
  install.scenario = "broken-here";
  install.rule_set_id = "+broken-here";
  install.toml = R"toml([scenario]
name = "broken-here"
title = "a scenario this instance cannot compile"

[entries."3A090.a".prongs."a.1"]
all = [{ metric = "nonsense", op = ">=", value = 1 }]
)toml";
  ASSERT_TRUE(fx().db->record_rules_install("test", install));
  auto c = call("POST", "/v1/classify?date=2025-06-01&scenario=broken-here", fx().analyst, kGpu);
  ASSERT_EQ(c.status, 400) << c.body;
  const std::string message = c.j()["error"]["message"];
  EXPECT_NE(message.find("installed scenario 'broken-here'"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid with this instance's rules"), std::string::npos) << message;
  EXPECT_EQ(c.j()["error"]["fields"][0]["field"], "scenario");
  // Listing still works and leaves it out; the problem is logged once, not per request.
  auto list = call("GET", "/v1/scenarios", fx().viewer);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.j()["scenarios"].size(), file_scenarios()) << list.body;
  EXPECT_EQ(call("POST", "/v1/classify?scenario=broken-here", fx().analyst, kGpu).status, 400);
  std::lock_guard lock(fx().log_mutex);
  EXPECT_EQ(std::count_if(fx().log.begin(), fx().log.end(),
                          [](const std::string& l) { return l.find("'broken-here'") != std::string::npos; }),
            1);
}

// ---- what is recorded at start -----------------------------------------------------------------

TEST_P(AdminTest, StartRecordsRuleVersionsAndProductsOnceUntilTheyChange) {
  // The fixture's server started on an empty store: one rules.install per version file of
  // rules/us-ear (2022-10-07 ... 2026-11-10), by "system:serve".
  auto versions = fx().db->rule_versions();
  ASSERT_TRUE(versions) << versions.message();
  ASSERT_EQ(versions->size(), rule_versions());
  for (const auto& v : versions.value()) {
    EXPECT_EQ(v.actor, "system:serve");
    EXPECT_TRUE(v.scenario.empty());
    EXPECT_EQ(v.rule_set_hash.size(), 64u);
  }
  // The catalog's products are stored (data/sample-catalog.csv has the H100 SXM5 row).
  auto h100 = fx().db->get_product("nvidia-h100-sxm5-80gb");
  ASSERT_TRUE(h100) << h100.message();
  ASSERT_TRUE(h100.value().has_value());
  EXPECT_EQ(h100.value()->data["vendor"], "NVIDIA");
  auto count_kind = [](const std::string& kind) {
    auto recs = fx().db->audit_records(1, 1000000);
    return std::count_if(recs->begin(), recs->end(), [&](const store::AuditRecord& r) { return r.kind == kind; });
  };
  EXPECT_EQ(count_kind("catalog.import"), 1);
  // A second start on the same store records neither again (same rule files, same catalog).
  Fixture second(spec());
  EXPECT_EQ(fx().db->rule_versions().value().size(), rule_versions());
  EXPECT_EQ(count_kind("catalog.import"), 1);
  EXPECT_EQ(count_kind("rules.install"), static_cast<std::ptrdiff_t>(rule_versions()));
}

TEST_P(AdminTest, ProductsAreStoredUnderTheCatalogsNamesAndOldRecordsStillRead) {
  // A one-row catalog whose vendor publishes a TPP: 4000.
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/catalog.csv",
                   "id,vendor,name,kind,datacenter,dense_tflops_fp8,die_area_mm2,tpp_published\n"
                   "test-gpu,Acme,Test GPU,gpu,yes,100,500,4000\n");
  auto with_catalog = [&](ServiceOptions& o) { o.catalog = dir + "/catalog.csv"; };
  auto catalog_imports = [] {
    auto recs = fx().db->audit_records(1, 1000000);
    return std::count_if(recs->begin(), recs->end(),
                         [](const store::AuditRecord& r) { return r.kind == "catalog.import"; });
  };
  const auto imports = catalog_imports();
  Fixture second(spec(), with_catalog);
  ASSERT_EQ(catalog_imports(), imports + 1);
  auto stored = fx().db->get_product("test-gpu");
  ASSERT_TRUE(stored && stored.value()) << "the product was not stored";
  const json data = stored.value()->data;
  EXPECT_EQ(data["tpp_published"], 4000.0) << data.dump();
  EXPECT_FALSE(data.contains("tpp_declared")) << data.dump();
  // The stored record is an item in the catalog's JSON form: it reads back as the same product.
  std::string field;
  auto item = io::item_from_json(data, field);
  ASSERT_TRUE(item) << field << ": " << item.message();
  EXPECT_EQ(item->tpp_declared, 4000.0);
  EXPECT_EQ(item->die_area_mm2, 500.0);
  EXPECT_EQ(item->vendor, "Acme");

  // A record written by an earlier version, with the TPP under "tpp_declared": read as the same
  // product, so the next start does not import the unchanged catalog again.
  json old = data;
  old["tpp_declared"] = old["tpp_published"];
  old.erase("tpp_published");
  ASSERT_TRUE(fx().db->put_products("test", {{"test-gpu", old}}));
  const auto after_old = catalog_imports();
  Fixture third(spec(), with_catalog);
  EXPECT_EQ(catalog_imports(), after_old);
  // A real change is still recorded.
  test::write_file(dir + "/catalog.csv",
                   "id,vendor,name,kind,datacenter,dense_tflops_fp8,die_area_mm2,tpp_published\n"
                   "test-gpu,Acme,Test GPU,gpu,yes,100,500,4100\n");
  Fixture fourth(spec(), with_catalog);
  EXPECT_EQ(catalog_imports(), after_old + 1);
  EXPECT_EQ(fx().db->get_product("test-gpu").value()->data["tpp_published"], 4100.0);
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminTest, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server
