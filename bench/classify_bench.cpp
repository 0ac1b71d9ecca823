// Classification throughput (issue 2): decision logic alone, with JSON rendering, CSV parsing of a
// synthetic 100,000-row catalog, CSV end to end, and loading the rules registry.
//
//   ./build-b/bench/chipgate_bench --benchmark_min_time=0.5
//
// Every benchmark is single-threaded; items/s is per core.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "core/date.h"
#include "io/catalog.h"
#include "io/classification_output.h"
#include "io/csv.h"
#include "rules/registry.h"

namespace {

using namespace chipgate;

constexpr std::size_t kSyntheticRows = 100000;
// The as-of date of the "current" runs (the version in force on it is the newest).
constexpr const char* kCurrentDate = "2026-11-25";
constexpr const char* kFirstVersionDate = "2022-10-07";

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "chipgate_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string rules_dir() { return std::string(CHIPGATE_SOURCE_DIR) + "/rules/us-ear"; }
std::string shared_catalog_path() { return std::string(CHIPGATE_SHARED_DATA_DIR) + "/accelerators.csv"; }

const std::shared_ptr<rules::Registry>& registry() {
  static const std::shared_ptr<rules::Registry> reg = [] {
    auto r = rules::Registry::load(rules_dir());
    if (!r) die(r.message());
    return r.value();
  }();
  return reg;
}

Date date(const char* text) {
  auto d = Date::parse(text);
  if (!d) die(d.message());
  return d.value();
}

rules::RuleSetPtr rules_on(const char* text) {
  auto rs = registry()->in_force(date(text));
  if (!rs) die(std::string("no rule version in force on ") + text);
  return rs;
}

const std::string& shared_csv() {
  static const std::string text = [] {
    auto t = io::read_file(shared_catalog_path());
    if (!t) die(t.message());
    return t.value();
  }();
  return text;
}

const io::Catalog& shared_catalog() {
  static const io::Catalog catalog = [] {
    auto c = io::parse_catalog_csv(shared_csv());
    if (!c) die(c.message());
    if (!c->errors.empty()) die("shared catalog: " + c->errors.front().to_string());
    if (c->rows.size() != 80) die("shared catalog: expected 80 rows, got " + std::to_string(c->rows.size()));
    return c.value();
  }();
  return catalog;
}

// The shared catalog's rows repeated with unique ids ("<id>-r<copy>") until `rows` rows; the same
// layout as bench/make_synthetic_catalog.py writes.
const std::string& synthetic_csv() {
  static const std::string text = [] {
    io::CsvReader reader(shared_csv());
    io::CsvRecord rec;
    std::string error;
    std::vector<std::vector<std::string>> records;
    while (true) {
      const auto st = reader.next(rec, error);
      if (st == io::CsvStatus::kEnd) break;
      if (st == io::CsvStatus::kError) die("shared catalog: " + error);
      records.push_back(rec.fields);
    }
    if (records.size() < 2) die("shared catalog has no rows");
    std::size_t id_col = 0;
    while (id_col < records[0].size() && records[0][id_col] != "id") ++id_col;
    if (id_col == records[0].size()) die("shared catalog has no id column");
    auto line = [](const std::vector<std::string>& fields) {
      std::string s;
      for (std::size_t i = 0; i < fields.size(); ++i) s += (i ? "," : "") + io::csv_cell(fields[i]);
      return s + "\n";
    };
    std::string out = line(records[0]);
    const std::size_t per_copy = records.size() - 1;
    for (std::size_t n = 0; n < kSyntheticRows; ++n) {
      auto fields = records[1 + n % per_copy];
      fields[id_col] += "-r" + std::to_string(n / per_copy);
      out += line(fields);
    }
    return out;
  }();
  return text;
}

// (a) Decision logic only: the 80 shared items, already parsed, under one rule version.
void BM_ClassifySharedCatalog(benchmark::State& state, const char* as_of) {
  const auto& catalog = shared_catalog();
  const Date d = date(as_of);
  const auto rs = rules_on(as_of);
  for (auto _ : state) {
    for (const auto& row : catalog.rows) {
      auto c = classify::classify(row.item, d, rs);
      benchmark::DoNotOptimize(c.status);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(catalog.rows.size()));
  state.SetLabel("rules " + rs->version.id);
}
BENCHMARK_CAPTURE(BM_ClassifySharedCatalog, current, kCurrentDate);
BENCHMARK_CAPTURE(BM_ClassifySharedCatalog, first_2022, kFirstVersionDate);

// (b) Classification plus the contract's JSON object (with trace), serialized.
void BM_ClassifyAndRenderJson(benchmark::State& state) {
  const auto& catalog = shared_catalog();
  const Date d = date(kCurrentDate);
  const auto rs = rules_on(kCurrentDate);
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& row : catalog.rows) {
      const auto c = classify::classify(row.item, d, rs);
      const std::string s = io::classification_to_json(row.item, c).dump();
      bytes += s.size();
      benchmark::DoNotOptimize(s.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(catalog.rows.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));  // JSON output bytes
}
BENCHMARK(BM_ClassifyAndRenderJson);

// (c) CSV parse (and validation, and computer linking) of the synthetic 100,000-row catalog.
void BM_CsvParseSynthetic(benchmark::State& state) {
  const std::string& text = synthetic_csv();
  for (auto _ : state) {
    auto c = io::parse_catalog_csv(text);
    if (!c || c->rows.size() != kSyntheticRows || !c->errors.empty()) {
      state.SkipWithError("synthetic catalog did not parse cleanly");
      break;
    }
    benchmark::DoNotOptimize(c->rows.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kSyntheticRows));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_CsvParseSynthetic)->Unit(benchmark::kMillisecond);

// (d) CSV end to end: parse + classify + JSON-lines rendering into one output buffer.
void BM_CsvEndToEndSynthetic(benchmark::State& state) {
  const std::string& text = synthetic_csv();
  const Date d = date(kCurrentDate);
  const auto rs = rules_on(kCurrentDate);
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto c = io::parse_catalog_csv(text);
    if (!c || c->rows.size() != kSyntheticRows) {
      state.SkipWithError("synthetic catalog did not parse cleanly");
      break;
    }
    for (const auto& row : c->rows) {
      out += io::classification_to_json(row.item, classify::classify(row.item, d, rs)).dump();
      out += '\n';
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kSyntheticRows));
  state.counters["output_MB"] = static_cast<double>(out.size()) / 1e6;
}
BENCHMARK(BM_CsvEndToEndSynthetic)->Unit(benchmark::kMillisecond);

// (e) Loading and checking the rules registry (every version and scenario resolved).
void BM_RegistryLoad(benchmark::State& state) {
  const std::string dir = rules_dir();
  for (auto _ : state) {
    auto r = rules::Registry::load(dir);
    if (!r) {
      state.SkipWithError(r.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r.value().get());
  }
}
BENCHMARK(BM_RegistryLoad)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
