// The names rule files may use in conditions. The classifier computes exactly these metrics and
// reads exactly these flags; the loader rejects any other name, with the file and line.
#pragma once

#include <array>
#include <string_view>

namespace chipgate::rules {

inline constexpr std::array<std::string_view, 7> kMetricNames = {
    "tpp",                  // total processing performance (2023 text)
    "bit_tops",             // bit length x TOPS (2022 text); same arithmetic as tpp
    "pd",                   // performance density, TPP / applicable die area (mm2)
    "mbd",                  // memory bandwidth density, GB/s / package or stack area (mm2)
    "io_bw",                // aggregate bidirectional I/O bandwidth, GB/s
    "dram_bw",              // total DRAM bandwidth, GB/s
    "transistors_billion",  // aggregated transistor count, billions
};

inline constexpr std::array<std::string_view, 1> kFlagNames = {
    "datacenter",  // designed or marketed for use in datacenters (vendor-asserted, never computed)
};

// Precision names a datasheet rate may be given in; every rule version must give each a bit length.
inline constexpr std::array<std::string_view, 11> kPrecisionNames = {
    "int4", "int8", "fp4", "fp6", "fp8", "fp16", "bf16", "fp16_bf16", "tf32", "fp32", "fp64",
};
inline constexpr std::size_t kPrecisionCount = kPrecisionNames.size();

// Index of a precision name in kPrecisionNames, or kPrecisionCount when unknown.
constexpr std::size_t precision_index(std::string_view name) {
  for (std::size_t i = 0; i < kPrecisionNames.size(); ++i)
    if (kPrecisionNames[i] == name) return i;
  return kPrecisionCount;
}

template <std::size_t N>
constexpr bool contains_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (auto n : names)
    if (n == name) return true;
  return false;
}

}  // namespace chipgate::rules
