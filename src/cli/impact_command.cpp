// chipgate impact: what a scenario (a hypothetical rule change) would unlock against a base rule
// version: per product and per order line, before and after, with the AI capability involved.
// JSON on stdout (or CSV), and optionally a self-contained HTML page.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/common.h"
#include "impact/impact.h"
#include "impact/report.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "license/screening.h"

namespace chipgate::cli {

namespace {

struct ImpactCliOptions {
  std::string rules_dir;
  std::string base = "today";
  std::string scenario;
  std::string catalog;
  std::string orders;
  std::string destination = "CN";
  std::string format = "json";
  std::string html;
  std::string orders_csv;
  std::string orders_detail = "all";
  std::string letters;
  std::vector<std::string> lists;
  std::string ownership;
  std::vector<std::string> compare;
  double model_params = 70e9;
  std::string precision = "fp8";
  int batch = 1;
  double mfu = 1.0;
  double units = -1;
  std::size_t html_order_rows = 500;
};

// Writes `content` to `path` through a temporary file, so a failed write leaves no half file.
Status write_whole(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::error("cannot write '" + tmp + "'");
    f << content;
    f.flush();
    if (!f) return Status::error("cannot write '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::error("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::ok();
}

int run(const ImpactCliOptions& o, const char* argv0) {
  const std::string rules_dir = find_rules_dir(o.rules_dir, argv0);
  auto reg = load_registry_or_report(rules_dir);
  if (!reg) return kExitFatal;
  auto catalog = load_catalog_or_report(o.catalog);
  if (!catalog) return kExitFatal;
  std::optional<io::OrderBook> book;
  if (!o.orders.empty()) {
    auto b = io::load_orders(o.orders);
    if (!b) {
      std::cerr << "chipgate: --orders: " << b.message() << "\n";
      return kExitFatal;
    }
    book = std::move(b).value();
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
  // The same fuzzy screener as `decide` (each distinct party screened once per run), so an order's
  // answer in the report is the one `decide` gives.
  std::unique_ptr<screen::Screener> screener;
  std::unique_ptr<license::MemoizingScreener> memo;
  // Without --lists order-line parties are not screened (never silently against the sample list).
  if (book && !o.lists.empty()) {
    screener = load_screener_or_report(o.lists, argv0);
    if (!screener) return kExitFatal;
    memo = std::make_unique<license::MemoizingScreener>(*screener);
  } else if (book) {
    std::cerr << kNoListsNote << "\n";
  }
  std::shared_ptr<const license::OwnershipGraph> ownership;
  if (!o.ownership.empty()) {
    auto g = load_ownership_or_report(o.ownership);
    if (!g) return kExitFatal;
    ownership = std::move(*g);
  }

  impact::Options opt;
  opt.base = o.base;
  opt.scenario = o.scenario;
  opt.destination = o.destination;
  opt.model = {o.model_params, o.precision, o.batch, o.mfu};
  if (o.units >= 0) opt.units = o.units;
  for (const auto& c : o.compare) {
    std::stringstream ss(c);
    for (std::string id; std::getline(ss, id, ',');)
      if (!id.empty()) opt.compare.push_back(id);
  }
  opt.screener = memo.get();
  opt.letters = &letters;
  opt.ownership = ownership;
  auto report = impact::analyse(reg, catalog.value(), book ? &*book : nullptr, opt);
  if (!report) {
    std::cerr << "chipgate: " << report.message() << "\n";
    return kExitFatal;
  }
  const auto& r = report.value();
  if (!o.html.empty()) {
    std::ostringstream html;
    impact::write_html(html, r, o.html_order_rows);
    if (auto s = write_whole(o.html, html.str()); !s) {
      std::cerr << "chipgate: --html: " << s.message() << "\n";
      return kExitFatal;
    }
  }
  if (!o.orders_csv.empty()) {
    std::ostringstream csv;
    impact::write_orders_csv(csv, r);
    if (auto s = write_whole(o.orders_csv, csv.str()); !s) {
      std::cerr << "chipgate: --orders-csv: " << s.message() << "\n";
      return kExitFatal;
    }
  }
  std::ios::sync_with_stdio(false);
  if (o.format == "csv")
    impact::write_products_csv(std::cout, r);
  else if (o.format == "table")
    impact::write_products_table(std::cout, r);
  else
    impact::write_json(std::cout, r, o.orders_detail);
  std::cout.flush();
  for (const auto& e : r.order_errors) std::cerr << o.orders << ": " << e.to_string() << "\n";
  return catalog->errors.empty() && r.order_errors.empty() ? kExitOk : kExitRowErrors;
}

}  // namespace

void add_impact_command(CLI::App& app, int& exit_code, const char* argv0) {
  static ImpactCliOptions o;
  auto* cmd = app.add_subcommand(
      "impact", "What a scenario would unlock against a base rule version: products, orders, AI capability");
  cmd->add_option("--rules", o.rules_dir, "Rules directory (default: rules/us-ear of this build)");
  // --date as in every other command; --base (the first name of this flag) still works.
  cmd->add_option("--date,--base", o.base, "Base rule version id or date YYYY-MM-DD (default today)");
  cmd->add_option("--scenario", o.scenario, "Scenario patched over the same base (rules/us-ear/scenarios)")->required();
  cmd->add_option("--catalog", o.catalog, "Product catalog: CSV or JSON Lines")->required();
  cmd->add_option("--orders", o.orders, "Order book: CSV or JSON Lines (optional)");
  cmd->add_option("--destination", o.destination, "Destination of each product's representative line (default CN)");
  cmd->add_option("--format", o.format, "json (default), csv (products) or table (products and totals, for people)")
      ->check(CLI::IsMember({"json", "csv", "table"}));
  cmd->add_option("--html", o.html, "Also write the report as a self-contained HTML page to this file");
  cmd->add_option("--orders-csv", o.orders_csv, "Also write every decided order line, before and after, as CSV");
  cmd->add_option("--orders-detail", o.orders_detail, "Order lines in the JSON: all (default) or changed")
      ->check(CLI::IsMember({"all", "changed"}));
  cmd->add_option("--letters", o.letters, "Company-specific is-informed letters (TOML, see data/sample-letters.toml)");
  cmd->add_option("--lists", o.lists,
                  "Restricted-party list file or folder for the order lines' parties, repeatable (none: not "
                  "screened, and lines naming a party are never 'no licence')");
  cmd->add_option("--ownership", o.ownership,
                  "Ownership data for the Affiliates rule: CSV party,owner,percent,source[,as_of] or JSON Lines");
  // --products names the products (screen's --compare is a file of name pairs); --compare still works.
  cmd->add_option("--products,--compare", o.compare,
                  "Product ids to compare side by side (comma-separated or repeated)");
  cmd->add_option("--model-params", o.model_params, "Parameters P of the model served/trained (default 70e9)");
  cmd->add_option("--precision", o.precision, "Weight precision for serving: fp4 int4 fp6 fp8 int8 fp16 bf16 fp32")
      ->default_str("fp8");
  // --decode-batch (screen's --batch is a file of parties); --batch still works.
  cmd->add_option("--decode-batch,--batch", o.batch, "Sequences decoded together (default 1)");
  cmd->add_option("--mfu", o.mfu, "Fraction of peak compute in training, (0, 1] (default 1 = peak)");
  cmd->add_option("--units", o.units, "Units of each product whose outcome changes (default: from orders, else 1)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--html-order-rows", o.html_order_rows, "Changed order lines listed in the HTML (default 500)");
  cmd->callback([&exit_code, argv0] { exit_code = run(o, argv0); });
}

}  // namespace chipgate::cli
