#include "classify/item.h"

#include <cmath>

namespace chipgate::classify {

namespace {

// Plausibility bounds for input validation (not regulatory thresholds): far beyond any product,
// so that a unit mistake (TFLOPS typed as FLOPS, cm2 as mm2) is caught instead of classified.
constexpr double kMaxRate = 1e7;         // TOPS; the largest parts today are ~2e4
constexpr double kMaxArea = 1e6;         // mm2; a 300 mm wafer is ~7.1e4 (Cerebras WSE-3: 46,225)
constexpr double kMaxBandwidth = 1e9;    // GB/s; on-wafer SRAM (WSE-3) is ~2.1e7
constexpr double kMaxTransistors = 1e5;  // billions; WSE-3 has 4,000
constexpr int kMaxCount = 1000000;

Status check(const std::optional<double>& v, const char* field, double max, bool allow_zero) {
  if (!v) return Status::ok();
  if (!std::isfinite(*v)) return Status::error(std::string(field) + ": must be a finite number");
  if (*v < 0) return Status::error(std::string(field) + ": must not be negative (got " + std::to_string(*v) + ")");
  if (!allow_zero && *v == 0) return Status::error(std::string(field) + ": must be greater than 0");
  if (*v > max)
    return Status::error(std::string(field) + ": " + std::to_string(*v) + " is implausibly large (limit " +
                         std::to_string(max) + "); check the unit");
  return Status::ok();
}

}  // namespace

Status check_rate(double rate) {
  auto s = check(rate, "rate", kMaxRate, true);
  return s ? s : Status::error(s.message().substr(6));  // drop the "rate: " prefix
}

const char* tri_name(Tri t) {
  switch (t) {
    case Tri::kFalse:
      return "no";
    case Tri::kTrue:
      return "yes";
    case Tri::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool ProcessingUnit::any_rate() const {
  for (const auto& r : dense_rate)
    if (r) return true;
  return false;
}

Status validate(const Item& item) {
  for (const auto& u : item.units) {
    if (u.count < 1 || u.count > kMaxCount) return Status::error("units.count: must be between 1 and 1000000");
    for (std::size_t p = 0; p < rules::kPrecisionCount; ++p) {
      const std::string field = "dense rate " + std::string(rules::kPrecisionNames[p]);
      if (auto s = check(u.dense_rate[p], field.c_str(), kMaxRate, true); !s) return s;
    }
  }
  if (auto s = check(item.tpp_declared, "tpp_published", kMaxRate * 64, false); !s) return s;
  if (auto s = check(item.memory_gb, "memory_gb", 1e7, true); !s) return s;
  if (auto s = check(item.tdp_w, "tdp_w", 1e6, true); !s) return s;
  if (item.release_year && (*item.release_year < 1950 || *item.release_year > 2100))
    return Status::error("release_year: must be a year between 1950 and 2100");
  if (auto s = check(item.die_area_mm2, "die_area_mm2", kMaxArea, false); !s) return s;
  if (auto s = check(item.hbm_stack_area_mm2, "hbm_stack_area_mm2", kMaxArea, false); !s) return s;
  if (auto s = check(item.memory_bw_gbs, "memory_bw_gbs", kMaxBandwidth, true); !s) return s;
  if (auto s = check(item.interconnect_bw_gbs, "interconnect_bw_gbs", kMaxBandwidth, true); !s) return s;
  if (auto s = check(item.transistors_billion, "transistors_billion", kMaxTransistors, false); !s) return s;
  if (item.hbm_stacks && (*item.hbm_stacks < 0 || *item.hbm_stacks > 64))
    return Status::error("hbm_stacks: must be between 0 and 64");
  if (item.kind == ItemKind::kComputer) {
    if (!item.contained_ic && item.contained_id.empty())
      return Status::error("contains_id: a computer must name the IC it contains");
    if (item.contained_count < 1 || item.contained_count > kMaxCount)
      return Status::error("contains_count: must be between 1 and 1000000");
  }
  return Status::ok();
}

std::optional<ItemKind> parse_item_kind(std::string_view t) {
  if (t == "ic" || t == "gpu" || t == "asic" || t == "accelerator" || t == "cpu") return ItemKind::kIc;
  if (t == "hbm" || t == "hbm_stack") return ItemKind::kHbm;
  if (t == "computer" || t == "server" || t == "system" || t == "board" || t == "assembly") return ItemKind::kComputer;
  return std::nullopt;
}

std::optional<Tri> parse_tri(std::string_view t) {
  if (t == "yes" || t == "true" || t == "y") return Tri::kTrue;
  if (t == "no" || t == "false" || t == "n") return Tri::kFalse;
  if (t.empty() || t == "unknown") return Tri::kUnknown;
  return std::nullopt;
}

}  // namespace chipgate::classify
