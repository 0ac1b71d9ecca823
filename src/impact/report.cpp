#include "impact/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/json_util.h"
#include "io/classification_output.h"
#include "io/csv.h"

namespace chipgate::impact {

using ojson = nlohmann::ordered_json;

namespace {

// Integral values as integers ("500000", not "5e+05"), others as the shortest exact decimal.
std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return format_number(v);
}

ojson opt(const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); }

std::string dump(const ojson& j, int indent = -1) {
  return j.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

// A JSON string literal; invalid UTF-8 is replaced (as everywhere in chipgate's JSON output).
std::string json_string(const std::string& s) {
  bool plain = is_valid_utf8(s);
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == '"' || ch == '\\') plain = false;
  if (plain) return "\"" + s + "\"";
  return dump(ojson(s));
}

ojson outcome_json(const Outcome& o, bool with_reasons) {
  ojson j = {{"status", classify::status_name(o.status)},
             {"eccn", o.eccns},
             {"license_required", o.license_required ? ojson(*o.license_required) : ojson(nullptr)},
             {"review_policy", o.review_policy ? ojson(rules::review_policy_code(*o.review_policy)) : ojson(nullptr)}};
  if (!o.missing.empty()) j["missing"] = o.missing;
  if (with_reasons) j["reasons"] = o.reasons;
  return j;
}

ojson capability_json(const Capability& c) {
  ojson dense = ojson::object();
  for (const auto& d : c.dense) dense[d.precision] = d.rate;
  ojson j = {{"assessed", c.assessed()},
             {"missing", c.missing},
             {"memory_only", c.memory_only},
             {"devices", c.device_count},
             {"dense_rates", dense},
             {"tpp", opt(c.tpp)},
             {"pd", opt(c.pd)},
             {"memory_bw_gbs", opt(c.memory_bw_gbs)},
             {"memory_gb", opt(c.memory_gb)}};
  if (c.memory_only) return j;
  j["train_tflops"] = opt(c.train_tflops);
  j["train_tokens_per_s"] = opt(c.train_tokens_per_s);
  j["weights_gb"] = opt(c.weights_gb);
  j["fits"] = c.fits ? ojson(*c.fits) : ojson(nullptr);
  j["devices_to_fit"] = c.devices_to_fit ? ojson(*c.devices_to_fit) : ojson(nullptr);
  j["compute_precision"] = c.compute_precision.empty() ? ojson(nullptr) : ojson(c.compute_precision);
  j["decode_memory_bound_tokens_per_s"] = opt(c.decode_memory_bound);
  j["decode_compute_bound_tokens_per_s"] = opt(c.decode_compute_bound);
  j["decode_tokens_per_s"] = opt(c.decode_tokens_per_s);
  j["decode_bound"] = c.decode_bound.empty() ? ojson(nullptr) : ojson(c.decode_bound);
  return j;
}

ojson aggregate_json(const Aggregate& a) {
  return {{"products", a.products},
          {"units", a.units},
          {"tpp_sum", a.tpp},
          {"train_tflops", a.train_tflops},
          {"train_tokens_per_s", a.train_tokens_per_s},
          {"memory_bw_gbs", a.memory_bw_gbs},
          {"memory_gb", a.memory_gb},
          {"model_replicas", a.replicas},
          {"decode_tokens_per_s", a.decode_tokens_per_s},
          {"not_assessed", a.not_assessed}};
}

ojson regions_json(const std::vector<ThresholdRegion>& rs) {
  ojson arr = ojson::array();
  for (const auto& r : rs)
    arr.push_back({{"entry", r.entry},
                   {"prong", r.prong},
                   {"tpp_min", opt(r.tpp_min)},
                   {"tpp_max", opt(r.tpp_max)},
                   {"pd_min", opt(r.pd_min)},
                   {"pd_max", opt(r.pd_max)},
                   {"other_conditions", r.other}});
  return arr;
}

ojson rules_json(const rules::RuleSet& rs) {
  ojson j = {{"rules", rs.label()}, {"version", rs.version.id}, {"hash", rs.hash}};
  if (rs.scenario) {
    j["name"] = rs.scenario->name;
    j["title"] = rs.scenario->title;
    j["description"] = rs.scenario->description;
  } else {
    j["title"] = rs.version.title;
    j["federal_register"] = rs.version.federal_register;
  }
  return j;
}

ojson totals_json(const ImpactReport& r) {
  const Totals& t = r.totals;
  ojson j = {{"products", t.products},
             {"products_changed", t.products_changed},
             {"products_unlocked", t.products_unlocked},
             {"products_possibly_unlocked", t.products_possibly_unlocked},
             {"products_restricted", t.products_restricted},
             {"products_not_assessed", t.products_not_assessed}};
  if (r.has_orders) {
    j["order_lines"] = t.order_lines;
    j["order_lines_failed"] = t.order_lines_failed;
    j["order_lines_changed"] = t.order_lines_changed;
    j["order_lines_unlocked"] = t.order_lines_unlocked;
    j["order_lines_possibly_unlocked"] = t.order_lines_possibly_unlocked;
    j["order_lines_restricted"] = t.order_lines_restricted;
    j["value_unlocked_usd"] = t.value_unlocked_usd;
    j["units_unlocked"] = t.units_unlocked;
    j["value_possibly_unlocked_usd"] = t.value_possibly_unlocked_usd;
    j["units_possibly_unlocked"] = t.units_possibly_unlocked;
    j["value_restricted_usd"] = t.value_restricted_usd;
    j["units_restricted"] = t.units_restricted;
    j["distinct_decisions"] = r.distinct_decisions;
  }
  j["units_basis"] = t.units_basis;
  j["capability_unlocked"] = aggregate_json(t.capability_unlocked);
  j["capability_possibly_unlocked"] = aggregate_json(t.capability_possibly_unlocked);
  return j;
}

const ProductImpact* find_product(const ImpactReport& r, const std::string& id) {
  for (const auto& p : r.products)
    if (p.item->id == id) return &p;
  return nullptr;
}

}  // namespace

void write_json(std::ostream& out, const ImpactReport& r, std::string_view orders) {
  out << "{\n  \"disclaimer\": " << json_string(io::kDisclaimer) << ",\n";
  out << "  \"as_of\": \"" << r.date.to_string() << "\",\n";
  out << "  \"base\": " << dump(rules_json(*r.base_rules)) << ",\n";
  out << "  \"scenario\": " << dump(rules_json(*r.scenario_rules)) << ",\n";
  out << "  \"destination\": " << json_string(r.options.destination) << ",\n";
  const ojson model = {{"params", r.options.model.params},
                       {"precision", r.options.model.precision},
                       {"batch", r.options.model.batch},
                       {"mfu", r.options.model.mfu}};
  out << "  \"model\": " << dump(model) << ",\n";
  out << "  \"products\": [";
  bool first = true;
  for (const auto& p : r.products) {
    const ojson j = {{"id", p.item->id},
                     {"name", p.item->name},
                     {"vendor", p.item->vendor},
                     {"kind", rules::item_kind_name(p.item->kind)},
                     {"before", outcome_json(p.before, true)},
                     {"after", outcome_json(p.after, true)},
                     {"changed", p.changed},
                     {"transition", transition_name(p.move)},
                     {"units_counted", p.units},
                     {"units_counted_possibly", p.units_possibly},
                     {"capability", capability_json(p.capability)}};
    out << (first ? "\n    " : ",\n    ") << dump(j);
    first = false;
  }
  out << "\n  ],\n";
  if (r.has_orders) {
    // Each distinct outcome rendered once; lines only add their own fields.
    std::vector<std::string> rendered;
    rendered.reserve(r.order_outcomes.size());
    for (const auto& o : r.order_outcomes) rendered.push_back(dump(outcome_json(o, false)));
    const bool all = orders != "changed";
    out << "  \"orders\": [";
    first = true;
    std::string buf;
    for (const auto& oi : r.orders) {
      const Outcome& b = r.order_outcomes[oi.before];
      const Outcome& a = r.order_outcomes[oi.after];
      const bool changed = !b.same_as(a);
      if (!all && !changed) continue;
      const auto& row = r.book->lines[oi.row_index];
      const auto& l = row.line;
      buf.clear();
      buf += first ? "\n    {\"order_id\": " : ",\n    {\"order_id\": ";
      buf += json_string(l.order_id);
      buf += ", \"line\": ";
      buf += json_string(l.line);
      buf += ", \"row\": ";
      buf += std::to_string(row.row);
      buf += ", \"product_id\": ";
      buf += json_string(l.product_id);
      buf += ", \"ship_to\": ";
      buf += json_string(l.ship_to);
      buf += ", \"quantity\": ";
      buf += number_text(l.quantity);
      buf += ", \"value_usd\": ";
      buf += number_text(l.value_usd);
      buf += ", \"before\": ";
      buf += rendered[oi.before];
      buf += ", \"after\": ";
      buf += rendered[oi.after];
      buf += ", \"changed\": ";
      buf += changed ? "true" : "false";
      buf += ", \"transition\": \"";
      buf += transition_name(transition(b, a));
      buf += "\"}";
      out << buf;
      first = false;
    }
    out << "\n  ],\n";
  }
  out << "  \"totals\": " << dump(totals_json(r)) << ",\n";
  ojson cmp = ojson::array();
  for (const auto& id : r.compare)
    if (const auto* p = find_product(r, id))
      cmp.push_back({{"id", id}, {"name", p->item->name}, {"capability", capability_json(p->capability)}});
  out << "  \"comparison\": " << dump(cmp) << ",\n";
  out << "  \"thresholds\": "
      << dump(ojson{{"base", regions_json(r.base_regions)}, {"scenario", regions_json(r.scenario_regions)}}) << ",\n";
  ojson errors = ojson::array();
  for (const auto& e : r.order_errors) errors.push_back(e.to_string());
  out << "  \"errors\": " << dump(errors) << "\n}\n";
}

void write_products_table(std::ostream& out, const ImpactReport& r) {
  auto num = [](const std::optional<double>& v) { return v ? number_text(*v) : std::string("-"); };
  auto outcome = [](const Outcome& o) {
    std::string eccn;
    for (const auto& e : o.eccns) eccn += (eccn.empty() ? "" : ",") + e;
    const std::string licence = io::licence_answer(o.license_required);
    return licence + (eccn.empty() ? "" : " (" + eccn + ")");
  };
  std::vector<std::vector<std::string>> rows = {
      {"PRODUCT", "KIND", "LICENCE BEFORE", "LICENCE AFTER", "TRANSITION", "TPP", "DECODE TOK/S"}};
  for (const auto& p : r.products)
    rows.push_back({p.item->id, rules::item_kind_name(p.item->kind), outcome(p.before), outcome(p.after),
                    transition_name(p.move), num(p.capability.tpp),
                    p.capability.decode_tokens_per_s ? format_fixed(*p.capability.decode_tokens_per_s, 1) : "-"});
  const auto& t = r.totals;
  out << "Base " << (r.base_rules ? r.base_rules->label() : std::string("-")) << ", scenario "
      << (r.scenario_rules ? r.scenario_rules->label() : std::string("-")) << ", destination " << r.options.destination
      << ", on " << r.date.to_string() << "\n\n"
      << io::render_table(rows) << "\nProducts: " << t.products << ", changed " << t.products_changed << ", unlocked "
      << t.products_unlocked << ", possibly unlocked " << t.products_possibly_unlocked << ", restricted "
      << t.products_restricted << ", not assessed " << t.products_not_assessed << "\n";
  if (r.has_orders)
    out << "Order lines: " << t.order_lines << ", changed " << t.order_lines_changed << ", unlocked "
        << t.order_lines_unlocked << " (USD " << number_text(t.value_unlocked_usd) << "), possibly unlocked "
        << t.order_lines_possibly_unlocked << ", restricted " << t.order_lines_restricted << ", failed "
        << t.order_lines_failed << "\n";
  out << io::kDisclaimer << "\n";
}

void write_products_csv(std::ostream& out, const ImpactReport& r) {
  std::string buf;
  io::CsvWriter w(buf);
  w.row({"id",
         "name",
         "kind",
         "before_status",
         "before_eccn",
         "before_license_required",
         "after_status",
         "after_eccn",
         "after_license_required",
         "changed",
         "transition",
         "tpp",
         "pd",
         "memory_bw_gbs",
         "memory_gb",
         "train_tflops",
         "decode_tokens_per_s",
         "decode_bound",
         "fits",
         "assessed",
         "missing"});
  auto num = [](const std::optional<double>& v) { return v ? number_text(*v) : std::string(); };
  auto lr = [](const Outcome& o) { return io::licence_answer(o.license_required); };
  auto eccn = [](const Outcome& o) {
    std::string s;
    for (const auto& e : o.eccns) s += (s.empty() ? "" : ";") + e;
    return s;
  };
  for (const auto& p : r.products) {
    const auto& c = p.capability;
    std::string missing;
    for (const auto& m : c.missing) missing += (missing.empty() ? "" : ";") + m;
    w.cell(p.item->id).cell(p.item->name).cell(rules::item_kind_name(p.item->kind));
    w.cell(classify::status_name(p.before.status)).cell(eccn(p.before)).cell(lr(p.before));
    w.cell(classify::status_name(p.after.status)).cell(eccn(p.after)).cell(lr(p.after));
    w.cell(p.changed ? "yes" : "no").cell(transition_name(p.move));
    w.cell(num(c.tpp)).cell(num(c.pd)).cell(num(c.memory_bw_gbs)).cell(num(c.memory_gb)).cell(num(c.train_tflops));
    w.cell(num(c.decode_tokens_per_s)).cell(c.decode_bound);
    w.cell(c.fits ? (*c.fits ? "yes" : "no") : "").cell(c.assessed() ? "yes" : "no").cell(missing);
    w.end_row();
  }
  out << buf;
}

void write_orders_csv(std::ostream& out, const ImpactReport& r) {
  std::string buf;
  io::CsvWriter w(buf);
  w.row({"order_id", "line", "row", "product_id", "ship_to", "quantity", "value_usd", "before_eccn",
         "before_license_required", "after_eccn", "after_license_required", "changed", "transition"});
  out << buf;
  if (!r.has_orders) return;
  auto lr = [](const Outcome& o) { return io::licence_answer(o.license_required); };
  std::vector<std::string> eccns;  // per outcome, joined once: many lines share an outcome
  for (const auto& o : r.order_outcomes) {
    std::string s;
    for (const auto& e : o.eccns) s += (s.empty() ? "" : ";") + e;
    eccns.push_back(std::move(s));
  }
  for (const auto& oi : r.orders) {
    const Outcome& b = r.order_outcomes[oi.before];
    const Outcome& a = r.order_outcomes[oi.after];
    const auto& row = r.book->lines[oi.row_index];
    buf.clear();
    w.cell(row.line.order_id).cell(row.line.line).cell(std::to_string(row.row)).cell(row.line.product_id);
    w.cell(row.line.ship_to).cell(number_text(row.line.quantity)).cell(number_text(row.line.value_usd));
    w.cell(eccns[oi.before]).cell(lr(b)).cell(eccns[oi.after]).cell(lr(a)).cell(b.same_as(a) ? "no" : "yes");
    w.cell(transition_name(transition(b, a)));
    w.end_row();
    out << buf;
  }
}

}  // namespace chipgate::impact
