// Tests of classify::compute_metrics, missing_inputs and describe_derivation.
//
// Formulas (../shared/docs/regulations.md c.1, b.2, f.5; rules/us-ear/2022-10-07.toml conventions.notes):
//   TPP = sum over units u of max over precisions p of ( count_u x dense_rate_u,p x bit_length(p) );
//   equal to max over p of ( sum over u ) x bit_length(p) unless units peak at different precisions
//   PD  = TPP / die_area_mm2            (Technical Note: 'TPP' divided by 'applicable die area')
//   MBD = memory_bw_gbs / hbm_stack_area_mm2   (Technical Note to 3A090.c)
// Bit lengths come from the rule set's conventions (2022-10-07.toml [conventions.bit_length]):
//   int4 4, int8 8, fp4 4, fp6 6, fp8 8, fp16 16, bf16 16, fp16_bf16 16, tf32 32, fp32 32, fp64 64.
// Every expected value below is worked by hand from those formulas and the inputs written here.

#include "classify/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classify/item.h"
#include "rules/rule_set.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::classify {
namespace {

using Rates = std::initializer_list<std::pair<std::string_view, double>>;

std::size_t prec(std::string_view name) {
  const std::size_t p = rules::precision_index(name);
  if (p == rules::kPrecisionCount) throw std::runtime_error("unknown precision in test: " + std::string(name));
  return p;
}

ProcessingUnit make_unit(int count, Rates rates) {
  ProcessingUnit u;
  u.count = count;
  for (const auto& [name, rate] : rates) u.dense_rate[prec(name)] = rate;
  return u;
}

Item make_ic(Rates rates) {
  Item item;
  item.id = "test-ic";
  item.kind = ItemKind::kIc;
  item.units.push_back(make_unit(1, rates));
  return item;
}

// The conventions of the 2023-11-17 version (inherited from 2022-10-07 through `extends`).
const rules::Conventions& conv2023() {
  const auto v = test::registry()->version("2023-11-17");
  if (!v) throw std::runtime_error("version 2023-11-17 not in the registry");
  return v->conventions;
}

const TppTerm* term_for(const Metrics& m, std::string_view precision) {
  for (const auto& t : m.tpp_terms)
    if (t.precision == prec(precision)) return &t;
  return nullptr;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- conventions -----------------------------------------------------------------------------

TEST(MetricsConventions, BitLengthsOfThe2023VersionAreTheDocumentedOnes) {
  // 2022-10-07.toml [conventions.bit_length], inherited by 2023-11-17 through extends; tf32 is
  // counted as its 32-bit container width (conventions.notes.tf32).
  const auto& bl = conv2023().bit_length;
  const std::vector<std::pair<std::string, int>> expected = {
      {"int4", 4},  {"int8", 8},       {"fp4", 4},   {"fp6", 6},   {"fp8", 8},   {"fp16", 16},
      {"bf16", 16}, {"fp16_bf16", 16}, {"tf32", 32}, {"fp32", 32}, {"fp64", 64},
  };
  for (const auto& [name, bits] : expected) {
    ASSERT_TRUE(bl.count(name)) << name;
    EXPECT_EQ(bl.at(name), bits) << name;
  }
}

// --- TPP --------------------------------------------------------------------------------------

TEST(MetricsTpp, SinglePrecisionIsRateTimesBitLength) {
  // int8 624 TOPS x 8 bits = 4992 (the A100's INT8 figure, regulations.md c.3).
  const Metrics m = compute_metrics(make_ic({{"int8", 624}}), conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 4992.0);
  EXPECT_EQ(m.tpp_precision, prec("int8"));
  EXPECT_FALSE(m.tpp_declared);
  ASSERT_EQ(m.tpp_terms.size(), 1u);
  EXPECT_EQ(m.tpp_terms[0].bits, 8);
  EXPECT_DOUBLE_EQ(m.tpp_terms[0].rate, 624.0);
  EXPECT_DOUBLE_EQ(m.tpp_terms[0].tpp, 4992.0);
}

TEST(MetricsTpp, HighestPrecisionTermIsTaken) {
  // Technical Note 2: "the highest 'TPP' value should be evaluated".
  //   int8 100 x 8 = 800; fp16_bf16 200 x 16 = 3200; fp64 10 x 64 = 640  -> TPP 3200 (fp16_bf16).
  const Metrics m = compute_metrics(make_ic({{"int8", 100}, {"fp16_bf16", 200}, {"fp64", 10}}), conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 3200.0);
  EXPECT_EQ(m.tpp_precision, prec("fp16_bf16"));
  ASSERT_EQ(m.tpp_terms.size(), 3u);  // one term per claimed precision, no more
  const TppTerm* i8 = term_for(m, "int8");
  const TppTerm* f16 = term_for(m, "fp16_bf16");
  const TppTerm* f64 = term_for(m, "fp64");
  ASSERT_TRUE(i8 && f16 && f64);
  EXPECT_DOUBLE_EQ(i8->tpp, 800.0);
  EXPECT_DOUBLE_EQ(f16->tpp, 3200.0);
  EXPECT_EQ(f64->bits, 64);
  EXPECT_DOUBLE_EQ(f64->tpp, 640.0);
  EXPECT_EQ(term_for(m, "fp8"), nullptr);  // not claimed: contributes nothing
}

TEST(MetricsTpp, EveryPrecisionUsesItsConventionBitLength) {
  // One precision at a time, rate 10: TPP = 10 x bits.
  const std::vector<std::pair<std::string_view, double>> cases = {
      {"int4", 40},  {"int8", 80},       {"fp4", 40},   {"fp6", 60},   {"fp8", 80},   {"fp16", 160},
      {"bf16", 160}, {"fp16_bf16", 160}, {"tf32", 320}, {"fp32", 320}, {"fp64", 640},
  };
  for (const auto& [name, tpp] : cases) {
    const Metrics m = compute_metrics(make_ic({{name, 10}}), conv2023());
    ASSERT_TRUE(m.tpp.has_value()) << name;
    EXPECT_DOUBLE_EQ(*m.tpp, tpp) << name;
    EXPECT_EQ(m.tpp_precision, prec(name)) << name;
  }
}

TEST(MetricsTpp, Tf32CountedAs32Bits) {
  // conventions.notes.tf32: "TF32 is counted as 32 bits (its container width)".
  //   tf32 200 x 32 = 6400 > fp16_bf16 300 x 16 = 4800, so tf32 gives the maximum, 6400.
  // (Counted as 19 bits it would be 3800 and fp16 would win; see the custom-conventions test.)
  const Metrics m = compute_metrics(make_ic({{"tf32", 200}, {"fp16_bf16", 300}}), conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 6400.0);
  EXPECT_EQ(m.tpp_precision, prec("tf32"));
  const TppTerm* t = term_for(m, "tf32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bits, 32);
}

TEST(MetricsTpp, BitLengthsComeFromTheConventionsPassedIn) {
  // No bit length is hard-coded: with tf32 = 19 (the significant-bits reading), tf32 200 x 19 =
  // 3800 < fp16_bf16 300 x 16 = 4800, so TPP = 4800 from fp16_bf16.
  rules::Conventions c = conv2023();
  c.bit_length["tf32"] = 19;
  const Metrics m = compute_metrics(make_ic({{"tf32", 200}, {"fp16_bf16", 300}}), c);
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 4800.0);
  EXPECT_EQ(m.tpp_precision, prec("fp16_bf16"));
  const TppTerm* t = term_for(m, "tf32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bits, 19);
  EXPECT_DOUBLE_EQ(t->tpp, 3800.0);
}

TEST(MetricsTpp, UnitsAreAggregatedWithTheirCounts) {
  // Technical Note 1.d: TPP = TPP1 + ... + TPPn over the processing units, each at its highest.
  //   unit A: 4 x int8 100; unit B: 2 x (int8 50, fp16_bf16 40)
  //   per precision: int8 4x100 + 2x50 = 500 TOPS -> x 8 = 4000; fp16_bf16 2x40 = 80 -> x 16 = 1280.
  //   per unit: A int8 400 x 8 = 3200; B max(int8 100 x 8 = 800, fp16_bf16 80 x 16 = 1280) = 1280.
  //   TPP = 3200 + 1280 = 4480 (units peak at different precisions; 4000 kept beside it).
  Item item;
  item.id = "multi";
  item.units.push_back(make_unit(4, {{"int8", 100}}));
  item.units.push_back(make_unit(2, {{"int8", 50}, {"fp16_bf16", 40}}));
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 4480.0);
  EXPECT_TRUE(m.tpp_mixed);
  EXPECT_DOUBLE_EQ(*m.tpp_single_precision, 4000.0);
  EXPECT_EQ(m.tpp_precision, prec("int8"));
  const TppTerm* i8 = term_for(m, "int8");
  const TppTerm* f16 = term_for(m, "fp16_bf16");
  ASSERT_TRUE(i8 && f16);
  EXPECT_DOUBLE_EQ(i8->rate, 500.0);
  EXPECT_DOUBLE_EQ(f16->rate, 80.0);
  EXPECT_DOUBLE_EQ(f16->tpp, 1280.0);
}

TEST(MetricsTpp, UnitsPeakingAtDifferentPrecisionsSumTheirMaxima) {
  // Technical Note 1.d "'TPP' = TPP1 + TPP2 + ... + TPPn" over the processing units, each at "the
  // maximum value theoretically possible" (Note 2; 2022-10-07.toml conventions.notes.tpp).
  //   unit A: int8 100 only (800); unit B: fp16_bf16 60 only (960) -> TPP 800 + 960 = 1760.
  //   The highest single-precision total (960, fp16_bf16) is kept beside it and the part flagged.
  Item item;
  item.id = "hetero";
  item.units.push_back(make_unit(1, {{"int8", 100}}));
  item.units.push_back(make_unit(1, {{"fp16_bf16", 60}}));
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 1760.0);
  EXPECT_TRUE(m.tpp_mixed);
  ASSERT_TRUE(m.tpp_single_precision.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp_single_precision, 960.0);
  EXPECT_EQ(m.tpp_precision, prec("fp16_bf16"));
}

TEST(MetricsTpp, DeclaredTppOverridesComputedRates) {
  // tpp_declared: "TPP as published by the vendor; overrides the rates".
  //   rates: int8 624 x 8 = 4992; declared 5000 -> TPP 5000; PD = 5000 / 1000 = 5.
  Item item = make_ic({{"int8", 624}});
  item.tpp_declared = 5000;
  item.die_area_mm2 = 1000;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 5000.0);
  EXPECT_TRUE(m.tpp_declared);
  ASSERT_TRUE(m.pd.has_value());
  EXPECT_DOUBLE_EQ(*m.pd, 5.0);  // PD uses the declared TPP
  // The computed term stays for comparison.
  const TppTerm* i8 = term_for(m, "int8");
  ASSERT_NE(i8, nullptr);
  EXPECT_DOUBLE_EQ(i8->tpp, 4992.0);
}

TEST(MetricsTpp, DeclaredTppLowerThanRatesStillGoverns) {
  // Declared 4000 with int8 624 (4992 computed): the declared figure is the TPP.
  Item item = make_ic({{"int8", 624}});
  item.tpp_declared = 4000;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 4000.0);
  EXPECT_TRUE(m.tpp_declared);
}

TEST(MetricsTpp, DeclaredTppWithoutRates) {
  // No rates at all, declared 2368: TPP known (2368), no missing input.
  Item item;
  item.id = "declared-only";
  item.tpp_declared = 2368;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_DOUBLE_EQ(*m.tpp, 2368.0);
  EXPECT_TRUE(m.tpp_declared);
  EXPECT_TRUE(m.tpp_terms.empty());
  EXPECT_TRUE(missing_inputs("tpp", item, m).empty());
}

TEST(MetricsTpp, BitTopsIsTheSameArithmeticAsTpp) {
  // vocabulary.h: "bit_tops (2022 text); same arithmetic as tpp".  int8 600 x 8 = 4800.
  const Metrics m = compute_metrics(make_ic({{"int8", 600}}), conv2023());
  ASSERT_TRUE(m.get("bit_tops").has_value());
  EXPECT_DOUBLE_EQ(*m.get("bit_tops"), 4800.0);
  EXPECT_DOUBLE_EQ(*m.get("tpp"), 4800.0);
}

// --- PD, MBD, pass-through --------------------------------------------------------------------

TEST(MetricsDensity, PerformanceDensityIsTppOverDieArea) {
  // int8 600 x 8 = 4800; 4800 / 800 mm2 = 6.0.
  Item item = make_ic({{"int8", 600}});
  item.die_area_mm2 = 800;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.pd.has_value());
  EXPECT_DOUBLE_EQ(*m.pd, 6.0);
  EXPECT_DOUBLE_EQ(*m.get("pd"), 6.0);
}

TEST(MetricsDensity, PerformanceDensityOfA100Values) {
  // A100: int8 624 x 8 = 4992; 4992 / 826 = 6.04358... (regulations.md c.3: 6.04).
  Item item = make_ic({{"int8", 624}});
  item.die_area_mm2 = 826;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.pd.has_value());
  EXPECT_NEAR(*m.pd, 6.0436, 1e-4);
}

TEST(MetricsDensity, MemoryBandwidthDensityIsBandwidthOverStackArea) {
  // 1000 GB/s / 400 mm2 = 2.5 GB/s/mm2.
  Item item;
  item.id = "hbm";
  item.kind = ItemKind::kHbm;
  item.memory_bw_gbs = 1000;
  item.hbm_stack_area_mm2 = 400;
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.mbd.has_value());
  EXPECT_DOUBLE_EQ(*m.mbd, 2.5);
  EXPECT_DOUBLE_EQ(*m.get("mbd"), 2.5);
  ASSERT_TRUE(m.dram_bw.has_value());
  EXPECT_DOUBLE_EQ(*m.dram_bw, 1000.0);
  EXPECT_FALSE(m.tpp.has_value());
  EXPECT_FALSE(m.pd.has_value());
}

TEST(MetricsDensity, RawParametersPassThrough) {
  Item item = make_ic({{"int8", 1}});
  item.interconnect_bw_gbs = 600;
  item.memory_bw_gbs = 2039;
  item.transistors_billion = 54.2;
  const Metrics m = compute_metrics(item, conv2023());
  EXPECT_DOUBLE_EQ(*m.get("io_bw"), 600.0);
  EXPECT_DOUBLE_EQ(*m.get("dram_bw"), 2039.0);
  EXPECT_DOUBLE_EQ(*m.get("transistors_billion"), 54.2);
  EXPECT_FALSE(m.get("no_such_metric").has_value());
  EXPECT_FALSE(m.mbd.has_value());  // no stack area
}

// --- unknowns ---------------------------------------------------------------------------------

TEST(MetricsUnknown, NoRatesMeansUnknownTppAndPd) {
  Item item;
  item.id = "no-rates";
  item.die_area_mm2 = 800;
  const Metrics m = compute_metrics(item, conv2023());
  EXPECT_FALSE(m.tpp.has_value());
  EXPECT_FALSE(m.pd.has_value());  // PD needs TPP even when the die area is known
  EXPECT_TRUE(m.tpp_terms.empty());
  EXPECT_EQ(missing_inputs("tpp", item, m), std::vector<std::string>{"dense_rates"});
  EXPECT_EQ(missing_inputs("bit_tops", item, m), std::vector<std::string>{"dense_rates"});
  EXPECT_EQ(missing_inputs("pd", item, m), std::vector<std::string>{"dense_rates"});
}

TEST(MetricsUnknown, UnitWithoutAnyClaimedRateIsUnknownNotZero) {
  // A unit listed with no claimed rate: "a precision with no claimed rate contributes nothing", and
  // with no claimed rate at all TPP is unknown (not 0).
  Item item;
  item.id = "empty-unit";
  item.units.push_back(make_unit(8, {}));
  const Metrics m = compute_metrics(item, conv2023());
  EXPECT_FALSE(m.tpp.has_value());
  EXPECT_EQ(missing_inputs("tpp", item, m), std::vector<std::string>{"dense_rates"});
}

TEST(MetricsUnknown, NoDieAreaMeansUnknownPd) {
  Item item = make_ic({{"int8", 600}});
  const Metrics m = compute_metrics(item, conv2023());
  ASSERT_TRUE(m.tpp.has_value());
  EXPECT_FALSE(m.pd.has_value());
  EXPECT_TRUE(missing_inputs("tpp", item, m).empty());
  EXPECT_EQ(missing_inputs("pd", item, m), std::vector<std::string>{"die_area_mm2"});
}

TEST(MetricsUnknown, NeitherRatesNorDieArea) {
  Item item;
  item.id = "nothing";
  const Metrics m = compute_metrics(item, conv2023());
  auto missing = missing_inputs("pd", item, m);
  std::sort(missing.begin(), missing.end());
  EXPECT_EQ(missing, (std::vector<std::string>{"dense_rates", "die_area_mm2"}));
}

TEST(MetricsUnknown, MemoryBandwidthDensityInputs) {
  Item item;
  item.id = "hbm";
  item.kind = ItemKind::kHbm;
  {
    const Metrics m = compute_metrics(item, conv2023());
    EXPECT_FALSE(m.mbd.has_value());
    auto missing = missing_inputs("mbd", item, m);
    std::sort(missing.begin(), missing.end());
    EXPECT_EQ(missing, (std::vector<std::string>{"hbm_stack_area_mm2", "memory_bw_gbs"}));
  }
  item.memory_bw_gbs = 819.2;
  {
    const Metrics m = compute_metrics(item, conv2023());
    EXPECT_FALSE(m.mbd.has_value());
    EXPECT_EQ(missing_inputs("mbd", item, m), std::vector<std::string>{"hbm_stack_area_mm2"});
  }
  item.memory_bw_gbs.reset();
  item.hbm_stack_area_mm2 = 100;
  {
    const Metrics m = compute_metrics(item, conv2023());
    EXPECT_FALSE(m.mbd.has_value());
    EXPECT_EQ(missing_inputs("mbd", item, m), std::vector<std::string>{"memory_bw_gbs"});
  }
  item.memory_bw_gbs = 819.2;
  {
    const Metrics m = compute_metrics(item, conv2023());
    ASSERT_TRUE(m.mbd.has_value());
    EXPECT_DOUBLE_EQ(*m.mbd, 8.192);  // 819.2 / 100
    EXPECT_TRUE(missing_inputs("mbd", item, m).empty());
  }
}

TEST(MetricsUnknown, RawParameterInputs) {
  Item item;
  item.id = "bare";
  const Metrics m = compute_metrics(item, conv2023());
  EXPECT_EQ(missing_inputs("io_bw", item, m), std::vector<std::string>{"interconnect_bw_gbs"});
  EXPECT_EQ(missing_inputs("dram_bw", item, m), std::vector<std::string>{"memory_bw_gbs"});
  EXPECT_EQ(missing_inputs("transistors_billion", item, m), std::vector<std::string>{"transistors_billion"});
  EXPECT_FALSE(m.io_bw.has_value());
  EXPECT_FALSE(m.dram_bw.has_value());
  EXPECT_FALSE(m.transistors_billion.has_value());
}

// --- describe_derivation ----------------------------------------------------------------------

TEST(MetricsDerivation, TppNamesRateBitsProductAndWinner) {
  // int8 624 x 8 = 4992; fp64 9.7 x 64 = 620.8 -> highest 4992 (int8).
  Item item = make_ic({{"int8", 624}, {"fp64", 9.7}});
  const Metrics m = compute_metrics(item, conv2023());
  const std::string d = describe_derivation("tpp", item, m);
  EXPECT_TRUE(contains(d, "int8 624 x 8 bits = 4992")) << d;
  EXPECT_TRUE(contains(d, "fp64 9.7 x 64 bits = 620.8")) << d;
  EXPECT_TRUE(contains(d, "4992 (int8)")) << d;
}

TEST(MetricsDerivation, MultiUnitSaysRatesWereSummed) {
  // 4 x int8 100 + 2 x int8 50 = 500 TOPS -> 4000.
  Item item;
  item.id = "multi";
  item.units.push_back(make_unit(4, {{"int8", 100}}));
  item.units.push_back(make_unit(2, {{"int8", 50}}));
  const Metrics m = compute_metrics(item, conv2023());
  const std::string d = describe_derivation("tpp", item, m);
  EXPECT_TRUE(contains(d, "int8 500 x 8 bits = 4000")) << d;
  EXPECT_TRUE(contains(d, "2 processing unit")) << d;
}

TEST(MetricsDerivation, DeclaredTppIsSaidToBeDeclared) {
  Item item = make_ic({{"int8", 624}});
  item.tpp_declared = 5000;
  const Metrics m = compute_metrics(item, conv2023());
  const std::string d = describe_derivation("tpp", item, m);
  EXPECT_TRUE(contains(d, "declared")) << d;
  EXPECT_TRUE(contains(d, "5000")) << d;
  EXPECT_TRUE(contains(d, "4992")) << d;  // the computed figure, for comparison
}

TEST(MetricsDerivation, PdAndMbdShowTheDivision) {
  Item ic = make_ic({{"int8", 600}});
  ic.die_area_mm2 = 800;
  const Metrics mi = compute_metrics(ic, conv2023());
  const std::string pd = describe_derivation("pd", ic, mi);
  EXPECT_TRUE(contains(pd, "4800 / 800")) << pd;
  EXPECT_TRUE(contains(pd, "= 6")) << pd;

  Item hbm;
  hbm.id = "hbm";
  hbm.kind = ItemKind::kHbm;
  hbm.memory_bw_gbs = 1000;
  hbm.hbm_stack_area_mm2 = 400;
  const Metrics mh = compute_metrics(hbm, conv2023());
  const std::string mbd = describe_derivation("mbd", hbm, mh);
  EXPECT_TRUE(contains(mbd, "1000")) << mbd;
  EXPECT_TRUE(contains(mbd, "400")) << mbd;
  EXPECT_TRUE(contains(mbd, "2.5")) << mbd;
}

TEST(MetricsDerivation, UnknownMetricsSayUnknown) {
  Item item;
  item.id = "nothing";
  const Metrics m = compute_metrics(item, conv2023());
  for (const char* metric : {"tpp", "pd", "mbd", "io_bw"}) {
    const std::string d = describe_derivation(metric, item, m);
    EXPECT_EQ(d.rfind("unknown", 0), 0u) << metric << ": " << d;
  }
}

TEST(MetricsLabels, UnitsOfTheDensityMetrics) {
  EXPECT_STREQ(metric_unit("pd"), "TPP/mm2");
  EXPECT_STREQ(metric_unit("mbd"), "GB/s/mm2");
  EXPECT_STREQ(metric_unit("io_bw"), "GB/s");
  EXPECT_STREQ(metric_unit("tpp"), "");
}

}  // namespace
}  // namespace chipgate::classify
