// chipgate decide: an order book (CSV or JSON Lines) and a catalog -> per line, is a licence
// required, why, under which review policy, with which licence exception available.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "classify/classifier.h"
#include "cli/common.h"
#include "io/catalog.h"
#include "io/classification_output.h"
#include "io/decision_output.h"
#include "io/orders.h"
#include "license/decision.h"
#include "license/order_decider.h"
#include "license/screening.h"
#include "screen/screener.h"

namespace chipgate::cli {

namespace {

struct DecideOptions {
  std::string rules_dir;
  std::string orders;
  std::string catalog;
  std::string date = "today";
  std::vector<std::string> compare_dates;
  std::string scenario;
  std::string format = "table";
  std::vector<std::string> lists;
  std::string letters;
  std::string ownership;
  bool summary = false;
  bool explain = false;   // table: every trace step under each line
  std::string shipments;  // JSON Lines file for the whole-shipment answers
};

// Whether the line's answer (licence or not) differs between the compared dates.
bool changed(const std::vector<license::Decision>& per_date) {
  for (const auto& d : per_date)
    if (d.license_required != per_date.front().license_required) return true;
  return false;
}

int run(const DecideOptions& o, const char* argv0) {
  const std::string rules_dir = find_rules_dir(o.rules_dir, argv0);
  auto reg = load_registry_or_report(rules_dir);
  if (!reg) return kExitFatal;
  auto catalog = load_catalog_or_report(o.catalog);
  if (!catalog) return kExitFatal;
  auto book = io::load_orders(o.orders);
  if (!book) {
    std::cerr << "chipgate: --orders: " << book.message() << "\n";
    return kExitFatal;
  }
  // Fuzzy screening (issue 4, src/screen): abbreviations, word order, typos, Chinese script; each
  // distinct party screened once per run. Without --lists nothing is screened (never silently
  // against the sample list): lines that name parties are then never "no licence".
  std::unique_ptr<screen::Screener> screener;
  std::unique_ptr<license::MemoizingScreener> memo;
  if (!o.lists.empty()) {
    screener = load_screener_or_report(o.lists, argv0);
    if (!screener) return kExitFatal;
    memo = std::make_unique<license::MemoizingScreener>(*screener);
  } else {
    std::cerr << kNoListsNote << "\n";
  }
  std::shared_ptr<const license::OwnershipGraph> ownership;
  if (!o.ownership.empty()) {
    auto g = load_ownership_or_report(o.ownership);
    if (!g) return kExitFatal;
    ownership = std::move(*g);
  }
  std::vector<rules::Letter> letters;
  if (!o.letters.empty()) {
    auto l = reg->load_letters(o.letters);
    if (!l) {
      std::cerr << "chipgate: --letters: " << l.message() << "\n";
      return kExitFatal;
    }
    letters = std::move(l).value();
  }
  std::vector<Date> dates;
  for (const auto& d : o.compare_dates.empty() ? std::vector<std::string>{o.date} : o.compare_dates) {
    auto parsed = Date::parse(d);
    if (!parsed) {
      std::cerr << "chipgate: --date: " << parsed.message() << "\n";
      return kExitFatal;
    }
    dates.push_back(parsed.value());
  }
  if (!o.scenario.empty()) {
    if (auto probe = reg->resolve(dates.front(), o.scenario); !probe) {
      std::cerr << "chipgate: --scenario: " << probe.message() << "\n";
      return kExitFatal;
    }
  }

  std::vector<classify::Item> items;
  items.reserve(catalog->rows.size());
  for (const auto& r : catalog->rows) items.push_back(r.item);
  const license::OrderDecider decider(reg, items, {o.scenario, memo.get(), &letters, ownership});
  const std::string snapshot = decider.snapshot_id();

  io::DecisionSummary summary;
  // Whole-shipment answers by (order, date), in the order first seen.
  std::vector<license::ShipmentOutcome> shipments;
  std::map<std::pair<std::string, std::string>, std::size_t> shipment_index;
  std::vector<std::vector<std::string>> table = {
      {"ORDER", "LINE", "DATE", "PRODUCT", "ECCN", "LICENCE", "POLICY", "EXCEPTIONS", "PARTIES", "RULES"}};
  std::string reasons_text;  // table: the reasons (and with --explain the trace) of each line
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  if (o.format == "csv") std::cout << io::decision_csv_header();

  // Lines that were not decided appear in the output itself, in row order among the decisions (and on
  // stderr): rows the order book could not read, and lines refused when deciding.
  const std::vector<io::FailedLine>& unread = book->errors;
  std::size_t next_unread = 0;
  std::vector<io::RowError> errors;
  std::vector<std::vector<std::string>> failed_table = {{"ROW", "ORDER", "LINE", "FIELD", "PROBLEM"}};
  auto emit_failed = [&](const io::FailedLine& f) {
    errors.push_back(f.error);
    if (o.format == "jsonl") {
      std::string text;
      JsonWriter w(text);
      io::write_failed_line_json(w, f);
      std::cout << text << "\n";
    } else if (o.format == "json") {
      all.push_back(io::failed_line_to_json(f));
    } else if (o.format == "csv") {
      std::cout << io::failed_line_csv_row(f);
    } else {
      failed_table.push_back({std::to_string(f.error.row), f.order_id.empty() ? "-" : f.order_id,
                              f.line.empty() ? "-" : f.line, f.error.column.empty() ? "-" : f.error.column,
                              f.error.problem});
    }
  };
  auto emit_unread_before = [&](std::size_t row) {
    while (next_unread < unread.size() && unread[next_unread].error.row < row) emit_failed(unread[next_unread++]);
  };

  for (const auto& row : book->lines) {
    emit_unread_before(row.row);
    const auto& line = row.line;
    std::vector<license::Decision> per_date;
    license::LineError error;
    for (const Date& date : dates) {
      auto d = decider.decide(line, date, !o.compare_dates.empty(), error);
      if (!d) break;
      per_date.push_back(std::move(*d));
    }
    if (per_date.size() != dates.size()) {
      emit_failed({{row.row, error.field, error.problem}, line.order_id, line.line});
      continue;
    }
    for (const auto& d : per_date) {
      summary.add(line, d);
      const auto key = std::make_pair(line.order_id, d.date.to_string());
      auto [pos, inserted] = shipment_index.emplace(key, shipments.size());
      if (inserted) shipments.emplace_back(line.order_id, d.date);
      shipments[pos->second].add(line, d);
    }
    if (o.format == "jsonl") {
      // Written directly (no document tree): the same text as the tree's compact dump.
      std::string text;
      JsonWriter w(text);
      if (per_date.size() == 1) {
        io::write_decision_json(w, line, per_date.front(), snapshot);
      } else {
        w.begin_object().field("order_id", line.order_id).field("line", line.line).field("changed", changed(per_date));
        w.key("dates").begin_array();
        for (const auto& d : per_date) io::write_decision_json(w, line, d, snapshot);
        w.end_array().end_object();
      }
      std::cout << text << "\n";
    } else if (o.format == "json") {
      nlohmann::ordered_json j;
      if (per_date.size() == 1) {
        j = io::decision_to_json(line, per_date.front(), snapshot);
      } else {
        j = {{"order_id", line.order_id},
             {"line", line.line},
             {"changed", changed(per_date)},
             {"dates", nlohmann::ordered_json::array()}};
        for (const auto& d : per_date) j["dates"].push_back(io::decision_to_json(line, d, snapshot));
      }
      all.push_back(std::move(j));
    } else if (o.format == "csv") {
      for (const auto& d : per_date) std::cout << io::decision_csv_row(line, d);
    } else {
      for (const auto& d : per_date) {
        std::string ex, parties;
        for (const auto* e : d.exceptions) ex += (ex.empty() ? "" : ",") + e->id;
        for (const auto& p : d.parties) parties += (parties.empty() ? "" : "; ") + p.name;
        std::string eccn;
        for (const auto& e : d.classification.eccns) eccn += (eccn.empty() ? "" : ",") + e;
        table.push_back({line.order_id, line.line, d.date.to_string(), line.product_id, eccn.empty() ? "-" : eccn,
                         io::licence_answer(d.license_required),
                         d.review_policy ? rules::review_policy_code(*d.review_policy) : "", ex, parties,
                         d.rules ? d.rules->label() : "-"});
        reasons_text += io::decision_text(line, d, snapshot, o.explain);
      }
    }
  }
  emit_unread_before(static_cast<std::size_t>(-1));
  summary.failed = errors.size();
  nlohmann::ordered_json shipment_docs = nlohmann::ordered_json::array();
  for (const auto& s : shipments) shipment_docs.push_back(io::shipment_to_json(s));
  if (!o.shipments.empty()) {
    std::ofstream out(o.shipments);
    for (const auto& s : shipment_docs) out << s.dump() << "\n";
    if (!out) {
      std::cerr << "chipgate: --shipments: cannot write '" << o.shipments << "'\n";
      return kExitFatal;
    }
  }
  if (o.format == "json") {
    nlohmann::ordered_json doc = {{"decisions", all}, {"shipments", shipment_docs}, {"summary", summary.to_json()}};
    std::cout << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else if (o.format == "table") {
    std::vector<std::vector<std::string>> shipment_table = {
        {"ORDER", "DATE", "LICENCE", "POLICY", "EXCEPTIONS", "LINES NEEDING A LICENCE"}};
    for (const auto& s : shipments) {
      const auto required = s.license_required();
      std::string ex, lines;
      for (const auto& e : s.exceptions()) ex += (ex.empty() ? "" : ",") + e;
      for (const auto& l : s.lines_license_required()) lines += (lines.empty() ? "" : ",") + l;
      shipment_table.push_back({s.order_id(), s.date().to_string(), io::licence_answer(required),
                                s.review_policy() ? rules::review_policy_code(*s.review_policy()) : "", ex, lines});
    }
    std::cout << io::render_table(table);
    if (!reasons_text.empty())
      std::cout << "\nWhy, line by line" << (o.explain ? " (with the trace)" : "") << ":\n" << reasons_text;
    if (failed_table.size() > 1) std::cout << "\nLines not decided:\n" << io::render_table(failed_table);
    std::cout << "\nWhole shipments:\n"
              << io::render_table(shipment_table) << "\n"
              << summary.to_json().dump(2) << "\n"
              << io::kDisclaimer << "\n";
  }
  if (o.summary && o.format != "table" && o.format != "json")
    std::cerr << "summary: " << summary.to_json().dump() << "\n";
  // Already in row order: failed lines were emitted as the book was read.
  for (const auto& e : errors) std::cerr << e.to_string() << "\n";
  if (!errors.empty()) return kExitRowErrors;
  return summary.license_required + summary.undetermined > 0 ? kExitAttention : kExitOk;
}

}  // namespace

void add_decide_command(CLI::App& app, int& exit_code, const char* argv0) {
  static DecideOptions o;
  auto* cmd =
      app.add_subcommand("decide", "Decide shipments: licence required or not, why, review policy, licence exceptions");
  cmd->add_option("--rules", o.rules_dir, "Rules directory (default: rules/us-ear of this build)");
  cmd->add_option("--orders", o.orders, "Order book: CSV or JSON Lines (.jsonl)")->required();
  cmd->add_option("--catalog", o.catalog, "Catalog the orders' product_id refer to")->required();
  cmd->add_option("--date", o.date, "As-of date for lines without one (default today)");
  cmd->add_option("--compare-dates", o.compare_dates, "Decide every line on each date (overrides line dates)")
      ->expected(1, -1);
  cmd->add_option("--scenario", o.scenario, "A hypothetical patch over the version in force");
  cmd->add_option("--format", o.format, "table, json, jsonl or csv")
      ->check(CLI::IsMember({"table", "json", "jsonl", "csv"}));
  cmd->add_option("--lists", o.lists,
                  "Restricted-party list file or folder, repeatable (none: parties are not screened, and lines "
                  "naming a consignee or end user are never answered 'no licence')");
  cmd->add_option("--ownership", o.ownership,
                  "Ownership data for the Affiliates rule: CSV party,owner,percent,source[,as_of] or JSON Lines");
  cmd->add_option("--letters", o.letters, "Company-specific is-informed letters (TOML, see data/sample-letters.toml)");
  cmd->add_flag("--summary", o.summary, "With jsonl/csv: print the outcome summary to stderr");
  cmd->add_flag("--explain", o.explain, "Table: show every trace step under each line's reasons");
  cmd->add_option("--shipments", o.shipments,
                  "Write the whole-shipment answers (one JSON object per order and date) to this JSON Lines file");
  cmd->callback([&exit_code, argv0] { exit_code = run(o, argv0); });
}

}  // namespace chipgate::cli
