// chipgate classify: a catalog (CSV or JSON Lines) or one item (flags or JSON) -> ECCN with trace,
// on a date, on several dates (--compare-dates), or under a scenario.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "classify/classifier.h"
#include "cli/common.h"
#include "core/bounded_file.h"
#include "core/json_util.h"
#include "io/catalog.h"
#include "io/classification_output.h"

namespace chipgate::cli {

namespace {

struct ClassifyOptions {
  std::string rules_dir;
  std::string catalog;
  std::string date = "today";
  std::vector<std::string> compare_dates;
  std::string scenario;
  std::string format = "table";
  bool explain = false;
  std::vector<std::string> only;
  // A single item, as JSON or as flags (the flags build the same JSON object).
  std::string item_json;
  std::string item_file;
  std::map<std::string, std::string> text_fields;
  std::map<std::string, double> number_fields;
};

struct Evaluated {
  const classify::Item* item;
  std::vector<classify::Classification> results;  // one per date
};

std::string eccn_cell(const classify::Classification& c) {
  std::string s;
  const auto& list = c.status == classify::Status::kControlled ? c.eccns : c.candidates;
  for (const auto& e : list) s += (s.empty() ? "" : ",") + e;
  if (c.status == classify::Status::kUndetermined) s = "? " + s;
  if (c.status == classify::Status::kNotControlled) s = "-";
  return s;
}

bool changed(const Evaluated& ev) {
  for (const auto& r : ev.results)
    if (r.status != ev.results.front().status || r.eccns != ev.results.front().eccns) return true;
  return false;
}

int run(const ClassifyOptions& o, const char* argv0) {
  auto reg = load_registry(o.rules_dir, argv0);
  if (!reg) {
    std::cerr << "chipgate: " << reg.message() << "\n";
    return kExitFatal;
  }
  // Dates: --compare-dates wins over --date.
  std::vector<Date> dates;
  for (const auto& d : o.compare_dates.empty() ? std::vector<std::string>{o.date} : o.compare_dates) {
    auto parsed = Date::parse(d);
    if (!parsed) {
      std::cerr << "chipgate: --date: " << parsed.message() << "\n";
      return kExitFatal;
    }
    dates.push_back(parsed.value());
  }
  std::vector<rules::RuleSetPtr> rule_sets;
  for (const auto& d : dates) {
    auto rs = reg.value()->resolve(d, o.scenario);
    if (!rs) {
      std::cerr << "chipgate: --scenario: " << rs.message() << "\n";
      return kExitFatal;
    }
    rule_sets.push_back(rs.value());
  }

  io::Catalog catalog;
  if (!o.catalog.empty()) {
    auto loaded = io::load_catalog(o.catalog);
    if (!loaded) {
      std::cerr << "chipgate: " << loaded.message() << "\n";
      return kExitFatal;
    }
    catalog = std::move(loaded).value();
  }
  const bool single =
      !o.item_json.empty() || !o.item_file.empty() || !o.text_fields.empty() || !o.number_fields.empty();
  if (single) {
    nlohmann::json j = nlohmann::json::object();
    if (!o.item_json.empty() || !o.item_file.empty()) {
      std::string text = o.item_json;
      if (!o.item_file.empty()) {
        auto t = read_bounded_file(o.item_file, input_limits::kItemJson);
        if (!t) {
          std::cerr << "chipgate: " << t.message() << "\n";
          return kExitFatal;
        }
        text = t.value();
      }
      j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        std::cerr << "chipgate: --json: not a JSON object\n";
        return kExitFatal;
      }
    }
    for (const auto& [k, v] : o.text_fields) j[k] = v;
    for (const auto& [k, v] : o.number_fields) j[k] = v;
    if (!j.contains("id")) j["id"] = "item";
    std::string field;
    auto item = io::item_from_json(j, field);
    if (!item) {
      std::cerr << "chipgate: " << (field.empty() ? "" : "field " + field + ": ") << item.message() << "\n";
      return kExitFatal;
    }
    // A computer given on the command line may name an IC of --catalog.
    if (item->kind == classify::ItemKind::kComputer && !item->contained_ic) {
      for (const auto& r : catalog.rows)
        if (r.item.id == item->contained_id) item.value().contained_ic = std::make_shared<const classify::Item>(r.item);
      if (!item->contained_ic) {
        std::cerr << "chipgate: field contains_id: no IC '" << item->contained_id
                  << "' (give it inline as \"contains\" or in --catalog)\n";
        return kExitFatal;
      }
    }
    catalog.rows = {{1, std::move(item).value()}};
    catalog.errors.clear();
  } else if (o.catalog.empty()) {
    std::cerr << "chipgate classify: give --catalog FILE, or one item with --json/--item/--kind and parameter flags\n";
    return kExitFatal;
  }

  std::vector<Evaluated> evaluated;
  evaluated.reserve(catalog.rows.size());
  for (const auto& row : catalog.rows) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), row.item.id) == o.only.end()) continue;
    Evaluated ev{&row.item, {}};
    for (std::size_t i = 0; i < dates.size(); ++i)
      ev.results.push_back(classify::classify(row.item, dates[i], rule_sets[i]));
    evaluated.push_back(std::move(ev));
  }

  const bool compare = dates.size() > 1;
  if (o.format == "jsonl" || o.format == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& ev : evaluated) {
      nlohmann::ordered_json j;
      if (!compare) {
        j = io::classification_to_json(*ev.item, ev.results.front());
      } else {
        j = {{"id", ev.item->id}, {"changed", changed(ev)}, {"dates", nlohmann::ordered_json::array()}};
        for (const auto& r : ev.results) j["dates"].push_back(io::classification_to_json(*ev.item, r));
      }
      if (o.format == "jsonl")
        std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
      else
        all.push_back(std::move(j));
    }
    if (o.format == "json")
      std::cout << all.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else if (o.format == "csv") {
    std::cout << io::classification_csv_header();
    for (const auto& ev : evaluated)
      for (const auto& r : ev.results) std::cout << io::classification_csv_row(*ev.item, r);
  } else {
    std::vector<std::vector<std::string>> rows;
    if (!compare) {
      rows.push_back({"ID", "STATUS", "ECCN", "TPP", "PD", "MISSING", "RULES"});
      for (const auto& ev : evaluated) {
        const auto& r = ev.results.front();
        std::string missing;
        for (const auto& m : r.missing) missing += (missing.empty() ? "" : ",") + m;
        rows.push_back({ev.item->id, classify::status_name(r.status), eccn_cell(r),
                        r.metrics.tpp ? format_fixed(*r.metrics.tpp, 1) : "?",
                        r.metrics.pd ? format_fixed(*r.metrics.pd, 2) : "?", missing,
                        r.rules ? r.rules->label() : "(none in force)"});
      }
    } else {
      std::vector<std::string> header = {"ID"};
      for (std::size_t i = 0; i < dates.size(); ++i)
        header.push_back(dates[i].to_string() + " (" + (rule_sets[i] ? rule_sets[i]->label() : "none") + ")");
      header.push_back("CHANGED");
      rows.push_back(header);
      for (const auto& ev : evaluated) {
        std::vector<std::string> row = {ev.item->id};
        for (const auto& r : ev.results) row.push_back(eccn_cell(r));
        row.push_back(changed(ev) ? "yes" : "");
        rows.push_back(row);
      }
    }
    std::cout << io::render_table(rows);
    if (o.explain) {
      for (const auto& ev : evaluated)
        for (const auto& r : ev.results)
          std::cout << "\n"
                    << ev.item->id << " on " << r.date.to_string() << ":\n"
                    << io::trace_to_text(io::trace_to_json(*ev.item, r));
    }
    std::cout << "\n" << evaluated.size() << " item(s) classified";
    if (!catalog.errors.empty()) std::cout << ", " << catalog.errors.size() << " row(s) with errors (see stderr)";
    std::cout << ". Legend: '-' none of the advanced-computing entries; '?' undetermined (candidates shown).\n"
              << io::kDisclaimer << "\n";
  }
  for (const auto& e : catalog.errors) std::cerr << e.to_string() << "\n";
  return catalog.errors.empty() ? kExitOk : kExitRowErrors;
}

}  // namespace

void add_classify_command(CLI::App& app, int& exit_code, const char* argv0) {
  static ClassifyOptions o;
  auto* cmd = app.add_subcommand("classify",
                                 "Classify items (ECCN 3A090/4A090/.z) from datasheet parameters, with the reasoning");
  cmd->add_option("--rules", o.rules_dir, "Rules directory (default: rules/us-ear of this build)");
  cmd->add_option("--catalog", o.catalog, "Catalog: CSV in the accelerators.csv layout, or JSON Lines (.jsonl)");
  cmd->add_option("--date", o.date, "As-of date YYYY-MM-DD or 'today' (default today)");
  cmd->add_option("--compare-dates", o.compare_dates, "Classify on each date and show what changed")->expected(1, -1);
  cmd->add_option("--scenario", o.scenario,
                  "A hypothetical patch over the version in force (see 'chipgate rules list')");
  cmd->add_option("--format", o.format, "table, json, jsonl or csv")
      ->check(CLI::IsMember({"table", "json", "jsonl", "csv"}));
  cmd->add_flag("--explain", o.explain, "With --format table: print every item's trace");
  cmd->add_option("--only", o.only, "Only these catalog ids");
  cmd->add_option("--json", o.item_json,
                  "One item as a JSON object (catalog field names; \"rates\": {precision: TOPS})");
  cmd->add_option("--item", o.item_file, "One item from a JSON file");
  auto text = [&](const char* flag, const char* field, const char* help) {
    cmd->add_option_function<std::string>(
        flag, [field](const std::string& v) { o.text_fields[field] = v; }, help);
  };
  auto number = [&](const char* flag, const char* field, const char* help) {
    cmd->add_option_function<double>(
        flag, [field](const double& v) { o.number_fields[field] = v; }, help);
  };
  text("--id", "id", "Item id");
  text("--name", "name", "Item name");
  text("--kind", "kind", "ic (gpu, asic), hbm_stack, or computer (server)");
  text("--datacenter", "datacenter", "Designed or marketed for datacenters: yes, no, unknown");
  text("--base-eccn", "base_eccn", "Another ECCN that describes the item (e.g. 5A992), for .z paragraphs");
  text("--contains", "contains_id", "Computer: id of the IC it contains (from --catalog)");
  text("--dominant-function", "dominant_function", "IC with co-packaged HBM: processing or memory");
  number("--contains-count", "contains_count", "Computer: number of ICs");
  number("--tops-int8", "dense_tops_int8", "Dense INT8 TOPS");
  number("--tops-int4", "dense_tops_int4", "Dense INT4 TOPS");
  number("--tflops-fp4", "dense_tflops_fp4", "Dense FP4 TFLOPS");
  number("--tflops-fp8", "dense_tflops_fp8", "Dense FP8 TFLOPS");
  number("--tflops-fp16", "dense_tflops_fp16_bf16", "Dense FP16/BF16 TFLOPS");
  number("--tflops-tf32", "dense_tflops_tf32", "Dense TF32 TFLOPS");
  number("--tflops-fp32", "dense_tflops_fp32", "Dense FP32 TFLOPS");
  number("--tflops-fp64", "dense_tflops_fp64", "Dense FP64 TFLOPS");
  number("--tpp", "tpp_published", "Vendor-published TPP (overrides the rates)");
  number("--die-area", "die_area_mm2", "Applicable die area, mm2 (non-planar logic dies)");
  number("--memory-bw", "memory_bw_gbs", "Memory bandwidth, GB/s");
  number("--hbm-stacks", "hbm_stacks", "Number of HBM stacks (0 = none)");
  number("--hbm-area", "hbm_stack_area_mm2", "HBM package or stack area, mm2");
  number("--interconnect-bw", "interconnect_bw_gbs", "Aggregate bidirectional I/O bandwidth, GB/s");
  number("--transistors", "transistors_billion", "Transistor count, billions");
  cmd->callback([&exit_code, argv0] { exit_code = run(o, argv0); });
}

}  // namespace chipgate::cli
