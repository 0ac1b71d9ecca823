// The HTML page of an impact report: inline CSS, SVG charts computed here, no script, no network.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/html.h"
#include "core/json_util.h"
#include "impact/report.h"
#include "io/classification_output.h"

namespace chipgate::impact {

namespace {

const char* kCss = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#1d2430;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}
.sub{color:#566070}.disclaimer{background:#fff6e0;border:1px solid #f0d48a;padding:8px 12px;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}th,td{border:1px solid #d8dde6;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d8dde6;border-radius:8px;padding:8px 12px;min-width:150px}
.card b{display:block;font-size:20px}.unlocked{color:#1a7f37}.possibly_unlocked{color:#9a6700}.restricted{color:#cf222e}
svg{background:#fbfcfe;border:1px solid #d8dde6;border-radius:6px;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#1d2430}.muted{color:#566070;font-size:12px}
)";

std::string num(double v, int decimals = 1) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e12) return format_fixed(v / 1e12, 2) + " T";
  if (std::fabs(v) >= 1e9) return format_fixed(v / 1e9, 2) + " G";
  if (std::fabs(v) >= 1e6) return format_fixed(v / 1e6, 2) + " M";
  return format_fixed(v, decimals);
}
// Axis tick text: 100000, not 1e+05.
std::string tick(double v) {
  if (v >= 1 && v < 1e15) return std::to_string(static_cast<long long>(std::llround(v)));
  return format_number(v);
}

std::string num(const std::optional<double>& v, int decimals = 1) { return v ? num(*v, decimals) : "-"; }

std::string eccn_text(const Outcome& o) {
  if (o.status == classify::Status::kUndetermined) {
    std::string s = "undetermined";
    if (!o.missing.empty()) {
      s += " (missing ";
      for (std::size_t i = 0; i < o.missing.size(); ++i) s += (i ? ", " : "") + o.missing[i];
      s += ")";
    }
    return s;
  }
  std::string s;
  for (const auto& e : o.eccns) s += (s.empty() ? "" : " ") + e;
  return s.empty() ? "not controlled" : s;
}

std::string licence_text(const Outcome& o) {
  std::string s = io::licence_answer(o.license_required);
  if (o.license_required == true && o.review_policy)
    s += std::string(" (") + rules::review_policy_code(*o.review_policy) + ")";
  return s;
}

const char* move_color(Transition t) {
  switch (t) {
    case Transition::kUnlocked:
      return "#1a7f37";
    case Transition::kPossiblyUnlocked:
      return "#bf8700";
    case Transition::kRestricted:
      return "#cf222e";
    case Transition::kOther:
      return "#8250df";
    default:
      return "#8c959f";
  }
}

// Log-scale axis from 10^lo to 10^hi mapped to [a, b].
struct LogAxis {
  double lo, hi, a, b;
  double at(double v) const { return a + (std::log10(v) - lo) / (hi - lo) * (b - a); }
};

// "3A090.a" + "a.2" -> "3A090.a.2"; otherwise "ENTRY PRONG".
std::string region_label(const ThresholdRegion& r) {
  const auto dot = r.prong.find('.');
  if (dot != std::string::npos && r.entry.size() > dot &&
      r.entry.compare(r.entry.size() - dot - 1, dot + 1, "." + r.prong.substr(0, dot)) == 0)
    return r.entry + r.prong.substr(dot);
  return r.entry + " " + r.prong;
}

void region_rects(std::ostream& o, const std::vector<ThresholdRegion>& regions, const LogAxis& x, const LogAxis& y,
                  const char* color, const char* dash, const char* tag, int label_row) {
  int i = 0;
  for (const auto& r : regions) {
    const double x0 = x.at(r.tpp_min ? std::max(*r.tpp_min, std::pow(10, x.lo)) : std::pow(10, x.lo));
    const double x1 = x.at(r.tpp_max ? std::min(*r.tpp_max, std::pow(10, x.hi)) : std::pow(10, x.hi));
    const double y0 = y.at(r.pd_min ? std::max(*r.pd_min, std::pow(10, y.lo)) : std::pow(10, y.lo));
    const double y1 = y.at(r.pd_max ? std::min(*r.pd_max, std::pow(10, y.hi)) : std::pow(10, y.hi));
    if (x1 <= x0 || y0 <= y1) continue;  // outside the plotted range
    std::string cond = r.entry + " " + r.prong + ":";
    if (r.tpp_min) cond += " TPP >= " + format_number(*r.tpp_min);
    if (r.tpp_max) cond += " TPP < " + format_number(*r.tpp_max);
    if (r.pd_min) cond += " PD >= " + format_number(*r.pd_min);
    if (r.pd_max) cond += " PD < " + format_number(*r.pd_max);
    for (const auto& c : r.other) cond += "; " + c;
    o << "<g class=\"region " << tag << "\"><title>" << tag << ": " << html_escape(cond) << "</title>";
    o << "<rect x=\"" << format_fixed(x0, 1) << "\" y=\"" << format_fixed(y1, 1) << "\" width=\""
      << format_fixed(x1 - x0, 1) << "\" height=\"" << format_fixed(y0 - y1, 1) << "\" fill=\"" << color
      << "\" fill-opacity=\"0.06\" stroke=\"" << color << "\" stroke-width=\"1.6\" stroke-dasharray=\"" << dash
      << "\"/>";
    o << "<text x=\"" << format_fixed(x0 + 3, 1) << "\" y=\""
      << format_fixed(y0 - 4 - 12.0 * (label_row + 2 * (i % 2)), 1) << "\" style=\"fill:" << color << "\">"
      << html_escape(region_label(r)) << "</text></g>\n";
    ++i;
  }
}

void plane_chart(std::ostream& o, const ImpactReport& r) {
  const double W = 900, H = 520, L = 90, R = 20, T = 20, B = 80;
  double xmin = 1e300, xmax = 0, ymin = 1e300, ymax = 0;
  auto widen = [](double& lo, double& hi, double v) {
    if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  for (const auto& p : r.products) {
    if (p.capability.tpp) widen(xmin, xmax, *p.capability.tpp);
    if (p.capability.pd) widen(ymin, ymax, *p.capability.pd);
  }
  for (const auto* regions : {&r.base_regions, &r.scenario_regions})
    for (const auto& g : *regions) {
      for (const auto& v : {g.tpp_min, g.tpp_max})
        if (v) widen(xmin, xmax, *v);
      for (const auto& v : {g.pd_min, g.pd_max})
        if (v) widen(ymin, ymax, *v);
    }
  if (xmax <= 0) xmin = 1, xmax = 10000;
  if (ymax <= 0) ymin = 0.1, ymax = 10;
  const LogAxis x{std::floor(std::log10(xmin)), std::ceil(std::log10(xmax)) + (xmax == xmin ? 1 : 0), L, W - R};
  const LogAxis y{std::floor(std::log10(ymin)), std::ceil(std::log10(ymax)) + (ymax == ymin ? 1 : 0), H - B, T};
  o << "<svg id=\"plane\" role=\"img\" aria-label=\"Products on the TPP / performance-density plane\" "
       "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
    << W << ' ' << H << "\" width=\"" << W << "\" height=\"" << H << "\">\n";
  // Grid and axes.
  for (double e = x.lo; e <= x.hi + 1e-9; e += 1) {
    const double px = x.at(std::pow(10, e));
    o << "<line x1=\"" << px << "\" y1=\"" << T << "\" x2=\"" << px << "\" y2=\"" << H - B
      << "\" stroke=\"#e3e7ee\"/><text x=\"" << px << "\" y=\"" << H - B + 16 << "\" text-anchor=\"middle\">"
      << tick(std::pow(10, e)) << "</text>\n";
  }
  for (double e = y.lo; e <= y.hi + 1e-9; e += 1) {
    const double py = y.at(std::pow(10, e));
    o << "<line x1=\"" << L << "\" y1=\"" << py << "\" x2=\"" << W - R << "\" y2=\"" << py
      << "\" stroke=\"#e3e7ee\"/><text x=\"" << L - 6 << "\" y=\"" << py + 4 << "\" text-anchor=\"end\">"
      << tick(std::pow(10, e)) << "</text>\n";
  }
  o << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - B + 34
    << "\" text-anchor=\"middle\">Total processing performance (TPP, log scale)</text>\n";
  o << "<text transform=\"translate(16," << (T + H - B) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">Performance density (TPP / mm&#178;, log scale)</text>\n";
  region_rects(o, r.base_regions, x, y, "#0969da", "6 4", "base", 0);
  region_rects(o, r.scenario_regions, x, y, "#d4470f", "none", "scenario", 1);
  // Products: with PD on the plane; without PD (die area unknown) on a strip below the axis.
  const double strip = H - B + 52;
  o << "<text x=\"" << L - 6 << "\" y=\"" << strip + 4 << "\" text-anchor=\"end\">PD unknown</text>\n";
  o << "<line x1=\"" << L << "\" y1=\"" << strip << "\" x2=\"" << W - R << "\" y2=\"" << strip
    << "\" stroke=\"#e3e7ee\" stroke-dasharray=\"2 3\"/>\n";
  for (const auto& p : r.products) {
    const auto& c = p.capability;
    if (!c.tpp || *c.tpp <= 0) continue;
    const double px = x.at(*c.tpp);
    const double py = c.pd && *c.pd > 0 ? y.at(*c.pd) : strip;
    o << "<g class=\"product\"><title>" << html_escape(p.item->id) << ": TPP " << format_fixed(*c.tpp, 0) << ", PD "
      << (c.pd ? format_fixed(*c.pd, 2) : "unknown") << "; before " << html_escape(eccn_text(p.before)) << " / "
      << html_escape(licence_text(p.before)) << "; after " << html_escape(eccn_text(p.after)) << " / "
      << html_escape(licence_text(p.after)) << "</title><circle cx=\"" << format_fixed(px, 1) << "\" cy=\""
      << format_fixed(py, 1) << "\" r=\"" << (p.changed ? 5 : 3.5) << "\" fill=\"" << move_color(p.move)
      << "\" fill-opacity=\"0.85\"/>";
    if (p.changed && c.pd && *c.pd > 0)  // the "PD unknown" strip is too crowded for labels
      o << "<text x=\"" << format_fixed(px + 7, 1) << "\" y=\"" << format_fixed(py + 4, 1) << "\">"
        << html_escape(p.item->id) << "</text>";
    o << "</g>\n";
  }
  // Legend.
  const double lx = W - R - 330, ly = T + 8;
  o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"324\" height=\"114\" fill=\"#ffffff\" stroke=\"#d8dde6\"/>";
  o << "<line x1=\"" << lx + 8 << "\" y1=\"" << ly + 14 << "\" x2=\"" << lx + 36 << "\" y2=\"" << ly + 14
    << "\" stroke=\"#0969da\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"" << lx + 42 << "\" y=\""
    << ly + 18 << "\">base " << html_escape(r.base_rules->label()) << "</text>";
  o << "<line x1=\"" << lx + 8 << "\" y1=\"" << ly + 32 << "\" x2=\"" << lx + 36 << "\" y2=\"" << ly + 32
    << "\" stroke=\"#d4470f\" stroke-width=\"2\"/><text x=\"" << lx + 42 << "\" y=\"" << ly + 36 << "\">scenario "
    << html_escape(r.scenario_rules->label()) << "</text>";
  int k = 0;
  for (auto t : {Transition::kUnlocked, Transition::kPossiblyUnlocked, Transition::kRestricted, Transition::kOther,
                 Transition::kUnchanged}) {
    const double cx = lx + 14 + (k % 2) * 150, cy = ly + 56 + (k / 2) * 18;
    o << "<circle cx=\"" << cx << "\" cy=\"" << cy << "\" r=\"4\" fill=\"" << move_color(t) << "\"/><text x=\""
      << cx + 8 << "\" y=\"" << cy + 4 << "\">" << transition_name(t) << "</text>";
    ++k;
  }
  o << "\n</svg>\n";
}

// Horizontal bars, one group per row, each series scaled to its own maximum (units differ).
struct Series {
  std::string name, unit, color;
};
void bar_chart(std::ostream& o, const std::string& id, const std::string& label, const std::vector<std::string>& rows,
               const std::vector<Series>& series, const std::vector<std::vector<std::optional<double>>>& values) {
  const double W = 900, L = 250, R = 130, bar = 12, gap = 10;
  const double group = bar * static_cast<double>(series.size()) + gap;
  const double H = 40 + group * static_cast<double>(rows.size()) + 20;
  std::vector<double> maxv(series.size(), 0);
  for (const auto& row : values)
    for (std::size_t s = 0; s < series.size(); ++s)
      if (row[s] && !std::isnan(*row[s])) maxv[s] = std::max(maxv[s], *row[s]);
  o << "<svg id=\"" << id << "\" role=\"img\" aria-label=\"" << html_escape(label)
    << "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << ' ' << H << "\" width=\"" << W << "\" height=\""
    << H << "\">\n";
  for (std::size_t s = 0; s < series.size(); ++s)
    o << "<rect x=\"" << L + 180 * static_cast<double>(s) << "\" y=\"8\" width=\"12\" height=\"12\" fill=\""
      << series[s].color << "\"/><text x=\"" << L + 16 + 180 * static_cast<double>(s) << "\" y=\"18\">"
      << html_escape(series[s].name + " (" + series[s].unit + ")") << "</text>";
  o << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y0 = 34 + group * static_cast<double>(i);
    o << "<text x=\"" << L - 8 << "\" y=\"" << y0 + group / 2 << "\" text-anchor=\"end\">" << html_escape(rows[i])
      << "</text>";
    for (std::size_t s = 0; s < series.size(); ++s) {
      const double yb = y0 + bar * static_cast<double>(s);
      const auto& v = values[i][s];
      if (!v || std::isnan(*v)) {  // NaN: the figure does not apply (a memory stack has no compute)
        o << "<text x=\"" << L + 4 << "\" y=\"" << yb + 10 << "\" class=\"na\">" << html_escape(series[s].name)
          << (v ? ": n/a" : ": not assessed") << "</text>";
        continue;
      }
      const double w = maxv[s] > 0 ? (W - L - R) * *v / maxv[s] : 0;
      o << "<rect x=\"" << L << "\" y=\"" << yb << "\" width=\"" << format_fixed(w, 1) << "\" height=\"" << bar - 2
        << "\" fill=\"" << series[s].color << "\"><title>" << html_escape(rows[i] + ": " + series[s].name + " ")
        << num(*v) << ' ' << html_escape(series[s].unit) << "</title></rect><text x=\"" << format_fixed(L + w + 4, 1)
        << "\" y=\"" << yb + 9 << "\">" << num(*v) << "</text>";
    }
    o << "\n";
  }
  o << "</svg>\n";
}

void card(std::ostream& o, const std::string& label, const std::string& value, const char* cls = "") {
  o << "<div class=\"card\"><b class=\"" << cls << "\">" << html_escape(value) << "</b>" << html_escape(label)
    << "</div>";
}

void capability_row(std::ostream& o, const std::string& id, const std::string& name, const Capability& c) {
  o << "<tr><td>" << html_escape(id) << "</td><td>" << html_escape(name) << "</td><td class=\"n\">" << num(c.tpp, 0)
    << "</td><td class=\"n\">" << num(c.train_tflops) << "</td><td class=\"n\">" << num(c.memory_bw_gbs, 0)
    << "</td><td class=\"n\">" << num(c.memory_gb, 0) << "</td><td class=\"n\">"
    << (c.memory_only ? "n/a (memory)" : num(c.decode_tokens_per_s)) << "</td><td>" << html_escape(c.decode_bound)
    << "</td><td>"
    << (c.fits ? (*c.fits ? "yes" : "no (" + std::to_string(c.devices_to_fit.value_or(0)) + " devices)") : "-")
    << "</td><td>";
  if (c.assessed()) {
    o << "yes";
  } else {
    o << "not assessed: missing ";
    for (std::size_t i = 0; i < c.missing.size(); ++i) o << (i ? ", " : "") << html_escape(c.missing[i]);
  }
  o << "</td></tr>\n";
}

const char* kCapabilityHeader =
    "<tr><th>id</th><th>name</th><th>TPP</th><th>16-bit dense TFLOPS</th><th>memory GB/s</th><th>memory GB</th>"
    "<th>decode tokens/s</th><th>bound</th><th>model fits</th><th>assessed</th></tr>\n";

void aggregate_table(std::ostream& o, const std::string& title, const Aggregate& a) {
  o << "<tr><td>" << html_escape(title) << "</td><td class=\"n\">" << a.products << "</td><td class=\"n\">"
    << num(a.units, 0) << "</td><td class=\"n\">" << num(a.tpp, 0) << "</td><td class=\"n\">" << num(a.train_tflops)
    << "</td><td class=\"n\">" << num(a.memory_bw_gbs / 1000, 2) << "</td><td class=\"n\">"
    << num(a.memory_gb / 1000, 2) << "</td><td class=\"n\">" << num(a.replicas, 0) << "</td><td class=\"n\">"
    << num(a.decode_tokens_per_s) << "</td><td class=\"n\">" << num(a.train_tokens_per_s) << "</td></tr>\n";
}

}  // namespace

void write_html(std::ostream& o, const ImpactReport& r, std::size_t max_order_rows) {
  const auto& sc = *r.scenario_rules;
  const std::string scen_title = sc.scenario ? sc.scenario->title : sc.label();
  const auto& m = r.options.model;
  const Totals& t = r.totals;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html_escape("chipgate impact: " + r.options.scenario + " over " + r.base_rules->label())
    << "</title><style>" << kCss << "</style></head><body>\n";
  o << "<h1>Rollback impact: " << html_escape(scen_title) << "</h1>\n";
  o << "<p class=\"sub\">Scenario <b>" << html_escape(sc.label()) << "</b> against base <b>"
    << html_escape(r.base_rules->label()) << "</b> (" << html_escape(r.base_rules->version.title) << ", "
    << html_escape(r.base_rules->version.federal_register) << "), as of " << r.date.to_string()
    << ". Destination for product outcomes: <b>" << html_escape(r.options.destination) << "</b>.</p>\n";
  if (sc.scenario) o << "<p>" << html_escape(sc.scenario->description) << "</p>\n";
  o << "<p class=\"disclaimer\">" << html_escape(io::kDisclaimer)
    << " Capability figures are peak estimates from datasheet parameters (docs/capability-model.md).</p>\n";

  o << "<h2>Summary</h2><div class=\"cards\">";
  card(o, "products", std::to_string(t.products));
  card(o, "products changed", std::to_string(t.products_changed));
  card(o, "unlocked (licence no longer required)", std::to_string(t.products_unlocked), "unlocked");
  card(o, "possibly unlocked (was undetermined)", std::to_string(t.products_possibly_unlocked), "possibly_unlocked");
  card(o, "newly restricted", std::to_string(t.products_restricted), "restricted");
  if (r.has_orders) {
    card(o, "order lines", std::to_string(t.order_lines));
    card(o, "order lines changed", std::to_string(t.order_lines_changed));
    card(o, "value unlocked (USD)", num(t.value_unlocked_usd, 0), "unlocked");
    card(o, "units unlocked", num(t.units_unlocked, 0), "unlocked");
  }
  o << "</div>\n";

  o << "<h2>Products on the TPP / performance-density plane</h2>\n<p class=\"muted\">Rectangles are the regions "
       "of the control entries' prongs read from the rule sets (dashed blue: base; solid orange: scenario); "
       "conditions off this plane (I/O bandwidth, datacenter designation) are in each region's tooltip. "
       "Products without a die area sit on the \"PD unknown\" strip; products without TPP (memory stacks, "
       "missing rates) are not plotted.</p>\n";
  plane_chart(o, r);

  o << "<h2>Products whose outcome changes</h2>\n<table id=\"changed-products\"><thead><tr><th>id</th><th>name</th>"
       "<th>ECCN before</th><th>licence before</th><th>ECCN after</th><th>licence after</th><th>change</th></tr>"
       "</thead><tbody>\n";
  std::size_t shown = 0;
  for (const auto& p : r.products) {
    if (!p.changed) continue;
    ++shown;
    o << "<tr><td>" << html_escape(p.item->id) << "</td><td>" << html_escape(p.item->name) << "</td><td>"
      << html_escape(eccn_text(p.before)) << "</td><td>" << html_escape(licence_text(p.before)) << "</td><td>"
      << html_escape(eccn_text(p.after)) << "</td><td>" << html_escape(licence_text(p.after)) << "</td><td class=\""
      << transition_name(p.move) << "\">" << transition_name(p.move) << "</td></tr>\n";
  }
  if (shown == 0) o << "<tr><td colspan=\"7\">No product changes ECCN or licence outcome.</td></tr>\n";
  o << "</tbody></table>\n";

  o << "<h2>Capability the scenario unlocks</h2>\n<p class=\"muted\">Units counted: " << html_escape(t.units_basis)
    << ". Model: " << format_number(m.params / 1e9) << " B parameters at " << html_escape(m.precision) << ", batch "
    << m.batch << ", training at " << format_number(m.mfu * 100)
    << "% of peak. Decode tokens/s counts whole model replicas only.</p>\n";
  o << "<table id=\"capability-unlocked\"><thead><tr><th></th><th>products</th><th>units</th><th>TPP (sum)</th>"
       "<th>16-bit dense TFLOPS</th><th>memory TB/s</th><th>memory TB</th><th>model replicas</th>"
       "<th>decode tokens/s</th><th>training tokens/s</th></tr></thead><tbody>\n";
  aggregate_table(o, "unlocked", t.capability_unlocked);
  aggregate_table(o, "possibly unlocked", t.capability_possibly_unlocked);
  o << "</tbody></table>\n";
  for (const auto* a : {&t.capability_unlocked, &t.capability_possibly_unlocked})
    for (const auto& n : a->not_assessed) o << "<p class=\"muted\">Not assessed: " << html_escape(n) << "</p>\n";
  {
    std::vector<std::string> rows;
    std::vector<std::vector<std::optional<double>>> vals;
    for (const auto& p : r.products) {
      const double n = p.units + p.units_possibly;
      if (n <= 0) continue;
      const auto& c = p.capability;
      rows.push_back(p.item->id + " x " + format_number(n));
      auto scale = [n](const std::optional<double>& v) { return v ? std::optional<double>(*v * n) : std::nullopt; };
      const std::optional<double> compute = c.memory_only ? std::optional<double>(std::nan("")) : scale(c.train_tflops);
      vals.push_back({compute, scale(c.memory_bw_gbs), scale(c.memory_gb)});
    }
    if (!rows.empty())
      bar_chart(o, "capability-chart", "Capability unlocked per product", rows,
                {{"16-bit compute", "TFLOPS", "#0969da"},
                 {"memory bandwidth", "GB/s", "#1a7f37"},
                 {"memory capacity", "GB", "#bf8700"}},
                vals);
  }

  o << "<h2>Side-by-side comparison</h2>\n";
  std::vector<std::string> cmp = r.compare;
  if (cmp.empty())
    for (const auto& p : r.products)
      if (p.changed && !p.capability.memory_only && cmp.size() < 12) cmp.push_back(p.item->id);
  if (cmp.empty()) {
    o << "<p>No products to compare (give --compare ID,ID).</p>\n";
  } else {
    o << "<table id=\"comparison\"><thead>" << kCapabilityHeader << "</thead><tbody>\n";
    std::vector<std::string> rows;
    std::vector<std::vector<std::optional<double>>> vals;
    for (const auto& id : cmp)
      for (const auto& p : r.products)
        if (p.item->id == id) {
          capability_row(o, id, p.item->name, p.capability);
          rows.push_back(id);
          const auto& c = p.capability;
          const auto na = std::optional<double>(std::nan(""));
          vals.push_back({c.memory_only ? na : c.tpp, c.memory_bw_gbs, c.memory_only ? na : c.decode_tokens_per_s});
          break;
        }
    o << "</tbody></table>\n";
    bar_chart(o, "comparison-chart", "Compute versus memory-bound serving", rows,
              {{"TPP", "TPP", "#0969da"}, {"memory bandwidth", "GB/s", "#1a7f37"}, {"decode", "tokens/s", "#d4470f"}},
              vals);
  }

  if (r.has_orders) {
    o << "<h2>Orders that change outcome</h2>\n";
    // By product: lines, units and value per transition.
    struct Agg {
      std::size_t lines = 0;
      double units = 0, value = 0;
    };
    std::map<std::pair<std::string, std::string>, Agg> by;
    std::size_t changed = 0;
    for (const auto& oi : r.orders) {
      const Outcome& b = r.order_outcomes[oi.before];
      const Outcome& a = r.order_outcomes[oi.after];
      if (b.same_as(a)) continue;
      ++changed;
      const auto& l = r.book->lines[oi.row_index].line;
      auto& g = by[{l.product_id, transition_name(transition(b, a))}];
      ++g.lines;
      g.units += l.quantity;
      g.value += l.value_usd;
    }
    o << "<table id=\"orders-by-product\"><thead><tr><th>product</th><th>change</th><th>lines</th><th>units</th>"
         "<th>value (USD)</th></tr></thead><tbody>\n";
    for (const auto& [k, g] : by)
      o << "<tr><td>" << html_escape(k.first) << "</td><td class=\"" << k.second << "\">" << k.second
        << "</td><td class=\"n\">" << g.lines << "</td><td class=\"n\">" << num(g.units, 0) << "</td><td class=\"n\">"
        << num(g.value, 0) << "</td></tr>\n";
    if (by.empty()) o << "<tr><td colspan=\"5\">No order line changes outcome.</td></tr>\n";
    o << "</tbody></table>\n";
    o << "<table id=\"changed-orders\"><thead><tr><th>order</th><th>line</th><th>product</th><th>ship to</th>"
         "<th>quantity</th><th>value (USD)</th><th>before</th><th>after</th><th>change</th></tr></thead><tbody>\n";
    std::size_t n = 0;
    for (const auto& oi : r.orders) {
      const Outcome& b = r.order_outcomes[oi.before];
      const Outcome& a = r.order_outcomes[oi.after];
      if (b.same_as(a)) continue;
      if (n++ >= max_order_rows) break;
      const auto& l = r.book->lines[oi.row_index].line;
      const char* tn = transition_name(transition(b, a));
      o << "<tr><td>" << html_escape(l.order_id) << "</td><td>" << html_escape(l.line) << "</td><td>"
        << html_escape(l.product_id) << "</td><td>" << html_escape(l.ship_to) << "</td><td class=\"n\">"
        << num(l.quantity, 0) << "</td><td class=\"n\">" << num(l.value_usd, 0) << "</td><td>"
        << html_escape(eccn_text(b) + "; " + licence_text(b)) << "</td><td>"
        << html_escape(eccn_text(a) + "; " + licence_text(a)) << "</td><td class=\"" << tn << "\">" << tn
        << "</td></tr>\n";
    }
    if (changed == 0) o << "<tr><td colspan=\"9\">No order line changes outcome.</td></tr>\n";
    o << "</tbody></table>\n";
    if (changed > max_order_rows)
      o << "<p class=\"muted\">" << max_order_rows << " of " << changed
        << " changed lines shown; the JSON and CSV outputs list every line.</p>\n";
    if (!r.order_errors.empty())
      o << "<p class=\"muted\">" << r.order_errors.size()
        << " order lines could not be decided (first: " << html_escape(r.order_errors.front().to_string())
        << ").</p>\n";
  }

  o << "<h2>All products</h2>\n<table id=\"all-products\"><thead>" << kCapabilityHeader << "</thead><tbody>\n";
  for (const auto& p : r.products) capability_row(o, p.item->id, p.item->name, p.capability);
  o << "</tbody></table>\n";

  o << "<h2>Assumptions</h2>\n<ul>"
       "<li>A product's licence outcome is the decision for a representative line: one unit exported from the US "
       "by the product's vendor to an end user located and headquartered in the destination, no declared end use, "
       "no listed party.</li>"
       "<li>Order lines are decided on the base date under both rule sets; their own dates are not used.</li>"
       "<li>Training proxy: 16-bit dense tensor rate x utilisation; 6 P FLOP per trained token.</li>"
       "<li>Decode: each step reads all weights once (b x bandwidth / (P x bytes per parameter)), 2 P FLOP per "
       "token; the lower bound wins. KV-cache traffic, interconnect and software efficiency are ignored, so "
       "these are upper bounds.</li>"
       "<li>Products with missing parameters are listed as not assessed; nothing is estimated in their place.</li>"
       "</ul>\n<p class=\"muted\">Generated by chipgate "
    << CHIPGATE_VERSION << ". Rule set hashes: base " << html_escape(r.base_rules->hash.substr(0, 16)) << ", scenario "
    << html_escape(r.scenario_rules->hash.substr(0, 16)) << ".</p>\n</body></html>\n";
}

}  // namespace chipgate::impact
