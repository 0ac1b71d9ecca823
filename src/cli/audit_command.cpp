// chipgate audit verify|export: check the hash chain of the audit log; write a self-contained
// report (JSON and HTML) of the records in a date range.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/store_cli.h"
#include "core/html.h"
#include "io/classification_output.h"
#include "store/store.h"

namespace chipgate::cli {

namespace {

struct AuditOptions {
  std::string db;
  std::string from;
  std::string to;
  std::string out;
  std::string format = "text";
};

constexpr const char* kHashRule =
    "hash = SHA-256 of \"chipgate-audit-v1\\n\" followed by the compact JSON array [id, time, actor, kind, "
    "rule_set_id, rule_set_hash, list_snapshot_id, prev_hash, inputs, outputs], where inputs and outputs are the "
    "stored JSON texts embedded as JSON strings; prev_hash is the hash of the record before (64 zeros for record 1).";

nlohmann::json report_json(const store::VerifyReport& r) {
  nlohmann::json j = {{"ok", r.ok}, {"records_checked", r.records}, {"head_hash", r.head_hash}};
  if (r.first_bad) j["first_bad_record"] = *r.first_bad;
  if (!r.ok) j["problem"] = r.problem;
  return j;
}

int verify(const AuditOptions& o) {
  auto st = open_store(o.db);
  if (!st) {
    std::cerr << "chipgate: " << st.message() << "\n";
    return kExitFatal;
  }
  auto rep = st.value()->verify_audit();
  if (!rep) {
    std::cerr << "chipgate: audit verify: " << rep.message() << "\n";
    return kExitFatal;
  }
  if (o.format == "json") {
    std::cout << report_json(rep.value()).dump(2) << "\n";
  } else if (rep->ok) {
    std::cout << "audit chain intact: " << rep->records << " records, head " << rep->head_hash << "\n";
  } else {
    std::cout << "audit chain BROKEN at record " << *rep->first_bad << ": " << rep->problem << "\n"
              << "(" << rep->records << " records before it verified)\n";
  }
  return rep->ok ? kExitOk : kExitRowErrors;
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
  if (chain["ok"].get<bool>())
    h += "<p class=\"ok\">Hash chain intact: " + std::to_string(chain["records_checked"].get<std::int64_t>()) +
         " records verified; head " + html_escape(chain["head_hash"].get<std::string>()) + "</p>\n";
  else
    h += "<p class=\"bad\">Hash chain BROKEN at record " +
         std::to_string(chain["first_bad_record"].get<std::int64_t>()) + ": " +
         html_escape(chain["problem"].get<std::string>()) + "</p>\n";
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
  auto st = open_store(o.db);
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

  auto* v = cmd->add_subcommand(
      "verify", "Check every record's hash and link; exit 0 when intact, 1 naming the first bad record");
  v->add_option("--db", o->db, db_help);
  v->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  v->callback([o, &exit_code] { exit_code = verify(*o); });

  auto* e = cmd->add_subcommand("export", "Write the records of a date range as a JSON and an HTML report");
  e->add_option("--from", o->from, "First day (YYYY-MM-DD, UTC)")->required();
  e->add_option("--to", o->to, "Last day (YYYY-MM-DD, UTC), inclusive")->required();
  e->add_option("--out", o->out, "Directory (writes audit-FROM_TO.json and .html), or a .json / .html file")
      ->required();
  e->add_option("--db", o->db, db_help);
  e->callback([o, &exit_code] { exit_code = export_report(*o); });
}

}  // namespace chipgate::cli
