// Cost of an audited decision write (issue 5): Store::record_decision = decision row + hash-chained
// audit record in one committed transaction, on SQLite (WAL, synchronous=NORMAL and =FULL) and on
// PostgreSQL (when CHIPGATE_BENCH_PG or CHIPGATE_TEST_PG holds a URL, e.g. through
// scripts/with-postgres.sh), with 1 and 2 writer threads; and batches of 64 in one transaction.
//
//   scripts/with-postgres.sh ./build/bench/chipgate_store_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/store.h"

namespace {

using namespace chipgate;

// One store per backend for the whole run (shared by the benchmark's threads, as by a server).
store::Store* bench_store(const std::string& backend) {
  static std::mutex m;
  static std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::lock_guard lk(m);
  if (auto it = stores.find(backend); it != stores.end()) return it->second.get();
  std::string spec;
  const std::string tmp = "/tmp/chipgate-store-bench-" + std::to_string(::getpid());
  if (backend == "sqlite") spec = "sqlite:" + tmp + "-normal.db";
  if (backend == "sqlite_full") spec = "sqlite:" + tmp + "-full.db?sync=full";
  if (backend == "postgresql") {
    const char* url = std::getenv("CHIPGATE_BENCH_PG");
    if (!url || !*url) url = std::getenv("CHIPGATE_TEST_PG");
    if (!url || !*url) return nullptr;
    spec = url;
  }
  auto st = store::Store::open(spec);
  if (!st) {
    std::fprintf(stderr, "store_bench: %s\n", st.message().c_str());
    return nullptr;
  }
  return (stores[backend] = std::move(st).value()).get();
}

// A decision the size of a real `decide` record: ~0.3 KB of inputs, ~1.2 KB of outputs.
store::AuditEvent typical_decision() {
  store::AuditEvent e;
  e.actor = "k-0123456789abcdef";
  e.kind = "decision.decide";
  e.inputs = {{"order_id", "PO-4711"},
              {"line", 1},
              {"product_id", "nvidia-h100-sxm5-80gb"},
              {"quantity", 8},
              {"destination", "SG"},
              {"consignee", {{"name", "Example Compute Pte Ltd"}, {"country", "SG"}}},
              {"end_user", {{"name", "Example Cloud"}, {"country", "SG"}, {"headquarters", "SG"}}},
              {"date", "2026-11-30"}};
  e.outputs = {{"eccn", "3A090.a"},
               {"license_required", true},
               {"review_policy", "presumption of approval"},
               {"reasons",
                {"3A090.a: TPP 15832 >= 4800 (rules 2025-01-16, 15 CFR 774 Supp. 1)",
                 "destination SG: Country Group A:5? no; D:1? no; license required under 742.6(a)(6)(iii) for "
                 "items to destinations outside A:5 with headquarters in D:5 or Macau: not applicable",
                 "end user screened against snapshot: no hit"}},
               {"exceptions", {{"NAC", "not available: TPP >= 4800"}, {"ACA", "not available"}}},
               {"trace",
                {{{"step", "classify"}, {"result", "3A090.a"}},
                 {{"step", "destination"}, {"result", "license required"}},
                 {{"step", "screening"}, {"result", "clear"}}}},
               {"disclaimer", "Not legal advice"}};
  e.rule_set_id = "2025-01-16";
  e.rule_set_hash = "9f2c4d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d";
  e.list_snapshot_id = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00";
  return e;
}

void BM_AuditedDecision(benchmark::State& state, const char* backend) {
  store::Store* s = bench_store(backend);
  if (!s) {
    state.SkipWithError("no store (PostgreSQL: set CHIPGATE_BENCH_PG or run under scripts/with-postgres.sh)");
    return;
  }
  const store::AuditEvent e = typical_decision();
  for (auto _ : state) {
    auto id = s->record_decision(e);
    if (!id) {
      state.SkipWithError(id.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(id.value());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AuditedDecisionBatch64(benchmark::State& state, const char* backend) {
  store::Store* s = bench_store(backend);
  if (!s) {
    state.SkipWithError("no store (PostgreSQL: set CHIPGATE_BENCH_PG or run under scripts/with-postgres.sh)");
    return;
  }
  const std::vector<store::AuditEvent> batch(64, typical_decision());
  for (auto _ : state) {
    auto ids = s->record_decisions(batch);
    if (!ids) {
      state.SkipWithError(ids.message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

void BM_VerifyChain(benchmark::State& state, const char* backend) {
  store::Store* s = bench_store(backend);
  if (!s) {
    state.SkipWithError("no store");
    return;
  }
  std::int64_t records = 0;
  for (auto _ : state) {
    auto rep = s->verify_audit();
    if (!rep || !rep->ok) {
      state.SkipWithError("verify failed");
      break;
    }
    records = rep->records;
  }
  state.counters["records"] = static_cast<double>(records);
  state.SetItemsProcessed(state.iterations() * records);
}

BENCHMARK_CAPTURE(BM_AuditedDecision, sqlite, "sqlite")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditedDecision, sqlite_full, "sqlite_full")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditedDecision, postgresql, "postgresql")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditedDecisionBatch64, sqlite, "sqlite")->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditedDecisionBatch64, sqlite_full, "sqlite_full")->UseRealTime();
BENCHMARK_CAPTURE(BM_AuditedDecisionBatch64, postgresql, "postgresql")->UseRealTime();
BENCHMARK_CAPTURE(BM_VerifyChain, sqlite, "sqlite")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_VerifyChain, postgresql, "postgresql")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
