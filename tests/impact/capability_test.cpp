// The capability model's formulas, checked against hand-computed cases (arithmetic in comments).
#include "impact/capability.h"

#include <gtest/gtest.h>

#include "rules/vocabulary.h"

namespace chipgate::impact {
namespace {

using rules::precision_index;

classify::Item chip(std::string id, std::vector<std::pair<const char*, double>> rates, std::optional<double> mem_gb,
                    std::optional<double> bw_gbs) {
  classify::Item it;
  it.id = std::move(id);
  it.kind = rules::ItemKind::kIc;
  classify::ProcessingUnit u;
  for (const auto& [p, r] : rates) u.dense_rate[precision_index(p)] = r;
  it.units.push_back(u);
  it.memory_gb = mem_gb;
  it.memory_bw_gbs = bw_gbs;
  return it;
}

// H20-like: 296 dense FP8 TFLOPS, 148 FP16/BF16, 96 GB at 4000 GB/s.
classify::Item h20() { return chip("h20", {{"fp8", 296}, {"fp16_bf16", 148}}, 96, 4000); }
// H100 SXM-like: 1979 FP8, 989.4 FP16/BF16, 80 GB at 3350 GB/s.
classify::Item h100() { return chip("h100", {{"fp8", 1979}, {"fp16_bf16", 989.4}}, 80, 3350); }

TEST(Capability, BytesPerParameter) {
  EXPECT_EQ(bytes_per_param("fp4"), 0.5);
  EXPECT_EQ(bytes_per_param("int4"), 0.5);
  EXPECT_EQ(bytes_per_param("fp8"), 1.0);
  EXPECT_EQ(bytes_per_param("bf16"), 2.0);
  EXPECT_EQ(bytes_per_param("fp32"), 4.0);
  EXPECT_FALSE(bytes_per_param("fp12"));
}

TEST(Capability, DecodeIsMemoryBoundAtBatchOne) {
  const ModelParams m{70e9, "fp8", 1, 1.0};
  const auto c = assess(h20(), {}, m);
  // weights: 70e9 x 1 byte = 70 GB <= 96 GB -> fits on 1 device.
  EXPECT_DOUBLE_EQ(*c.weights_gb, 70.0);
  EXPECT_TRUE(*c.fits);
  EXPECT_EQ(*c.devices_to_fit, 1);
  // memory bound: 1 x 4000e9 B/s / 70e9 B per token = 57.142857 tokens/s.
  EXPECT_NEAR(*c.decode_memory_bound, 57.142857, 1e-5);
  // compute bound: 296e12 FLOP/s / (2 x 70e9 FLOP per token) = 2114.2857 tokens/s.
  EXPECT_NEAR(*c.decode_compute_bound, 2114.2857, 1e-3);
  EXPECT_NEAR(*c.decode_tokens_per_s, 57.142857, 1e-5);
  EXPECT_EQ(c.decode_bound, "memory");
  EXPECT_EQ(c.compute_precision, "fp8");
  // training: 148 TFLOPS x 1.0; 148e12 / (6 x 70e9) = 352.38095 tokens/s.
  EXPECT_DOUBLE_EQ(*c.train_tflops, 148);
  EXPECT_NEAR(*c.train_tokens_per_s, 352.38095, 1e-4);
  EXPECT_TRUE(c.assessed());
}

TEST(Capability, HbmRichChipOutservesComputeRichChipAtBatchOne) {
  const ModelParams m{70e9, "fp8", 1, 1.0};
  const auto a = assess(h20(), {}, m);
  const auto b = assess(h100(), {}, m);
  // H100: 3350e9 / 70e9 = 47.857 tokens/s (memory bound; compute bound 1979e12/140e9 = 14135.7).
  EXPECT_NEAR(*b.decode_tokens_per_s, 47.857143, 1e-5);
  EXPECT_NEAR(*b.decode_compute_bound, 14135.714, 1e-2);
  // The chip with ~1/7 of the compute decodes faster: 57.14 > 47.86.
  EXPECT_GT(*a.decode_tokens_per_s, *b.decode_tokens_per_s);
  EXPECT_LT(*a.train_tflops, *b.train_tflops);
}

TEST(Capability, LargeBatchBecomesComputeBound) {
  const ModelParams m{70e9, "fp8", 64, 1.0};
  const auto c = assess(h20(), {}, m);
  // memory bound 64 x 57.142857 = 3657.142857 > compute bound 2114.2857 -> compute.
  EXPECT_NEAR(*c.decode_memory_bound, 3657.142857, 1e-4);
  EXPECT_NEAR(*c.decode_tokens_per_s, 2114.2857, 1e-3);
  EXPECT_EQ(c.decode_bound, "compute");
}

TEST(Capability, PrecisionWithoutNativeRateUsesTheNextWiderOne) {
  // A100-like: no FP8; FP16/BF16 312, INT8 624. FP8 weights are computed at 16 bits:
  // 312e12 / (2 x 70e9) = 2228.5714 tokens/s.
  const auto c = assess(chip("a100", {{"int8", 624}, {"fp16_bf16", 312}}, 80, 2039), {}, {70e9, "fp8", 1, 1.0});
  EXPECT_EQ(c.compute_precision, "fp16_bf16");
  EXPECT_NEAR(*c.decode_compute_bound, 2228.5714, 1e-3);
  // INT8 weights use the INT8 rate: 624e12 / 140e9 = 4457.1429.
  const auto d = assess(chip("a100", {{"int8", 624}, {"fp16_bf16", 312}}, 80, 2039), {}, {70e9, "int8", 1, 1.0});
  EXPECT_EQ(d.compute_precision, "int8");
  EXPECT_NEAR(*d.decode_compute_bound, 4457.1429, 1e-3);
}

TEST(Capability, ModelLargerThanMemoryNeedsSeveralDevices) {
  // 70e9 x 2 bytes = 140 GB > 80 GB: ceil(140 / 80) = 2 devices.
  const auto c = assess(h100(), {}, {70e9, "bf16", 1, 1.0});
  EXPECT_DOUBLE_EQ(*c.weights_gb, 140);
  EXPECT_FALSE(*c.fits);
  EXPECT_EQ(*c.devices_to_fit, 2);
  // Utilisation scales training: 989.4 x 0.4 = 395.76 TFLOPS.
  const auto d = assess(h100(), {}, {70e9, "bf16", 1, 0.4});
  EXPECT_NEAR(*d.train_tflops, 395.76, 1e-9);
}

TEST(Capability, MissingParametersAreNamedNotInvented) {
  const auto c = assess(chip("x", {{"fp16_bf16", 100}}, std::nullopt, 1000), {}, {});
  EXPECT_FALSE(c.assessed());
  EXPECT_FALSE(c.fits.has_value());
  EXPECT_FALSE(c.memory_gb.has_value());
  EXPECT_NE(std::find(c.missing.begin(), c.missing.end(), "memory_gb"), c.missing.end());
  // No rates at all: neither training nor decode compute.
  const auto d = assess(chip("y", {}, 16, 500), {}, {});
  EXPECT_FALSE(d.train_tflops.has_value());
  EXPECT_FALSE(d.decode_tokens_per_s.has_value());
  EXPECT_NE(std::find(d.missing.begin(), d.missing.end(), "dense_tflops_fp16_bf16"), d.missing.end());
  EXPECT_EQ(d.missing.size(), 2u);  // 16-bit rate, fp8 (or wider) rate
}

TEST(Capability, HbmStackIsBandwidthAndCapacityOnly) {
  classify::Item hbm;
  hbm.id = "stack";
  hbm.kind = rules::ItemKind::kHbm;
  hbm.memory_gb = 36;
  hbm.memory_bw_gbs = 1228.8;
  const auto c = assess(hbm, {}, {});
  EXPECT_TRUE(c.memory_only);
  EXPECT_TRUE(c.assessed());
  EXPECT_FALSE(c.decode_tokens_per_s.has_value());
  EXPECT_DOUBLE_EQ(*c.memory_bw_gbs, 1228.8);
}

TEST(Capability, ComputerPoolsItsContainedIcs) {
  classify::Item server;
  server.id = "server";
  server.kind = rules::ItemKind::kComputer;
  server.contained_ic = std::make_shared<classify::Item>(h20());
  server.contained_count = 8;
  const auto c = assess(server, {}, {70e9, "bf16", 1, 1.0});
  // 8 x 4000 = 32000 GB/s, 8 x 96 = 768 GB, 8 x 148 = 1184 TFLOPS.
  EXPECT_DOUBLE_EQ(*c.memory_bw_gbs, 32000);
  EXPECT_DOUBLE_EQ(*c.memory_gb, 768);
  EXPECT_DOUBLE_EQ(*c.train_tflops, 1184);
  // 140 GB fits in 768 GB; memory bound 32000e9 / 140e9 = 228.5714.
  EXPECT_TRUE(*c.fits);
  EXPECT_NEAR(*c.decode_tokens_per_s, 228.5714, 1e-3);
}

TEST(Capability, AggregateCountsWholeReplicas) {
  const ModelParams m{70e9, "bf16", 1, 1.0};
  Aggregate agg;
  add_to(agg, "h20", assess(h20(), {}, m), 10);
  add_to(agg, "h100", assess(h100(), {}, m), 3);
  // Bandwidth 10 x 4000 + 3 x 3350 = 50050 GB/s; capacity 10 x 96 + 3 x 80 = 1200 GB.
  EXPECT_DOUBLE_EQ(agg.memory_bw_gbs, 50050);
  EXPECT_DOUBLE_EQ(agg.memory_gb, 1200);
  EXPECT_DOUBLE_EQ(agg.units, 13);
  // 140 GB model: H20 needs 2 devices -> floor(10/2) = 5 replicas x 2 x (4000/140 = 28.5714) = 285.714;
  // H100 needs 2 -> floor(3/2) = 1 replica x 2 x (3350/140 = 23.9286) = 47.857; total 333.571.
  EXPECT_DOUBLE_EQ(agg.replicas, 6);
  EXPECT_NEAR(agg.decode_tokens_per_s, 333.5714, 1e-3);
  // Training: 10 x 148 + 3 x 989.4 = 4448.2 TFLOPS.
  EXPECT_NEAR(agg.train_tflops, 4448.2, 1e-9);
  EXPECT_TRUE(agg.not_assessed.empty());
}

TEST(Capability, ValidateNamesTheOption) {
  EXPECT_TRUE(validate(ModelParams{}).is_ok());
  EXPECT_NE(validate({0, "fp8", 1, 1}).message().find("model-params"), std::string::npos);
  EXPECT_NE(validate({1e9, "fp12", 1, 1}).message().find("precision"), std::string::npos);
  EXPECT_NE(validate({1e9, "fp8", 0, 1}).message().find("batch"), std::string::npos);
  EXPECT_NE(validate({1e9, "fp8", 1, 1.5}).message().find("mfu"), std::string::npos);
}

}  // namespace
}  // namespace chipgate::impact
