#include "classify/metrics.h"

#include <algorithm>

#include "core/json_util.h"

namespace chipgate::classify {

using rules::kPrecisionCount;
using rules::kPrecisionNames;

std::optional<double> Metrics::get(std::string_view name) const {
  if (name == "tpp" || name == "bit_tops") return tpp;
  if (name == "pd") return pd;
  if (name == "mbd") return mbd;
  if (name == "io_bw") return io_bw;
  if (name == "dram_bw") return dram_bw;
  if (name == "transistors_billion") return transistors_billion;
  return std::nullopt;
}

Metrics compute_metrics(const Item& item, const rules::Conventions& conventions) {
  Metrics m;
  // TPP: per precision, aggregate over processing units; then the highest precision's total.
  // (Technical Notes 1.d and 2 to 3A090.a/.b: aggregate over units, evaluate the highest TPP.)
  std::array<double, kPrecisionCount> rate_sum{};
  std::array<bool, kPrecisionCount> claimed{};
  for (const auto& unit : item.units) {
    for (std::size_t p = 0; p < kPrecisionCount; ++p) {
      if (!unit.dense_rate[p]) continue;
      rate_sum[p] += *unit.dense_rate[p] * unit.count;
      claimed[p] = true;
    }
  }
  auto bits_of = [&](std::size_t p) {
    const auto it = conventions.bit_length.find(std::string(kPrecisionNames[p]));
    return it == conventions.bit_length.end() ? 0 : it->second;
  };
  for (std::size_t p = 0; p < kPrecisionCount; ++p) {
    if (!claimed[p]) continue;
    const int bits = bits_of(p);
    TppTerm term{p, rate_sum[p], bits, rate_sum[p] * bits};
    if (!m.tpp || term.tpp > *m.tpp) {
      m.tpp = term.tpp;
      m.tpp_precision = p;
    }
    m.tpp_terms.push_back(term);
  }
  // Each unit at its own highest TPP, summed. Units that run different precisions can reach this
  // together; it exceeds the highest single-precision total only when they peak at different ones.
  double unit_maxima = 0;
  for (const auto& unit : item.units) {
    double best = 0;
    for (std::size_t p = 0; p < kPrecisionCount; ++p)
      if (unit.dense_rate[p]) best = std::max(best, *unit.dense_rate[p] * unit.count * bits_of(p));
    unit_maxima += best;
  }
  if (m.tpp && unit_maxima > *m.tpp) {
    m.tpp_single_precision = m.tpp;
    m.tpp = unit_maxima;
    m.tpp_mixed = true;
  }
  // A TPP the vendor publishes governs: the rule rates MacTOPS at "the highest value the
  // manufacturer claims". The computed terms stay in the trace for comparison.
  if (item.tpp_declared) {
    m.tpp = item.tpp_declared;
    m.tpp_declared = true;
  }
  if (m.tpp && item.die_area_mm2) m.pd = *m.tpp / *item.die_area_mm2;
  if (item.memory_bw_gbs && item.hbm_stack_area_mm2) m.mbd = *item.memory_bw_gbs / *item.hbm_stack_area_mm2;
  m.io_bw = item.interconnect_bw_gbs;
  m.dram_bw = item.memory_bw_gbs;
  m.transistors_billion = item.transistors_billion;
  return m;
}

std::vector<std::string> missing_inputs(std::string_view metric, const Item& item, const Metrics& m) {
  std::vector<std::string> out;
  if (metric == "tpp" || metric == "bit_tops" || metric == "pd") {
    if (!m.tpp) out.emplace_back("dense_rates");
    if (metric == "pd" && !item.die_area_mm2) out.emplace_back("die_area_mm2");
  } else if (metric == "mbd") {
    if (!item.memory_bw_gbs) out.emplace_back("memory_bw_gbs");
    if (!item.hbm_stack_area_mm2) out.emplace_back("hbm_stack_area_mm2");
  } else if (metric == "io_bw") {
    if (!item.interconnect_bw_gbs) out.emplace_back("interconnect_bw_gbs");
  } else if (metric == "dram_bw") {
    if (!item.memory_bw_gbs) out.emplace_back("memory_bw_gbs");
  } else if (metric == "transistors_billion") {
    if (!item.transistors_billion) out.emplace_back("transistors_billion");
  }
  return out;
}

const char* metric_unit(std::string_view metric) {
  if (metric == "pd") return "TPP/mm2";
  if (metric == "mbd") return "GB/s/mm2";
  if (metric == "io_bw" || metric == "dram_bw") return "GB/s";
  if (metric == "transistors_billion") return "billion";
  return "";
}

const char* metric_label(std::string_view metric) {
  if (metric == "tpp") return "total processing performance (TPP)";
  if (metric == "bit_tops") return "bit length x TOPS";
  if (metric == "pd") return "performance density (PD)";
  if (metric == "mbd") return "memory bandwidth density";
  if (metric == "io_bw") return "aggregate bidirectional I/O bandwidth";
  if (metric == "dram_bw") return "total DRAM bandwidth";
  if (metric == "transistors_billion") return "transistor count";
  return "metric";
}

std::string describe_derivation(std::string_view metric, const Item& item, const Metrics& m) {
  if (metric == "tpp" || metric == "bit_tops") {
    if (!m.tpp) return "unknown: no dense rate given for any precision";
    if (m.tpp_declared) {
      std::string s = "vendor-declared TPP " + format_fixed(*m.tpp, 4);
      if (!m.tpp_terms.empty()) {
        double computed = 0;
        for (const auto& t : m.tpp_terms) computed = std::max(computed, t.tpp);
        s += " (computed from dense rates: " + format_fixed(computed, 4) + ")";
      }
      return s;
    }
    std::string s;
    for (const auto& t : m.tpp_terms) {
      if (!s.empty()) s += "; ";
      s += std::string(kPrecisionNames[t.precision]) + " " + format_fixed(t.rate, 4) + " x " + std::to_string(t.bits) +
           " bits = " + format_fixed(t.tpp, 4);
    }
    std::string units;
    if (item.units.size() > 1 || (item.units.size() == 1 && item.units[0].count > 1))
      units = ", rates summed over " + std::to_string(item.units.size()) + " processing unit kind(s)";
    if (m.tpp_mixed)
      return s +
             " -> mixed precision: the units peak at different precisions; TPP = sum of each unit's highest TPP = " +
             format_fixed(*m.tpp, 4) + " (Technical Note 1.d 'TPP = TPP1 + ... + TPPn', Note 2 'maximum value " +
             "theoretically possible'); the highest single-precision total is " +
             format_fixed(*m.tpp_single_precision, 4) + " (" + std::string(kPrecisionNames[m.tpp_precision]) +
             ") — a reading the text leaves open, flagged" + units +
             "; dense rates, precisions without a claimed rate contribute nothing";
    return s + " -> highest: " + format_fixed(*m.tpp, 4) + " (" + std::string(kPrecisionNames[m.tpp_precision]) + ")" +
           units + "; dense rates, precisions without a claimed rate contribute nothing";
  }
  if (metric == "pd") {
    if (!m.pd) return "unknown: needs TPP and applicable die area";
    return format_fixed(*m.tpp, 4) + " / " + format_fixed(*item.die_area_mm2, 4) +
           " mm2 (die_area_mm2 as applicable die area) = " + format_fixed(*m.pd, 4);
  }
  if (metric == "mbd") {
    if (!m.mbd) return "unknown: needs memory bandwidth and package/stack area";
    return format_fixed(*item.memory_bw_gbs, 4) + " GB/s / " + format_fixed(*item.hbm_stack_area_mm2, 4) +
           " mm2 (hbm_stack_area_mm2) = " + format_fixed(*m.mbd, 4);
  }
  if (metric == "io_bw") return m.io_bw ? "interconnect_bw_gbs as declared" : "unknown: interconnect_bw_gbs not given";
  if (metric == "dram_bw") return m.dram_bw ? "memory_bw_gbs as declared" : "unknown: memory_bw_gbs not given";
  if (metric == "transistors_billion") return m.transistors_billion ? "as declared" : "unknown";
  return "";
}

}  // namespace chipgate::classify
