// The capability model: what a product can do for AI work, derived from its catalog parameters.
//
// Formulas, units and assumptions are documented in docs/capability-model.md; every figure here
// is a peak (upper-bound) estimate from datasheet numbers, never a measurement. A figure whose
// inputs are missing is absent (nullopt) and the missing parameter is named in `missing`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/item.h"
#include "classify/metrics.h"
#include "core/result.h"

namespace chipgate::impact {

// The model an analyst asks about: P parameters stored at a precision, served at a batch size.
struct ModelParams {
  double params = 70e9;           // P, parameters of the served / trained model
  std::string precision = "fp8";  // weight precision for serving (fp4, int4, fp8, int8, fp16, bf16, fp32)
  int batch = 1;                  // sequences decoded together (each step reads the weights once)
  double mfu = 1.0;               // fraction of peak compute achieved in training (1 = peak, upper bound)
};

// Checks ranges; the message names the option ("model-params: must be > 0").
Status validate(const ModelParams& m);

// Bytes per parameter at a weight precision (fp4/int4 0.5, fp6 0.75, fp8/int8 1, fp16/bf16 2,
// fp32 4); nullopt for a name the model does not know.
std::optional<double> bytes_per_param(std::string_view precision);

struct DenseRate {
  std::string precision;  // rules::kPrecisionNames
  double rate = 0;        // dense TOPS / TFLOPS, summed over units (and contained ICs)
};

struct Capability {
  bool memory_only = false;      // an HBM stack: bandwidth and capacity, no compute
  int device_count = 1;          // computers: the contained ICs pooled
  std::vector<DenseRate> dense;  // every claimed precision
  std::optional<double> tpp;     // from the classifier's metrics (the rule set's bit lengths)
  std::optional<double> pd;      // TPP / die area
  std::optional<double> memory_bw_gbs;
  std::optional<double> memory_gb;
  // Training proxy: dense 16-bit tensor rate (max of fp16, bf16, fp16_bf16) x mfu.
  std::optional<double> train_tflops;
  std::optional<double> train_tokens_per_s;  // train_tflops x 1e12 / (6 P)
  // Serving: batch-b decode of a model of P parameters at the chosen precision.
  std::optional<double> weights_gb;            // P x bytes/param / 1e9 (the model, not the device)
  std::optional<bool> fits;                    // weights_gb <= memory_gb
  std::optional<int> devices_to_fit;           // ceil(weights_gb / memory_gb)
  std::string compute_precision;               // the precision whose rate bounds compute
  std::optional<double> decode_memory_bound;   // b x memory_bw x 1e9 / (P x bytes/param)
  std::optional<double> decode_compute_bound;  // rate x 1e12 / (2 P)
  std::optional<double> decode_tokens_per_s;   // min of the two
  std::string decode_bound;                    // "memory" or "compute"
  std::vector<std::string> missing;            // parameters whose absence leaves a figure out
  // True when every figure that applies to the kind of product was computed.
  bool assessed() const { return missing.empty(); }
};

// `metrics` is the item's classification metrics (for TPP/PD). Computers pool their contained ICs.
Capability assess(const classify::Item& item, const classify::Metrics& metrics, const ModelParams& model);

// Sum over units of products (N units of each): compute, bandwidth, capacity, and serving/training
// throughput of whole model replicas (floor(N / devices_to_fit) replicas).
struct Aggregate {
  double units = 0;
  int products = 0;
  double train_tflops = 0;
  double tpp = 0;  // sum of TPP (a count of capability, not a regulatory figure)
  double memory_bw_gbs = 0;
  double memory_gb = 0;
  double decode_tokens_per_s = 0;
  double train_tokens_per_s = 0;
  double replicas = 0;                    // whole model replicas the units can hold
  std::vector<std::string> not_assessed;  // product ids left out of some sum, with the reason
};

void add_to(Aggregate& agg, const std::string& id, const Capability& cap, double units);

}  // namespace chipgate::impact
