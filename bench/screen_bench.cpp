// Restricted-party screening speed (issue 4), over all lists loaded together (BIS/State/DoW/DHS/FCC
// lists of ../shared/data/lists/bis-and-others_nsfreg, the OFAC SDN list and the OFAC non-SDN
// consolidated list: about 25,600 entries, 53,000 names with aliases).
//
//   ./build/bench/chipgate_screen_bench --benchmark_counters_tabular=true
//   CHIPGATE_BENCH_SCALE_MAX=100 ./build/bench/chipgate_screen_bench --benchmark_filter=Scaling
//
// - ScreenLoadLists / ScreenBuildIndex: list parsing, and index build from a loaded snapshot.
// - ScreenQueryLatency: one core, a fixed query set (2,000 variants of listed names: exact, upper
//   case without the last word, one typo in the longest word, words rotated; and 2,000 innocent
//   names, the first of yente's negatives_global.csv). Each query is timed on its own with
//   steady_clock; p50/p99/max are computed over all timed queries (counters p50_ms, p99_ms).
// - ScreenBatch/threads:N: Screener::batch over the same 4,000 parties, parties per second.
// - ScreenMemory: resident set (VmRSS) growth from before the lists are read to after the index is
//   built, and the process peak (VmHWM).
// - ScreenScaling/x: the real names plus synthetic names (real tokens recombined with a fixed-seed
//   generator, one letter changed) to x1, x10 (and x100 with CHIPGATE_BENCH_SCALE_MAX=100) the size;
//   build time, query p50/p99 and RSS growth per size.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "io/csv.h"
#include "screen/lists.h"
#include "screen/screener.h"

namespace {

using namespace chipgate;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "screen_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string shared(const std::string& rel) { return std::string(CHIPGATE_SHARED_DATA_DIR) + "/lists/" + rel; }

std::vector<std::string> list_paths() {
  return {shared("bis-and-others_nsfreg"), shared("ofac-sdn_kindrat86/ofac-sdn.json"),
          shared("ofac_watchman-testdata/cons_prim.csv"), shared("ofac_watchman-testdata/cons_alt.csv")};
}

std::shared_ptr<const screen::Terms> terms() {
  static std::shared_ptr<const screen::Terms> t = [] {
    auto r = screen::load_terms(std::string(CHIPGATE_SOURCE_DIR) + "/data/screening/terms.toml");
    if (!r) fail(r.message());
    return r.value();
  }();
  return t;
}

// kB of a /proc/self/status field (VmRSS, VmHWM); 0 when unavailable.
double proc_status_mb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::strtod(line.c_str() + key.size(), nullptr) / 1024.0;
  }
  return 0;
}

// A small deterministic generator (SplitMix64): the same sequence on every platform.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string join(const std::vector<std::string>& w) {
  std::string out;
  for (const auto& x : w) out += (out.empty() ? "" : " ") + x;
  return out;
}

// One letter of the longest word changed (not the first letter).
std::string typo(const std::string& name, Rng& rng) {
  auto w = split_words(name);
  if (w.empty()) return name;
  auto it = std::max_element(w.begin(), w.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  if (it->size() >= 4) {
    const std::size_t j = 1 + rng.below(it->size() - 2);
    (*it)[j] = static_cast<char>('a' + rng.below(26));
  }
  return join(w);
}

struct Fixture {
  screen::Snapshot snapshot;
  std::unique_ptr<screen::Screener> screener;
  std::vector<screen::Party> parties;  // the fixed query set: variants, then decoys
  std::size_t variants = 0;

  Fixture() {
    auto snap = screen::load_lists(list_paths());
    if (!snap) fail(snap.message());
    snapshot = std::move(snap).value();
    auto s = screen::Screener::build(snapshot, terms());
    if (!s) fail(s.message());
    screener = std::move(s).value();

    Rng rng{20261130};
    const auto& entries = snapshot.entries;
    for (std::size_t i = 0; i < 2000; ++i) {
      const std::string& name = entries[rng.below(entries.size())].name;
      std::string q;
      switch (i % 4) {
        case 0:
          q = name;
          break;
        case 1: {
          auto w = split_words(name);
          if (w.size() > 1) w.pop_back();
          q = join(w);
          for (auto& c : q) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          break;
        }
        case 2:
          q = typo(name, rng);
          break;
        default: {
          auto w = split_words(name);
          if (w.size() > 1) std::rotate(w.begin(), w.begin() + 1, w.end());
          q = join(w);
        }
      }
      parties.push_back({"v" + std::to_string(i), q, "", "", i + 1});
    }
    variants = parties.size();
    std::ifstream in(std::string(CHIPGATE_SHARED_DATA_DIR) +
                     "/lists/name-matching-benchmarks/yente_candidate_generation/negatives_global.csv");
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    io::CsvReader reader(text);
    io::CsvRecord rec;
    std::string err;
    bool header = true;
    while (parties.size() < variants + 2000) {
      const auto st = reader.next(rec, err);
      if (st == io::CsvStatus::kEnd) break;
      if (st != io::CsvStatus::kRecord || rec.fields.empty()) continue;
      if (header) {
        header = false;
        continue;
      }
      parties.push_back({"d" + std::to_string(parties.size()), rec.fields[0], "", "", parties.size() + 1});
    }
    if (parties.size() < variants + 1000) fail("could not read the yente negatives");
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// This thread's CPU time in milliseconds (on a shared machine wall time also counts other processes).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Times every query of `parties` once per iteration and sets p50/p99/max counters in milliseconds:
// wall time (steady_clock) and this thread's CPU time (cpu_*).
void timed_queries(benchmark::State& state, const screen::Screener& s, const std::vector<screen::Party>& parties) {
  std::vector<double> ms, cpu;
  ms.reserve(parties.size() * 4);
  cpu.reserve(parties.size() * 4);
  std::size_t matches = 0;
  for (auto _ : state) {
    for (const auto& p : parties) {
      const double c0 = thread_cpu_ms();
      const auto t0 = std::chrono::steady_clock::now();
      auto r = s.query(p.name);
      const auto t1 = std::chrono::steady_clock::now();
      const double c1 = thread_cpu_ms();
      benchmark::DoNotOptimize(r);
      matches += r.match ? 1 : 0;
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      cpu.push_back(c1 - c0);
    }
  }
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p90_ms"] = percentile(ms, 0.90);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["cpu_p50_ms"] = percentile(cpu, 0.50);
  state.counters["cpu_p99_ms"] = percentile(cpu, 0.99);
  state.counters["match_share"] = static_cast<double>(matches) / static_cast<double>(ms.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(ms.size()));
}

void BM_ScreenMemory(benchmark::State& state) {
  double delta = 0;
  std::size_t names = 0;
  for (auto _ : state) {
    const double before = proc_status_mb("VmRSS");
    auto snap = screen::load_lists(list_paths());
    if (!snap) fail(snap.message());
    auto s = screen::Screener::build(std::move(snap).value(), terms());
    if (!s) fail(s.message());
    delta = proc_status_mb("VmRSS") - before;
    names = s.value()->name_count();
  }
  state.counters["rss_growth_mb"] = delta;
  state.counters["peak_rss_mb"] = proc_status_mb("VmHWM");
  state.counters["names"] = static_cast<double>(names);
}
BENCHMARK(BM_ScreenMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_ScreenLoadLists(benchmark::State& state) {
  std::size_t n = 0;
  for (auto _ : state) {
    auto snap = screen::load_lists(list_paths());
    if (!snap) fail(snap.message());
    n = snap.value().entries.size();
  }
  state.counters["entries"] = static_cast<double>(n);
}
BENCHMARK(BM_ScreenLoadLists)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_ScreenBuildIndex(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    state.PauseTiming();
    screen::Snapshot copy = f.snapshot;  // build() takes ownership; the copy is not timed
    state.ResumeTiming();
    auto s = screen::Screener::build(std::move(copy), terms());
    if (!s) fail(s.message());
    benchmark::DoNotOptimize(s.value());
  }
  state.counters["entries"] = static_cast<double>(f.snapshot.entries.size());
  state.counters["names"] = static_cast<double>(f.screener->name_count());
}
BENCHMARK(BM_ScreenBuildIndex)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_ScreenQueryLatency(benchmark::State& state) {
  auto& f = fixture();
  timed_queries(state, *f.screener, f.parties);
}
BENCHMARK(BM_ScreenQueryLatency)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_ScreenQueryLatencyVariantsOnly(benchmark::State& state) {
  auto& f = fixture();
  const std::vector<screen::Party> v(f.parties.begin(), f.parties.begin() + static_cast<std::ptrdiff_t>(f.variants));
  timed_queries(state, *f.screener, v);
}
BENCHMARK(BM_ScreenQueryLatencyVariantsOnly)->Iterations(3)->Unit(benchmark::kMillisecond);

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// items_per_second is wall-clock; parties_per_cpu_s divides by the CPU time of all threads, which is
// what the machine gives when other processes compete for the two cores.
void BM_ScreenBatch(benchmark::State& state) {
  auto& f = fixture();
  const auto threads = static_cast<unsigned>(state.range(0));
  double cpu = 0;
  for (auto _ : state) {
    const double c0 = process_cpu_s();
    auto r = f.screener->batch(f.parties, {}, threads);
    cpu += process_cpu_s() - c0;
    benchmark::DoNotOptimize(r);
  }
  const auto n = static_cast<double>(state.iterations()) * static_cast<double>(f.parties.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["parties_per_cpu_s"] = n / cpu;
}
BENCHMARK(BM_ScreenBatch)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

// Real names plus synthetic ones to `factor` times the real count.
std::vector<std::string> scaled_names(const screen::Snapshot& snap, std::size_t factor) {
  std::vector<std::string> real;
  for (const auto& e : snap.entries) {
    real.push_back(e.name);
    for (const auto& a : e.aliases) real.push_back(a);
  }
  std::vector<std::string> vocab;
  for (const auto& n : real)
    for (auto& w : split_words(n)) vocab.push_back(std::move(w));
  std::vector<std::string> out = real;
  Rng rng{factor * 1000003ULL};
  out.reserve(real.size() * factor);
  while (out.size() < real.size() * factor) {
    auto w = split_words(real[rng.below(real.size())]);
    for (auto& x : w)
      if (rng.below(2) == 0) x = vocab[rng.below(vocab.size())];
    out.push_back(typo(join(w), rng));
  }
  return out;
}

void BM_ScreenScaling(benchmark::State& state) {
  auto& f = fixture();
  const auto factor = static_cast<std::size_t>(state.range(0));
  const auto names = scaled_names(f.snapshot, factor);
  const double before = proc_status_mb("VmRSS");
  const auto t0 = std::chrono::steady_clock::now();
  auto s = screen::Screener::build(screen::snapshot_from_names(names), terms());
  const auto t1 = std::chrono::steady_clock::now();
  if (!s) fail(s.message());
  const double rss = proc_status_mb("VmRSS") - before;
  timed_queries(state, *s.value(), f.parties);
  state.counters["names"] = static_cast<double>(names.size());
  state.counters["build_s"] = std::chrono::duration<double>(t1 - t0).count();
  state.counters["rss_growth_mb"] = rss;
}
void scaling_args(benchmark::internal::Benchmark* b) {
  const char* env = std::getenv("CHIPGATE_BENCH_SCALE_MAX");
  const long max = env ? std::strtol(env, nullptr, 10) : 10;
  for (long x : {1L, 10L, 100L})
    if (x <= max) b->Arg(x);
}
BENCHMARK(BM_ScreenScaling)->Apply(scaling_args)->ArgName("x")->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
