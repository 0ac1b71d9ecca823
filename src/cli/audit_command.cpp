// chipgate audit verify|export|keygen|head: check the hash chain of the audit log and the rows bound
// into it (against signed anchors of its head, too); write a self-contained report (JSON and HTML)
// of the records in a date range; create the key that signs anchors; export a signed anchor.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/store_cli.h"
#include "core/html.h"
#include "io/classification_output.h"
#include "store/head_anchor.h"
#include "store/store.h"

namespace chipgate::cli {

namespace {

struct AuditOptions {
  std::string db;
  std::string from;
  std::string to;
  std::string out;
  std::string format = "text";
  std::vector<std::string> heads;  // verify --head: anchor files
  std::string public_key;          // verify --public-key: the key the anchors must be signed by
  std::string key;                 // head --key: the private key file
};

constexpr const char* kHashRule =
    "hash = SHA-256 of \"chipgate-audit-v1\\n\" followed by the compact JSON array [id, time, actor, kind, "
    "rule_set_id, rule_set_hash, list_snapshot_id, prev_hash, inputs, outputs], where inputs and outputs are the "
    "stored JSON texts embedded as JSON strings; prev_hash is the hash of the record before (64 zeros for record 1).";

nlohmann::json report_json(const store::VerifyReport& r) {
  nlohmann::json j = {{"ok", r.ok}, {"records_checked", r.records}, {"head_hash", r.head_hash}};
  if (r.first_bad) j["first_bad_record"] = *r.first_bad;
  if (r.first_bad) j["problem"] = r.problem;
  j["rows_checked"] = r.rows_checked;
  j["row_problems_total"] = r.row_problems_total;
  j["row_problems"] = nlohmann::json::array();
  for (const auto& p : r.row_problems)
    j["row_problems"].push_back({{"table", p.table}, {"key", p.key}, {"audit_id", p.audit_id}, {"problem", p.problem}});
  j["limits"] = r.limits;
  return j;
}

// One --head anchor checked against the verified chain: its signature, then that the chain extends it.
nlohmann::json check_anchor(store::Store& st, const store::VerifyReport& rep, const std::string& path,
                            const std::string& public_key) {
  nlohmann::json j = {{"file", path}, {"ok", false}};
  auto head = store::read_head_file(path);
  if (!head) {
    j["problem"] = head.message();
    return j;
  }
  j["record"] = head->id;
  j["time"] = head->time;
  j["key_id"] = head->key_id;
  j["key_trusted"] = !public_key.empty();
  if (Status s = store::check_head_signature(head.value(), public_key); !s) {
    j["problem"] = "signature: " + s.message();
  } else if (Status e = store::check_head_extends(st, rep, head.value()); !e) {
    j["problem"] = e.message();
  } else {
    j["ok"] = true;
  }
  return j;
}

void print_report(const store::VerifyReport& rep, const nlohmann::json& anchors, bool key_given) {
  if (rep.first_bad)
    std::cout << "audit chain BROKEN at record " << *rep.first_bad << ": " << rep.problem << "\n"
              << "(" << rep.records << " records before it verified)\n";
  else
    std::cout << "audit chain intact: " << rep.records << " records, head " << rep.head_hash << "\n";
  if (rep.row_problems_total > 0) {
    std::cout << "rows edited outside the store: " << rep.row_problems_total << " (" << rep.rows_checked
              << " rows matched the chain)\n";
    for (const auto& p : rep.row_problems) std::cout << "  " << p.table << " " << p.key << ": " << p.problem << "\n";
    if (rep.row_problems_total > static_cast<std::int64_t>(rep.row_problems.size()))
      std::cout << "  ... and " << rep.row_problems_total - static_cast<std::int64_t>(rep.row_problems.size())
                << " more\n";
  } else if (!rep.first_bad && rep.rows_checked > 0) {
    std::cout << "rows bound into the chain: " << rep.rows_checked << " checked, all match\n";
  }
  for (const auto& l : rep.limits) std::cout << "not checked: " << l << "\n";
  for (const auto& a : anchors) {
    std::cout << "anchor " << a["file"].get<std::string>();
    if (a.contains("record"))
      std::cout << " (record " << a["record"] << ", " << a["time"].get<std::string>() << ", key "
                << a["key_id"].get<std::string>() << (a["key_trusted"].get<bool>() ? "" : ", key not checked") << ")";
    std::cout << (a["ok"].get<bool>() ? ": the chain extends it\n"
                                      : ": FAILED: " + a["problem"].get<std::string>() + "\n");
  }
  if (!anchors.empty() && !key_given)
    std::cout << "(each anchor's signature was checked with the key it names; give --public-key to require yours)\n";
}

int verify(const AuditOptions& o) {
  auto st = open_store(o.db, store::OpenOptions::Mode::kReadOnly);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto rep = st.value()->verify_audit();
  if (!rep) {
    std::cerr << "chipgate: audit verify: " << rep.message() << "\n";
    return kExitFatal;
  }
  nlohmann::json anchors = nlohmann::json::array();
  bool anchors_ok = true;
  for (const auto& path : o.heads) {
    anchors.push_back(check_anchor(*st.value(), rep.value(), path, o.public_key));
    anchors_ok = anchors_ok && anchors.back()["ok"].get<bool>();
  }
  if (o.format == "json") {
    nlohmann::json j = report_json(rep.value());
    if (!o.heads.empty()) j["anchors"] = anchors;
    j["ok"] = rep->ok && anchors_ok;
    std::cout << j.dump(2) << "\n";
  } else {
    print_report(rep.value(), anchors, !o.public_key.empty());
  }
  return rep->ok && anchors_ok ? kExitOk : kExitRowErrors;
}

int keygen(const AuditOptions& o) {
  auto id = store::generate_head_key(o.out);
  if (!id) {
    std::cerr << "chipgate: audit keygen: " << id.message() << "\n";
    return kExitFatal;
  }
  std::cout << "wrote " << o.out << " (Ed25519 private key, mode 0600) and " << o.out << ".pub; key id " << id.value()
            << "\nKeep the private key off the database's machine if you can; give the .pub to whoever verifies.\n";
  return kExitOk;
}

int head(const AuditOptions& o) {
  auto signer = store::HeadSigner::load(o.key);
  if (!signer) {
    std::cerr << "chipgate: --key: " << signer.message() << "\n";
    return kExitFatal;
  }
  auto st = open_store(o.db, store::OpenOptions::Mode::kReadOnly);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto h = st.value()->chain_head();
  if (!h) {
    std::cerr << "chipgate: audit head: " << h.message() << "\n";
    return kExitFatal;
  }
  auto signed_head = signer.value()->sign(h.value());
  if (!signed_head) {
    std::cerr << "chipgate: audit head: " << signed_head.message() << "\n";
    return kExitFatal;
  }
  const std::string text = signed_head->to_json().dump(2) + "\n";
  if (o.out.empty() || o.out == "-") {
    std::cout << text;
    return kExitOk;
  }
  if (Status s = store::write_file_atomically(o.out, text); !s) {
    std::cerr << "chipgate: --out: " << s.message() << "\n";
    return kExitFatal;
  }
  std::cout << "wrote " << o.out << ": record " << h->id << ", hash " << h->hash << ", signed by key "
            << signer.value()->key_id() << "\n";
  return kExitOk;
}

std::string render_html(const nlohmann::json& report) {
  const auto& chain = report["chain"];
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>chipgate audit report " +
       html_escape(report["from"].get<std::string>()) + " to " + html_escape(report["to"].get<std::string>()) +
       "</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
       "table{border-collapse:collapse;width:100%;font-size:13px}\n"
       "th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}\n"
       "th{background:#f0f0f0}pre{margin:0;white-space:pre-wrap;word-break:break-word;max-width:40em}\n"
       ".ok{color:#060;font-weight:bold}.bad{color:#b00;font-weight:bold}.hash{font-family:monospace;"
       "font-size:11px;word-break:break-all}\n.note{background:#fff8e0;border:1px solid #e0c060;padding:8px}\n"
       "</style></head><body>\n";
  h += "<h1>chipgate audit report</h1>\n<p>Records from <b>" + html_escape(report["from"].get<std::string>()) +
       "</b> to <b>" + html_escape(report["to"].get<std::string>()) + "</b> (UTC, inclusive); generated " +
       html_escape(report["generated"].get<std::string>()) + " from a " +
       html_escape(report["backend"].get<std::string>()) + " store.</p>\n";
  if (!chain.contains("first_bad_record"))
    h += "<p class=\"ok\">Hash chain intact: " + std::to_string(chain["records_checked"].get<std::int64_t>()) +
         " records verified; head " + html_escape(chain["head_hash"].get<std::string>()) + "</p>\n";
  else
    h += "<p class=\"bad\">Hash chain BROKEN at record " +
         std::to_string(chain["first_bad_record"].get<std::int64_t>()) + ": " +
         html_escape(chain["problem"].get<std::string>()) + "</p>\n";
  if (chain["row_problems_total"].get<std::int64_t>() > 0) {
    h += "<p class=\"bad\">Rows edited outside the store: " +
         std::to_string(chain["row_problems_total"].get<std::int64_t>()) + "</p>\n<ul>\n";
    for (const auto& p : chain["row_problems"])
      h += "<li>" +
           html_escape(p["table"].get<std::string>() + " " + p["key"].get<std::string>() + ": " +
                       p["problem"].get<std::string>()) +
           "</li>\n";
    h += "</ul>\n";
  }
  for (const auto& l : chain["limits"])
    h += "<p class=\"note\">Not checked: " + html_escape(l.get<std::string>()) + "</p>\n";
  h += "<p>" + std::to_string(report["records"].size()) +
       " records in the range. How each hash is computed: " + html_escape(kHashRule) + "</p>\n";
  h += "<table>\n<tr><th>id</th><th>time</th><th>actor</th><th>kind</th><th>rule set</th><th>list snapshot</th>"
       "<th>inputs</th><th>outputs</th><th>prev_hash / hash</th></tr>\n";
  for (const auto& r : report["records"]) {
    h += "<tr><td>" + std::to_string(r["id"].get<std::int64_t>()) + "</td><td>" +
         html_escape(r["time"].get<std::string>()) + "</td><td>" + html_escape(r["actor"].get<std::string>()) +
         "</td><td>" + html_escape(r["kind"].get<std::string>()) + "</td><td>" +
         html_escape(r["rule_set_id"].get<std::string>()) + "<br><span class=\"hash\">" +
         html_escape(r["rule_set_hash"].get<std::string>()) + "</span></td><td class=\"hash\">" +
         html_escape(r["list_snapshot_id"].get<std::string>()) + "</td><td><pre>" +
         html_escape(r["inputs"].dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
         "</pre></td><td><pre>" +
         html_escape(r["outputs"].dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
         "</pre></td><td class=\"hash\">" + html_escape(r["prev_hash"].get<std::string>()) + "<br>" +
         html_escape(r["hash"].get<std::string>()) + "</td></tr>\n";
  }
  h += "</table>\n<p class=\"note\">" + html_escape(io::kDisclaimer) + "</p>\n</body></html>\n";
  return h;
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::error("cannot write " + path.string());
  f << text;
  f.close();
  if (!f) return Status::error("cannot write " + path.string());
  return Status::ok();
}

int export_report(const AuditOptions& o) {
  auto from = Date::parse(o.from);
  if (!from) {
    std::cerr << "chipgate: --from: " << from.message() << "\n";
    return kExitFatal;
  }
  auto to = Date::parse(o.to);
  if (!to) {
    std::cerr << "chipgate: --to: " << to.message() << "\n";
    return kExitFatal;
  }
  auto st = open_store(o.db, store::OpenOptions::Mode::kReadOnly);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto records = st.value()->audit_range(from.value(), to.value());
  if (!records) {
    std::cerr << "chipgate: audit export: " << records.message() << "\n";
    return kExitFatal;
  }
  auto chain = st.value()->verify_audit();
  if (!chain) {
    std::cerr << "chipgate: audit export: " << chain.message() << "\n";
    return kExitFatal;
  }
  nlohmann::json report = {{"report", "chipgate audit export"},
                           {"from", from->to_string()},
                           {"to", to->to_string()},
                           {"generated", Date::today_utc().to_string()},
                           {"backend", std::string(st.value()->backend())},
                           {"chain", report_json(chain.value())},
                           {"hash_rule", kHashRule},
                           {"disclaimer", io::kDisclaimer}};
  report["records"] = nlohmann::json::array();
  for (const auto& r : records.value()) report["records"].push_back(r.to_json());

  namespace fs = std::filesystem;
  const fs::path out(o.out);
  std::vector<std::pair<fs::path, std::string>> files;
  const std::string json_text = report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (out.extension() == ".json") {
    files.emplace_back(out, json_text);
  } else if (out.extension() == ".html") {
    files.emplace_back(out, render_html(report));
  } else {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) {
      std::cerr << "chipgate: --out: cannot create directory " << out.string() << ": " << ec.message() << "\n";
      return kExitFatal;
    }
    const std::string stem = "audit-" + from->to_string() + "_" + to->to_string();
    files.emplace_back(out / (stem + ".json"), json_text);
    files.emplace_back(out / (stem + ".html"), render_html(report));
  }
  for (const auto& [path, text] : files) {
    if (Status s = write_text(path, text); !s) {
      std::cerr << "chipgate: --out: " << s.message() << "\n";
      return kExitFatal;
    }
    std::cout << "wrote " << path.string() << "\n";
  }
  std::cout << records->size() << " records; chain " << (chain->ok ? "intact" : "BROKEN") << "\n";
  return chain->ok ? kExitOk : kExitRowErrors;
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand("audit", "Verify and export the hash-chained audit log");
  cmd->require_subcommand(1);
  const std::string db_help = "Store: sqlite:PATH or postgresql://... (default: $CHIPGATE_DB, else sqlite:chipgate.db)";

  auto* v = cmd->add_subcommand("verify",
                                "Check every record's hash and link and every row bound into the chain; exit 0 when "
                                "intact, 1 naming the first bad record or row");
  v->add_option("--db", o->db, db_help);
  v->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  v->add_option("--head", o->heads,
                "A signed anchor of an earlier head (audit head, serve --publish-head): the chain must still extend "
                "it (repeatable)");
  v->add_option("--public-key", o->public_key,
                "The key the anchors must be signed by (the .pub of audit keygen; default: the key each names)");
  v->callback([o, &exit_code] { exit_code = verify(*o); });

  auto* k = cmd->add_subcommand("keygen", "Create the Ed25519 key that signs anchors of the chain's head");
  k->add_option("--out", o->out, "Private key file to create (mode 0600); the public key goes to FILE.pub")->required();
  k->callback([o, &exit_code] { exit_code = keygen(*o); });

  auto* h = cmd->add_subcommand("head", "Export a signed anchor of the chain's head (record id, hash, time)");
  h->add_option("--key", o->key, "Private key file (audit keygen)")->required();
  h->add_option("--out", o->out, "Anchor file to write (atomically); default: stdout");
  h->add_option("--db", o->db, db_help);
  h->callback([o, &exit_code] { exit_code = head(*o); });

  auto* e = cmd->add_subcommand("export", "Write the records of a date range as a JSON and an HTML report");
  e->add_option("--from", o->from, "First day (YYYY-MM-DD, UTC)")->required();
  e->add_option("--to", o->to, "Last day (YYYY-MM-DD, UTC), inclusive")->required();
  e->add_option("--out", o->out, "Directory (writes audit-FROM_TO.json and .html), or a .json / .html file")
      ->required();
  e->add_option("--db", o->db, db_help);
  e->callback([o, &exit_code] { exit_code = export_report(*o); });
}

}  // namespace chipgate::cli
