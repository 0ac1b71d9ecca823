// chipgate keys create|list|revoke: API keys for `chipgate serve` (stored hashed; see docs/store.md).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/store_cli.h"
#include "io/classification_output.h"
#include "store/store.h"

namespace chipgate::cli {

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user && *user ? user : "local");
}

Result<std::unique_ptr<store::Store>> open_store(const std::string& db_flag, store::OpenOptions::Mode mode) {
  store::OpenOptions options;
  options.mode = mode;
  auto st = store::Store::open(db_flag.empty() ? store::Store::default_spec() : db_flag, options);
  if (!st) return Result<std::unique_ptr<store::Store>>::error("--db: " + st.message());
  return st;
}

namespace {

struct KeysOptions {
  std::string db;
  std::string role;
  std::string name;
  std::string expires;
  std::string key_id;
  std::string format = "table";
};

int create(const KeysOptions& o) {
  auto role = store::parse_role(o.role);
  if (!role) {
    std::cerr << "chipgate: --" << role.message() << "\n";
    return kExitFatal;
  }
  std::optional<Date> expires;
  if (!o.expires.empty()) {
    auto d = Date::parse(o.expires);
    if (!d) {
      std::cerr << "chipgate: --expires: " << d.message() << "\n";
      return kExitFatal;
    }
    expires = d.value();
  }
  // The rule the API applies too (store::check_key_expiry), checked before a database is opened.
  if (Status s = store::check_key_expiry(expires); !s) {
    std::cerr << "chipgate: --" << s.message() << "\n";
    return kExitFatal;
  }
  auto st = open_store(o.db);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto key = st.value()->create_key(cli_actor(), role.value(), o.name, expires);
  if (!key) {
    std::cerr << "chipgate: keys create: " << key.message() << "\n";
    return kExitFatal;
  }
  // The secret alone on stdout (KEY=$(chipgate keys create ...)); the explanation on stderr.
  std::cout << key->secret << "\n";
  std::cerr << "created API key " << key->info.id << " (role " << store::role_name(key->info.role)
            << (expires ? ", expires " + expires->to_string() : std::string()) << ") in "
            << (o.db.empty() ? store::Store::default_spec() : o.db)
            << ".\nThis is the only time the key is shown: only its SHA-256 is stored.\n"
            << "Use it as: Authorization: Bearer <key>\n";
  return kExitOk;
}

int list(const KeysOptions& o) {
  auto st = open_store(o.db, store::OpenOptions::Mode::kReadOnly);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto keys = st.value()->list_keys();
  if (!keys) {
    std::cerr << "chipgate: keys list: " << keys.message() << "\n";
    return kExitFatal;
  }
  if (o.format == "json") {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& k : keys.value())
      a.push_back({{"id", k.id},
                   {"name", k.name},
                   {"role", store::role_name(k.role)},
                   {"created", k.created},
                   {"expires", k.expires ? nlohmann::json(k.expires->to_string()) : nlohmann::json(nullptr)},
                   {"revoked", k.revoked ? nlohmann::json(*k.revoked) : nlohmann::json(nullptr)}});
    std::cout << a.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"id", "name", "role", "created", "expires", "revoked"}};
  for (const auto& k : keys.value())
    rows.push_back({k.id, k.name, std::string(store::role_name(k.role)), k.created,
                    k.expires ? k.expires->to_string() : "-", k.revoked.value_or("-")});
  std::cout << io::render_table(rows) << "\n";
  return kExitOk;
}

int revoke(const KeysOptions& o) {
  auto st = open_store(o.db, store::OpenOptions::Mode::kExisting);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  if (Status s = st.value()->revoke_key(cli_actor(), o.key_id); !s) {
    std::cerr << "chipgate: keys revoke: " << s.message() << "\n";
    return kExitRowErrors;
  }
  std::cout << "revoked API key " << o.key_id << "\n";
  return kExitOk;
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeysOptions>();
  auto* cmd = app.add_subcommand("keys", "Create, list and revoke API keys for chipgate serve");
  cmd->require_subcommand(1);
  const std::string db_help = "Store: sqlite:PATH or postgresql://... (default: $CHIPGATE_DB, else sqlite:chipgate.db)";

  auto* c = cmd->add_subcommand("create", "Create a key and print it once (only its hash is stored)");
  c->add_option("--role", o->role, "admin, analyst or viewer")->required();
  c->add_option("--name", o->name, "Who or what the key is for");
  c->add_option("--expires", o->expires, "Refused from this date on (YYYY-MM-DD, UTC)");
  c->add_option("--db", o->db, db_help);
  c->callback([o, &exit_code] { exit_code = create(*o); });

  auto* l = cmd->add_subcommand("list", "List keys (ids, roles, expiry, revocation; never the secrets)");
  l->add_option("--db", o->db, db_help);
  l->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  l->callback([o, &exit_code] { exit_code = list(*o); });

  auto* r = cmd->add_subcommand("revoke", "Revoke a key by its id (k-...)");
  r->add_option("key_id", o->key_id, "Key id as shown by keys create / keys list")->required();
  r->add_option("--db", o->db, db_help);
  r->callback([o, &exit_code] { exit_code = revoke(*o); });
}

}  // namespace chipgate::cli
