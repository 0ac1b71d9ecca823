// chipgate rules list | show VERSION [--scenario NAME] | check: the regulation versions as data.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "io/classification_output.h"
#include "io/rules_output.h"

namespace chipgate::cli {

namespace {

nlohmann::json condition_list(const std::vector<rules::Condition>& conds) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : conds) a.push_back({{"test", c.describe()}, {"source", c.source.to_string()}});
  return a;
}

nlohmann::json rule_set_json(const rules::RuleSet& rs) {
  nlohmann::json j = {{"version", rs.version.id},
                      {"label", rs.label()},
                      {"title", rs.version.title},
                      {"effective", rs.version.effective.to_string()},
                      {"federal_register", rs.version.federal_register},
                      {"fr_doc", rs.version.fr_doc},
                      {"summary", rs.version.summary},
                      {"in_text", rs.version.in_text},
                      {"enforced", rs.version.enforced},
                      {"sources", rs.version.sources},
                      {"hash", rs.hash},
                      {"files", rs.files}};
  if (rs.version.compliance_date) j["compliance_date"] = rs.version.compliance_date->to_string();
  if (rs.scenario)
    j["scenario"] = {
        {"name", rs.scenario->name}, {"title", rs.scenario->title}, {"description", rs.scenario->description}};
  j["conventions"]["bit_length"] = rs.conventions.bit_length;
  for (const auto& [k, v] : rs.conventions.notes) j["conventions"]["notes"][k] = v;
  for (const auto& e : rs.entries) {
    nlohmann::json ej = {{"id", e.id}, {"title", e.title}, {"citation", e.citation}, {"source", e.source.to_string()}};
    for (auto k : e.applies_to) ej["applies_to"].push_back(rules::item_kind_name(k));
    for (const auto& p : e.prongs)
      ej["prongs"].push_back(
          {{"id", p.id}, {"text", p.text}, {"all", condition_list(p.all)}, {"source", p.source.to_string()}});
    if (!e.contains.empty()) ej["contains"] = e.contains;
    if (!e.unless.empty()) ej["unless"] = e.unless;
    j["entries"].push_back(ej);
  }
  for (const auto& n : rs.notes)
    j["notes"].push_back({{"id", n.id},
                          {"citation", n.citation},
                          {"text", n.text},
                          {"excludes", n.excludes},
                          {"when", condition_list(n.when)},
                          {"source", n.source.to_string()}});
  if (!rs.z.eccns.empty()) j["z_paragraphs"] = {{"eccns", rs.z.eccns}, {"citation", rs.z.citation}};
  return j;
}

void print_rule_set_text(const rules::RuleSet& rs) {
  std::cout << "Rule version " << rs.label() << ": " << rs.version.title << "\n"
            << "  " << rs.version.federal_register
            << (rs.version.fr_doc.empty() ? "" : " (FR Doc " + rs.version.fr_doc + ")") << ", effective "
            << rs.version.effective.to_string();
  if (rs.version.compliance_date) std::cout << ", compliance date " << rs.version.compliance_date->to_string();
  std::cout << (rs.version.enforced ? "" : "  [in the text, NOT enforced]") << "\n  hash " << rs.hash << "\n  files:";
  for (const auto& f : rs.files) std::cout << " " << f;
  std::cout << "\n\n" << rs.version.summary << "\n";
  if (rs.scenario) std::cout << "\nScenario " << rs.scenario->name << ": " << rs.scenario->description << "\n";
  std::cout << "\nEntries:\n";
  for (const auto& e : rs.entries) {
    std::cout << "  " << e.id << "  " << e.title << "\n    " << e.citation << "  [" << e.source.to_string() << "]\n";
    for (const auto& p : e.prongs) {
      std::cout << "    prong " << p.id << ":";
      for (std::size_t i = 0; i < p.all.size(); ++i) std::cout << (i ? " and " : " ") << p.all[i].describe();
      std::cout << "\n";
    }
    if (!e.contains.empty()) {
      std::cout << "    applies to computers containing:";
      for (const auto& c : e.contains) std::cout << " " << c;
      std::cout << "\n";
    }
    if (!e.unless.empty()) {
      std::cout << "    unless:";
      for (const auto& u : e.unless) std::cout << " " << u;
      std::cout << "\n";
    }
  }
  if (!rs.notes.empty()) std::cout << "\nNotes:\n";
  for (const auto& n : rs.notes) {
    std::cout << "  " << n.id << " (" << n.citation << "): excludes";
    for (const auto& e : n.excludes) std::cout << " " << e;
    std::cout << " when";
    for (std::size_t i = 0; i < n.when.size(); ++i) std::cout << (i ? " and " : " ") << n.when[i].describe();
    std::cout << "\n";
  }
  if (!rs.z.eccns.empty()) {
    std::cout << "\n.z paragraphs:";
    for (const auto& z : rs.z.eccns) std::cout << " " << z;
    std::cout << "\n";
  }
  std::cout << "\nConventions:\n  bit length:";
  for (const auto& [k, v] : rs.conventions.bit_length) std::cout << " " << k << "=" << v;
  std::cout << "\n";
  for (const auto& [k, v] : rs.conventions.notes) std::cout << "  " << k << ": " << v << "\n";
}

}  // namespace

void add_rules_command(CLI::App& app, int& exit_code, const char* argv0) {
  auto* cmd = app.add_subcommand("rules", "List, show and check the regulation versions and scenarios");
  cmd->require_subcommand(1);
  static std::string rules_dir;
  static std::string format = "table";
  cmd->add_option("--rules", rules_dir, "Rules directory (default: rules/us-ear of this build)");

  auto* list = cmd->add_subcommand("list", "List versions (with effective dates) and scenarios");
  list->add_option("--rules", rules_dir, "Rules directory");
  list->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  list->callback([&exit_code, argv0] {
    auto reg = load_registry(rules_dir, argv0);
    if (!reg) {
      std::cerr << "chipgate: " << reg.message() << "\n";
      exit_code = kExitFatal;
      return;
    }
    if (format == "json") {
      std::cout << io::rules_list_to_json(*reg.value()).dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows = {{"VERSION", "EFFECTIVE", "FEDERAL REGISTER", "ENFORCED", "TITLE"}};
    for (const auto& v : reg.value()->versions())
      rows.push_back({v->version.id, v->version.effective.to_string(), v->version.federal_register,
                      v->version.enforced ? "yes" : "NO",
                      v->version.title.substr(0, 70) + (v->version.title.size() > 70 ? "..." : "")});
    std::cout << io::render_table(rows) << "\n";
    std::vector<std::vector<std::string>> srows = {{"SCENARIO", "PATCHES", "TITLE"}};
    for (const auto& s : reg.value()->scenarios())
      srows.push_back({s.name, s.pinned_base.empty() ? "version in force" : s.pinned_base, s.title});
    std::cout << io::render_table(srows);
  });

  static std::string version, scenario;
  auto* show =
      cmd->add_subcommand("show", "Show one version (or a date's version), resolved, optionally under a scenario");
  show->add_option("--rules", rules_dir, "Rules directory");
  show->add_option("VERSION", version, "Version id or a date (YYYY-MM-DD or 'today')")->required();
  show->add_option("--scenario", scenario, "Apply a scenario over the version");
  show->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  show->callback([&exit_code, argv0] {
    auto reg = load_registry(rules_dir, argv0);
    if (!reg) {
      std::cerr << "chipgate: " << reg.message() << "\n";
      exit_code = kExitFatal;
      return;
    }
    auto rs = reg.value()->resolve(version, scenario);
    if (!rs || !rs.value()) {
      std::cerr << "chipgate: " << (rs ? "no rule version is in force on " + version : rs.message()) << "\n";
      exit_code = kExitFatal;
      return;
    }
    if (format == "json")
      std::cout << rule_set_json(*rs.value()).dump(2) << "\n";
    else
      print_rule_set_text(*rs.value());
  });

  auto* check = cmd->add_subcommand("check", "Validate every rule file and scenario; exit 0 when all resolve");
  check->add_option("--rules", rules_dir, "Rules directory");
  check->callback([&exit_code, argv0] {
    auto reg = load_registry(rules_dir, argv0);
    if (!reg) {
      std::cerr << "chipgate: " << reg.message() << "\n";
      exit_code = kExitFatal;
      return;
    }
    std::cout << "ok: " << reg.value()->versions().size() << " versions and " << reg.value()->scenarios().size()
              << " scenarios in " << reg.value()->directory() << "\n";
  });
}

}  // namespace chipgate::cli
