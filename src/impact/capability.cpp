#include "impact/capability.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "rules/vocabulary.h"

namespace chipgate::impact {

using rules::kPrecisionCount;
using rules::kPrecisionNames;
using rules::precision_index;

namespace {

// The precisions whose dense rate may bound the arithmetic of a model stored at `precision`, in
// order of preference: the precision itself, then wider formats a chip without native support
// would compute in (weights are up-converted; never narrower). "16-bit" means the highest of
// fp16, bf16 and fp16_bf16. See docs/capability-model.md, "Compute precision".
std::vector<std::string_view> compute_ladder(std::string_view precision) {
  if (precision == "fp4") return {"fp4", "fp6", "fp8", "16-bit", "fp32"};
  if (precision == "int4") return {"int4", "int8", "16-bit", "fp32"};
  if (precision == "fp6") return {"fp6", "fp8", "16-bit", "fp32"};
  if (precision == "fp8") return {"fp8", "16-bit", "fp32"};
  if (precision == "int8") return {"int8", "16-bit", "fp32"};
  if (precision == "fp16" || precision == "bf16") return {"16-bit", "fp32"};
  return {"fp32"};
}

struct Pooled {
  std::array<std::optional<double>, kPrecisionCount> rate{};
  std::optional<double> memory_bw_gbs;
  std::optional<double> memory_gb;
  int devices = 1;
};

Pooled pool(const classify::Item& item) {
  Pooled p;
  const classify::Item* ic = &item;
  double n = 1;
  if (item.kind == rules::ItemKind::kComputer && item.contained_ic) {
    ic = item.contained_ic.get();
    n = item.contained_count > 0 ? item.contained_count : 1;
    p.devices = item.contained_count > 0 ? item.contained_count : 1;
  }
  for (const auto& unit : ic->units)
    for (std::size_t i = 0; i < kPrecisionCount; ++i)
      if (unit.dense_rate[i]) p.rate[i] = p.rate[i].value_or(0) + *unit.dense_rate[i] * unit.count * n;
  if (ic->memory_bw_gbs) p.memory_bw_gbs = *ic->memory_bw_gbs * n;
  if (ic->memory_gb) p.memory_gb = *ic->memory_gb * n;
  return p;
}

std::optional<double> rate_of(const Pooled& p, std::string_view name) {
  if (name == "16-bit") {
    std::optional<double> best;
    for (auto n : {"fp16", "bf16", "fp16_bf16"})
      if (auto r = p.rate[precision_index(n)]; r && (!best || *r > *best)) best = r;
    return best;
  }
  const std::size_t i = precision_index(name);
  return i < kPrecisionCount ? p.rate[i] : std::nullopt;
}

void add_missing(std::vector<std::string>& missing, std::string what) {
  if (std::find(missing.begin(), missing.end(), what) == missing.end()) missing.push_back(std::move(what));
}

}  // namespace

std::optional<double> bytes_per_param(std::string_view precision) {
  if (precision == "fp4" || precision == "int4") return 0.5;
  if (precision == "fp6") return 0.75;
  if (precision == "fp8" || precision == "int8") return 1.0;
  if (precision == "fp16" || precision == "bf16") return 2.0;
  if (precision == "fp32") return 4.0;
  return std::nullopt;
}

Status validate(const ModelParams& m) {
  if (!(m.params > 0) || !std::isfinite(m.params)) return Status::error("model-params: must be a number > 0");
  if (!bytes_per_param(m.precision))
    return Status::error("precision: '" + m.precision + "' is not one of fp4, int4, fp6, fp8, int8, fp16, bf16, fp32");
  if (m.batch < 1) return Status::error("batch: must be >= 1");
  if (!(m.mfu > 0) || m.mfu > 1) return Status::error("mfu: must be in (0, 1]");
  return Status::ok();
}

Capability assess(const classify::Item& item, const classify::Metrics& metrics, const ModelParams& model) {
  Capability c;
  const Pooled p = pool(item);
  c.device_count = p.devices;
  c.memory_only = item.kind == rules::ItemKind::kHbm;
  for (std::size_t i = 0; i < kPrecisionCount; ++i)
    if (p.rate[i]) c.dense.push_back({std::string(kPrecisionNames[i]), *p.rate[i]});
  c.tpp = metrics.tpp;
  c.pd = metrics.pd;
  c.memory_bw_gbs = p.memory_bw_gbs;
  c.memory_gb = p.memory_gb;
  if (!c.memory_bw_gbs) add_missing(c.missing, "memory_bw_gbs");
  if (!c.memory_gb) add_missing(c.missing, "memory_gb");
  if (c.memory_only) return c;  // a memory stack: bandwidth and capacity are its whole capability

  const double bytes = *bytes_per_param(model.precision);
  c.weights_gb = model.params * bytes / 1e9;
  if (c.memory_gb && *c.memory_gb > 0) {
    c.fits = *c.weights_gb <= *c.memory_gb;
    const double k = std::ceil(*c.weights_gb / *c.memory_gb);
    if (k <= 1e9) c.devices_to_fit = static_cast<int>(k);  // beyond: no meaningful replica count
  }
  // Training: 6 P FLOP per token (forward 2P + backward 4P) at the 16-bit tensor rate.
  if (auto r = rate_of(p, "16-bit")) {
    c.train_tflops = *r * model.mfu;
    c.train_tokens_per_s = *c.train_tflops * 1e12 / (6 * model.params);
  } else {
    add_missing(c.missing, "dense_tflops_fp16_bf16");
  }
  // Decode: each step reads all weights once for the whole batch (memory bound) and does 2P FLOP
  // per token (compute bound).
  if (c.memory_bw_gbs) c.decode_memory_bound = model.batch * *c.memory_bw_gbs * 1e9 / (model.params * bytes);
  for (auto name : compute_ladder(model.precision)) {
    if (auto r = rate_of(p, name)) {
      c.compute_precision = name == "16-bit" ? "fp16_bf16" : std::string(name);
      c.decode_compute_bound = *r * 1e12 / (2 * model.params);
      break;
    }
  }
  if (!c.decode_compute_bound)
    add_missing(c.missing, "dense_" + std::string(model.precision.find("int") == 0 ? "tops_" : "tflops_") +
                               model.precision + " (or a wider precision)");
  if (c.decode_memory_bound && c.decode_compute_bound) {
    const bool memory = *c.decode_memory_bound <= *c.decode_compute_bound;
    c.decode_tokens_per_s = memory ? *c.decode_memory_bound : *c.decode_compute_bound;
    c.decode_bound = memory ? "memory" : "compute";
  }
  return c;
}

void add_to(Aggregate& agg, const std::string& id, const Capability& cap, double units) {
  agg.units += units;
  agg.products += 1;
  if (cap.memory_bw_gbs) agg.memory_bw_gbs += units * *cap.memory_bw_gbs;
  if (cap.memory_gb) agg.memory_gb += units * *cap.memory_gb;
  if (cap.tpp) agg.tpp += units * *cap.tpp;
  if (cap.train_tflops) agg.train_tflops += units * *cap.train_tflops;
  if (cap.train_tokens_per_s) agg.train_tokens_per_s += units * *cap.train_tokens_per_s;
  if (cap.decode_tokens_per_s && cap.devices_to_fit && *cap.devices_to_fit > 0) {
    // Whole replicas only: k devices pool memory and bandwidth (perfect tensor-parallel scaling).
    const double k = *cap.devices_to_fit;
    const double replicas = std::floor(units / k);
    agg.replicas += replicas;
    agg.decode_tokens_per_s += replicas * k * *cap.decode_tokens_per_s;
  }
  if (!cap.assessed()) {
    std::string m;
    for (const auto& x : cap.missing) m += (m.empty() ? "" : ", ") + x;
    agg.not_assessed.push_back(id + " (missing " + m + ")");
  }
}

}  // namespace chipgate::impact
