// An item to classify: an IC, an HBM stack or package, or a computer containing ICs, as described
// by its datasheet parameters. Unknown is first-class: every parameter is optional, and the
// classifier says which missing parameter would decide the answer.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "rules/rule_set.h"
#include "rules/vocabulary.h"

namespace chipgate::classify {

using rules::ItemKind;

// Three-valued truth, for flags the vendor may not have declared and for tests on unknown values.
enum class Tri : unsigned char { kFalse, kTrue, kUnknown };
const char* tri_name(Tri t);  // "no", "yes", "unknown"

// One kind of processing unit on the IC (e.g. tensor cores), `count` of them, with its dense peak
// rates in TOPS or TFLOPS per precision (index into rules::kPrecisionNames; nullopt = not claimed).
struct ProcessingUnit {
  int count = 1;
  std::array<std::optional<double>, rules::kPrecisionCount> dense_rate{};
  bool any_rate() const;
};

struct Item {
  std::string id;
  std::string name;
  std::string vendor;
  ItemKind kind = ItemKind::kIc;

  std::vector<ProcessingUnit> units;          // rates summed over units (Technical Note: aggregate TPP)
  std::optional<double> tpp_declared;         // TPP as published by the vendor; overrides the rates
  std::optional<double> die_area_mm2;         // applicable die area: non-planar logic dies
  std::optional<double> memory_bw_gbs;        // total DRAM/HBM bandwidth of the package or stack
  std::optional<double> hbm_stack_area_mm2;   // HBM: area of the package or stack
  std::optional<double> interconnect_bw_gbs;  // aggregate bidirectional I/O bandwidth
  std::optional<double> transistors_billion;
  std::optional<int> hbm_stacks;   // 0 = no HBM; an IC with > 0 has co-packaged HBM
  Tri datacenter = Tri::kUnknown;  // designed or marketed for use in datacenters
  // Descriptive parameters kept for reports (capability model), not used by any rule today.
  std::optional<double> memory_gb;
  std::optional<double> tdp_w;
  std::optional<int> release_year;
  std::string process_node;
  std::string dominant_function;  // co-packaged HBM: "processing" (default) or "memory"
  std::string base_eccn;          // another CCL entry describing the item (e.g. "5A992"), for .z paragraphs

  // Computers and assemblies: the IC they contain and how many.
  std::shared_ptr<const Item> contained_ic;
  std::string contained_id;
  int contained_count = 0;
};

// Checks one dense rate (TOPS/TFLOPS): finite, not negative, plausible. The message has no field.
Status check_rate(double rate);

// Checks ranges and consistency; the message names the field ("die_area_mm2: must be > 0").
Status validate(const Item& item);

// Parses an item kind as written in catalogs: gpu/asic/ic/accelerator, hbm_stack/hbm,
// computer/server/system/board. Returns nullopt for anything else.
std::optional<ItemKind> parse_item_kind(std::string_view text);
// Parses yes/no/unknown/true/false/"" (empty = unknown).
std::optional<Tri> parse_tri(std::string_view text);

}  // namespace chipgate::classify
