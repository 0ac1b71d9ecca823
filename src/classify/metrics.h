// The physical metrics the rules compare: TPP, performance density, memory bandwidth density, and
// the raw parameters conditions may name. Computed once per item, with how each was derived.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/item.h"
#include "rules/rule_set.h"

namespace chipgate::classify {

// One precision's contribution to TPP: sum over units of count x dense rate, times the bit length.
struct TppTerm {
  std::size_t precision = 0;  // index into rules::kPrecisionNames
  double rate = 0;            // summed dense TOPS/TFLOPS
  int bits = 0;
  double tpp = 0;
};

struct Metrics {
  // 2 x MacTOPS x bit length: the sum over processing units of each unit's highest TPP over its
  // precisions (Technical Note 1.d "TPP = TPP1 + ... + TPPn"; Note 2 "maximum value theoretically
  // possible"). With one unit kind, or units peaking at the same precision, this is the highest
  // precision's total.
  std::optional<double> tpp;
  std::vector<TppTerm> tpp_terms;  // per precision, summed over units
  std::size_t tpp_precision = 0;   // the precision whose total is highest
  // Units peaking at different precisions: the highest single-precision total, lower than `tpp`,
  // kept so the trace shows both readings (`tpp_mixed` flags the part).
  std::optional<double> tpp_single_precision;
  bool tpp_mixed = false;
  bool tpp_declared = false;  // TPP is the vendor's published figure, not computed from rates
  std::optional<double> pd;   // TPP / applicable die area
  std::optional<double> mbd;  // memory bandwidth / package or stack area
  std::optional<double> io_bw;
  std::optional<double> dram_bw;
  std::optional<double> transistors_billion;

  // Value of a metric named in a rule condition (see rules::kMetricNames); nullopt when unknown.
  std::optional<double> get(std::string_view name) const;
};

Metrics compute_metrics(const Item& item, const rules::Conventions& conventions);

// The item parameters a metric is computed from that are missing for this item, e.g. for "pd"
// with no die area: {"die_area_mm2"}. Empty when the metric is known.
std::vector<std::string> missing_inputs(std::string_view metric, const Item& item, const Metrics& m);

// Unit text for a metric ("", "TPP/mm2", "GB/s/mm2", "GB/s", "billion").
const char* metric_unit(std::string_view metric);
// Human name ("total processing performance (TPP)").
const char* metric_label(std::string_view metric);

// A one-line derivation: "int8 624 x 8 bits = 4992 (highest of int8, fp16_bf16, tf32, ...)".
std::string describe_derivation(std::string_view metric, const Item& item, const Metrics& m);

}  // namespace chipgate::classify
