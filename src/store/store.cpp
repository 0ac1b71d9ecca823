// The store: one implementation over db::Connection for both backends. See store.h for the
// contract and docs/store.md for the design (durability, serialisation of appends, keys).
#include "store/store.h"

#include <openssl/rand.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/json_util.h"
#include "core/json_writer.h"
#include "core/one_shot_event.h"
#include "core/sha256.h"
#include "store/db.h"
#include "store/migrations.h"

namespace chipgate::store {

namespace {

constexpr const char* kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";
// Advisory-lock key that serialises schema migrations of concurrently starting PostgreSQL instances.
constexpr std::int64_t kMigrationLockKey = 0x63686970676174;  // "chipgat"
constexpr std::size_t kMaxGroupCommit = 256;                  // decisions per group-commit transaction

std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

Result<std::string> random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    return Result<std::string>::error("OpenSSL RAND_bytes failed: no secure random source");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::int64_t to_int(const std::optional<std::string>& v) { return v ? std::strtoll(v->c_str(), nullptr, 10) : 0; }
std::string to_str(const std::optional<std::string>& v) { return v.value_or(""); }

// A plain string field must be valid UTF-8 without NUL (PostgreSQL text cannot hold NUL).
Status check_text(std::string_view field, const std::string& value) {
  if (value.find('\0') != std::string::npos) return Status::error(std::string(field) + ": contains a NUL character");
  if (!is_valid_utf8(value)) return Status::error(std::string(field) + ": not valid UTF-8");
  return Status::ok();
}

Result<std::string> dump_json(std::string_view field, const nlohmann::json& j) {
  try {
    return j.dump();  // std::map-backed objects: keys sorted, no whitespace
  } catch (const nlohmann::json::exception&) {
    return Result<std::string>::error(std::string(field) + ": contains a string that is not valid UTF-8");
  }
}

// PostgreSQL array literals for a batch insert through unnest(): {"a","b\\"c"} and {1,2,3}. Each
// element is quoted, with '"' and '\\' escaped by a backslash (texts never hold NUL: check_text).
std::string pg_text_array(const std::vector<std::string_view>& values) {
  std::size_t size = 2;
  for (auto v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size + size / 16);
  out.push_back('{');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    std::size_t run = 0;
    const std::string_view v = values[i];
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (v[k] != '"' && v[k] != '\\') continue;
      out.append(v.data() + run, k - run);
      out.push_back('\\');
      run = k;
    }
    out.append(v.data() + run, v.size() - run);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string pg_bigint_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

// The stored text of an event's inputs or outputs: the caller's text when it gave one (checked:
// valid UTF-8, one JSON object or array), else the document serialised.
Result<std::string> event_text(std::string_view field, const nlohmann::json& doc, const std::string& text) {
  if (text.empty()) return dump_json(field, doc);
  if (Status s = check_text(field, text); !s) return Result<std::string>(s);
  if (text.front() != '{' && text.front() != '[')
    return Result<std::string>::error(std::string(field) + ": not a JSON object or array");
  return text;
}

// An event checked and serialised before any transaction starts, so a bad event never opens one.
struct Prepared {
  std::string actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id;
};

Result<Prepared> prepare(const AuditEvent& e) {
  if (e.actor.empty()) return Result<Prepared>::error("audit event: actor is empty");
  if (e.kind.empty()) return Result<Prepared>::error("audit event: kind is empty");
  for (const auto& [name, value] : {std::pair<std::string_view, const std::string&>{"actor", e.actor},
                                    {"kind", e.kind},
                                    {"rule_set_id", e.rule_set_id},
                                    {"rule_set_hash", e.rule_set_hash},
                                    {"list_snapshot_id", e.list_snapshot_id}})
    if (Status s = check_text(name, value); !s) return Result<Prepared>(s);
  auto in = event_text("inputs", e.inputs, e.inputs_text);
  if (!in) return Result<Prepared>(in.status());
  auto out = event_text("outputs", e.outputs, e.outputs_text);
  if (!out) return Result<Prepared>(out.status());
  return Prepared{e.actor,       e.kind,          std::move(in).value(), std::move(out).value(),
                  e.rule_set_id, e.rule_set_hash, e.list_snapshot_id};
}

constexpr const char* kAuditColumns =
    "id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, prev_hash, hash";

AuditRecord audit_from_row(const db::Row& r) {
  AuditRecord a;
  a.id = to_int(r[0]);
  a.time = to_str(r[1]);
  a.actor = to_str(r[2]);
  a.kind = to_str(r[3]);
  a.inputs = to_str(r[4]);
  a.outputs = to_str(r[5]);
  a.rule_set_id = to_str(r[6]);
  a.rule_set_hash = to_str(r[7]);
  a.list_snapshot_id = to_str(r[8]);
  a.prev_hash = to_str(r[9]);
  a.hash = to_str(r[10]);
  return a;
}

nlohmann::json parse_or_text(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

ApiKeyInfo key_from_row(const db::Row& r) {  // id, name, role, created, expires, revoked
  ApiKeyInfo k;
  k.id = to_str(r[0]);
  k.name = to_str(r[1]);
  k.role = parse_role(to_str(r[2])).is_ok() ? parse_role(to_str(r[2])).value() : Role::viewer;
  k.created = to_str(r[3]);
  if (r[4]) {
    if (auto d = Date::parse(*r[4])) k.expires = d.value();
  }
  k.revoked = r[5];
  return k;
}

ListSnapshot snapshot_from_row(const db::Row& r) {  // id, imported, actor, source_counts, total, details, audit_id
  ListSnapshot s;
  s.id = to_str(r[0]);
  s.imported = to_str(r[1]);
  s.actor = to_str(r[2]);
  auto counts = nlohmann::json::parse(to_str(r[3]), nullptr, false);
  if (counts.is_object())
    for (auto& [k, v] : counts.items())
      if (v.is_number_integer()) s.source_counts[k] = v.get<std::int64_t>();
  s.total = to_int(r[4]);
  s.details = parse_or_text(to_str(r[5]));
  s.audit_id = to_int(r[6]);
  return s;
}

}  // namespace

// ---- free functions --------------------------------------------------------------------------

std::string_view role_name(Role role) {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::analyst:
      return "analyst";
    case Role::admin:
      return "admin";
  }
  return "viewer";
}

Result<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "analyst") return Role::analyst;
  if (text == "admin") return Role::admin;
  return Result<Role>::error("role: '" + std::string(text) + "' is not a role (expected admin, analyst or viewer)");
}

std::string canonical_json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string_utf8(out, s);
  return out;
}

namespace {

// The hashed text of an audit record: "chipgate-audit-v1\n" + [id, time, actor, kind, rule_set_id,
// rule_set_hash, list_snapshot_id, prev_hash, inputs, outputs], the strings written as nlohmann's
// dump writes valid UTF-8 (core/json_writer.h). Views: appending a record hashes it without copies.
std::string audit_hash(std::int64_t id, std::initializer_list<std::string_view> fields) {
  std::size_t size = 40;
  for (auto f : fields) size += f.size() + 3;
  std::string text;
  text.reserve(size + size / 8);
  text += "chipgate-audit-v1\n[";
  text += std::to_string(id);
  for (auto f : fields) {
    text.push_back(',');
    append_json_string_utf8(text, f);
  }
  text.push_back(']');
  return sha256_hex(text);
}

}  // namespace

std::string audit_record_hash(const AuditRecord& r) {
  return audit_hash(r.id, {r.time, r.actor, r.kind, r.rule_set_id, r.rule_set_hash, r.list_snapshot_id, r.prev_hash,
                           r.inputs, r.outputs});
}

nlohmann::json AuditRecord::to_json() const {
  return {{"id", id},
          {"time", time},
          {"actor", actor},
          {"kind", kind},
          {"inputs", parse_or_text(inputs)},
          {"outputs", parse_or_text(outputs)},
          {"rule_set_id", rule_set_id},
          {"rule_set_hash", rule_set_hash},
          {"list_snapshot_id", list_snapshot_id},
          {"prev_hash", prev_hash},
          {"hash", hash}};
}

nlohmann::json StoredDecision::to_json() const {
  return {{"decision_id", id},
          {"audit_id", audit_id},
          {"time", time},
          {"actor", actor},
          {"kind", kind},
          {"inputs", inputs},
          {"outputs", outputs},
          {"rule_set_id", rule_set_id},
          {"rule_set_hash", rule_set_hash},
          {"list_snapshot_id", list_snapshot_id}};
}

nlohmann::json ListSnapshot::to_json() const {
  return {{"id", id},       {"imported", imported}, {"actor", actor},    {"source_counts", source_counts},
          {"total", total}, {"audit_id", audit_id}, {"details", details}};
}

// ---- implementation --------------------------------------------------------------------------

struct Store::Impl {
  db::Spec spec;
  OpenOptions options;

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<db::Connection>> idle;

  // SQLite admits one writer at a time; taking this in-process lock first avoids spinning in
  // SQLite's busy handler between our own threads (other processes still meet busy_timeout).
  std::mutex write_mutex;

  // The background checkpointer (OpenOptions::background_checkpoint, SQLite only).
  std::thread checkpointer;
  std::mutex cp_mutex;
  std::condition_variable cp_cv;
  bool cp_stop = false;
  // 2 MB of 4 KB pages. The writer-blocking RESTART stalls longer the larger the log has grown: with
  // the server's recorded decide at ~6,000/s, p99 was 18-20 ms at 16 MB and 13.5-15 ms at 2 MB, at
  // the same throughput (BENCHMARKS.md, issue 5).
  static constexpr std::int64_t kMaxWalFrames = 512;

  void start_checkpointer() {
    checkpointer = std::thread([this] {
      auto conn = db::connect(spec);
      if (!conn) return;  // then nothing checkpoints until close; SQLite's own close does
      std::unique_lock lk(cp_mutex);
      for (;;) {
        const bool stopping = cp_cv.wait_for(lk, std::chrono::milliseconds(100), [this] { return cp_stop; });
        lk.unlock();
        auto r = conn.value()->query("PRAGMA wal_checkpoint(PASSIVE)");
        // Row: busy, frames in the log, frames copied. Writers that never pause keep a PASSIVE
        // checkpoint from finishing, and the log from restarting at its beginning: past the bound,
        // checkpoint with the in-process writers held off so that the next commit restarts it.
        if (r && !r->empty() && r->front().size() == 3 && r->front()[1] &&
            std::strtoll(r->front()[1]->c_str(), nullptr, 10) > kMaxWalFrames) {
          std::lock_guard wl(write_mutex);
          (void)conn.value()->query("PRAGMA wal_checkpoint(RESTART)");
        }
        lk.lock();
        if (stopping) return;
      }
    });
  }

  ~Impl() {
    if (!checkpointer.joinable()) return;
    {
      std::lock_guard lk(cp_mutex);
      cp_stop = true;
    }
    cp_cv.notify_all();
    checkpointer.join();
  }

  // Group commit of decisions. Callers join the newest open batch; a batch's first member is its
  // leader: it writes the whole batch in one transaction when the previous batch is written (at once
  // when none is being written). The others sleep until their batch is done. The batch lives on the
  // heap, shared by its members, so the leader can publish the results and wake them all with one
  // futex call (core/one_shot_event.h), and no one wakes only to queue for a mutex.
  struct Batch {
    std::vector<const Prepared*> events;
    std::optional<Result<std::vector<std::int64_t>>> ids;  // set by the leader before `done`
    OneShotEvent lead;                                     // the previous batch is written: write this one
    OneShotEvent done;                                     // `ids` is set
  };
  std::mutex gc_mutex;
  std::deque<std::shared_ptr<Batch>> gc_batches;  // not yet being written, oldest first; the last one is open
  bool gc_writing = false;                        // a leader is writing (or about to write) a batch
  std::size_t gc_last_batch = 0;  // size of the previous group commit (see OpenOptions::group_commit_delay_us)

  // lookup_key's cache (OpenOptions::key_cache_ms): key hash -> the key row and when it was read.
  // Unknown keys are not cached (a flood of random keys must not grow it); bounded by clearing.
  struct CachedKey {
    ApiKeyInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  std::mutex key_cache_mutex;
  std::unordered_map<std::string, CachedKey> key_cache;
  static constexpr std::size_t kMaxCachedKeys = 4096;

  struct Lease {
    Impl* impl = nullptr;
    std::unique_ptr<db::Connection> conn;
    Lease(Impl* i, std::unique_ptr<db::Connection> c) : impl(i), conn(std::move(c)) {}
    Lease(Lease&& o) noexcept : impl(o.impl), conn(std::move(o.conn)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (!conn || !conn->healthy()) return;
      conn->rollback();
      std::lock_guard lk(impl->pool_mutex);
      if (impl->idle.size() < impl->options.pool_size) impl->idle.push_back(std::move(conn));
    }
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lk(pool_mutex);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return Lease(this, std::move(c));
      }
    }
    auto c = db::connect(spec);
    if (!c) return Result<Lease>(c.status());
    return Lease(this, std::move(c).value());
  }

  template <typename T, typename F>
  Result<T> write(F&& body) {
    auto lease = acquire();
    if (!lease) return Result<T>(lease.status());
    std::unique_lock<std::mutex> lk(write_mutex, std::defer_lock);
    if (spec.backend == db::Backend::sqlite) lk.lock();
    db::Connection& c = *lease.value().conn;
    if (Status s = c.begin_write(); !s) return Result<T>::error("cannot start a write transaction: " + s.message());
    Result<T> r = body(c);
    if (!r) {
      c.rollback();
      return r;
    }
    if (Status s = c.commit(); !s) {
      c.rollback();
      return Result<T>::error("commit failed, nothing was recorded: " + s.message());
    }
    return r;
  }

  template <typename T, typename F>
  Result<T> read(F&& body) {
    auto lease = acquire();
    if (!lease) return Result<T>(lease.status());
    return body(*lease.value().conn);
  }

  // Appends the events to the chain inside the caller's transaction; returns their ids.
  Result<std::vector<std::int64_t>> append(db::Connection& c, const std::vector<const Prepared*>& events) {
    using R = Result<std::vector<std::int64_t>>;
    const char* head_sql = spec.backend == db::Backend::postgresql
                               ? "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1 FOR UPDATE"
                               : "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1";
    auto head = c.query(head_sql);
    if (!head) return R(head.status());
    if (head->size() != 1) return R::error("audit log: the chain head row is missing");
    std::int64_t id = to_int((*head)[0][0]);
    std::string prev_hash = to_str((*head)[0][1]);
    const std::string time = now_utc();
    static const std::string insert_sql = std::string("INSERT INTO audit_log (") + kAuditColumns +
                                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    // The chain first: each record's id, the hash before it and its own hash.
    std::vector<std::int64_t> ids;
    std::vector<std::string> prev_hashes, hashes;
    ids.reserve(events.size());
    prev_hashes.reserve(events.size());
    hashes.reserve(events.size());
    for (const Prepared* e : events) {
      ids.push_back(++id);
      prev_hashes.push_back(prev_hash);
      prev_hash = audit_hash(id, {time, e->actor, e->kind, e->rule_set_id, e->rule_set_hash, e->list_snapshot_id,
                                  prev_hash, e->inputs, e->outputs});
      hashes.push_back(prev_hash);
    }
    if (spec.backend == db::Backend::postgresql && events.size() > 1) {
      // One statement for the whole batch: each statement is a round trip to the PostgreSQL server.
      auto column = [&](auto field) {
        std::vector<std::string_view> v;
        for (const Prepared* e : events) v.push_back(field(*e));
        return pg_text_array(v);
      };
      static const std::string insert_batch_sql =
          std::string("INSERT INTO audit_log (") + kAuditColumns +
          ") SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
          "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[])";
      auto ins = c.query(
          insert_batch_sql,
          {pg_bigint_array(ids), pg_text_array(std::vector<std::string_view>(events.size(), time)),
           column([](const Prepared& e) -> std::string_view { return e.actor; }),
           column([](const Prepared& e) -> std::string_view { return e.kind; }),
           column([](const Prepared& e) -> std::string_view { return e.inputs; }),
           column([](const Prepared& e) -> std::string_view { return e.outputs; }),
           column([](const Prepared& e) -> std::string_view { return e.rule_set_id; }),
           column([](const Prepared& e) -> std::string_view { return e.rule_set_hash; }),
           column([](const Prepared& e) -> std::string_view { return e.list_snapshot_id; }),
           pg_text_array({prev_hashes.begin(), prev_hashes.end()}), pg_text_array({hashes.begin(), hashes.end()})});
      if (!ins) return R(ins.status());
    } else {
      for (std::size_t i = 0; i < events.size(); ++i) {
        const Prepared& e = *events[i];
        // Views of the event's texts: bound without another copy of the (large) inputs and outputs.
        auto ins = c.query(insert_sql,
                           {ids[i], std::string_view(time), std::string_view(e.actor), std::string_view(e.kind),
                            std::string_view(e.inputs), std::string_view(e.outputs), std::string_view(e.rule_set_id),
                            std::string_view(e.rule_set_hash), std::string_view(e.list_snapshot_id),
                            std::string_view(prev_hashes[i]), std::string_view(hashes[i])});
        if (!ins) return R(ins.status());
      }
    }
    auto upd = c.query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE singleton = 1", {id, prev_hash});
    if (!upd) return R(upd.status());
    return ids;
  }

  // Takes the chain-head lock now (PostgreSQL; an SQLite write transaction already holds the
  // database lock), for writes that must read and decide before appending: without it two
  // instances could both see "not yet imported" / "not yet revoked" under READ COMMITTED.
  Status lock_chain(db::Connection& c) {
    if (spec.backend != db::Backend::postgresql) return Status::ok();
    auto r = c.query("SELECT last_id FROM audit_head WHERE singleton = 1 FOR UPDATE");
    return r ? Status::ok() : r.status();
  }

  Result<std::int64_t> append_one(db::Connection& c, const Prepared& e) {
    auto ids = append(c, {&e});
    if (!ids) return Result<std::int64_t>(ids.status());
    return ids->front();
  }

  Result<std::vector<std::int64_t>> write_decisions(const std::vector<const Prepared*>& events) {
    using R = Result<std::vector<std::int64_t>>;
    return write<std::vector<std::int64_t>>([&](db::Connection& c) -> R {
      auto audit_ids = append(c, events);
      if (!audit_ids) return audit_ids;
      std::vector<std::int64_t> ids;
      ids.reserve(events.size());
      if (spec.backend == db::Backend::postgresql && events.size() > 1) {
        // One round trip for the batch (see append); the ids come back paired with their audit ids.
        std::vector<std::string_view> actors, kinds;
        for (const Prepared* e : events) {
          actors.push_back(e->actor);
          kinds.push_back(e->kind);
        }
        auto r = c.query(
            "INSERT INTO decisions (audit_id, time, actor, kind) SELECT * FROM unnest($1::bigint[], $2::text[], "
            "$3::text[], $4::text[]) RETURNING audit_id, id",
            {pg_bigint_array(audit_ids.value()), pg_text_array(std::vector<std::string_view>(events.size(), now_utc())),
             pg_text_array(actors), pg_text_array(kinds)});
        if (!r) return R(r.status());
        std::unordered_map<std::int64_t, std::int64_t> by_audit_id;
        for (const auto& row : r.value()) by_audit_id[to_int(row[0])] = to_int(row[1]);
        for (std::int64_t audit_id : audit_ids.value()) {
          auto it = by_audit_id.find(audit_id);
          if (it == by_audit_id.end()) return R::error("decisions: insert returned no id");
          ids.push_back(it->second);
        }
        return ids;
      }
      for (std::size_t i = 0; i < events.size(); ++i) {
        auto r = c.query("INSERT INTO decisions (audit_id, time, actor, kind) VALUES ($1, $2, $3, $4) RETURNING id",
                         {(*audit_ids)[i], now_utc(), events[i]->actor, events[i]->kind});
        if (!r) return R(r.status());
        if (r->size() != 1) return R::error("decisions: insert returned no id");
        ids.push_back(to_int((*r)[0][0]));
      }
      return ids;
    });
  }

  Status migrate() {
    auto lease = acquire();
    if (!lease) return lease.status();
    db::Connection& c = *lease.value().conn;
    const auto& migrations = spec.backend == db::Backend::sqlite ? sqlite_migrations() : postgresql_migrations();
    if (Status s = c.begin_write(); !s) return Status::error("migrations: cannot start a transaction: " + s.message());
    auto fail = [&](const std::string& m) {
      c.rollback();
      return Status::error("migrations: " + m);
    };
    if (spec.backend == db::Backend::postgresql) {
      if (auto r = c.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}); !r) return fail(r.message());
    }
    if (Status s = c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                          "applied TEXT NOT NULL)");
        !s)
      return fail(s.message());
    auto cur = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!cur) return fail(cur.message());
    const std::int64_t current = to_int((*cur)[0][0]);
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest)
      return fail("the database has schema version " + std::to_string(current) + ", newer than this chipgate (" +
                  std::to_string(latest) + "); upgrade chipgate");
    for (const Migration& m : migrations) {
      if (m.version <= current) continue;
      if (Status s = c.exec(m.sql); !s) return fail(m.name + ": " + s.message());
      if (auto r = c.query("INSERT INTO schema_version (version, name, applied) VALUES ($1, $2, $3)",
                           {std::int64_t{m.version}, m.name, now_utc()});
          !r)
        return fail(r.message());
    }
    if (Status s = c.commit(); !s) return fail("commit: " + s.message());
    return Status::ok();
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::string Store::default_spec() {
  if (const char* env = std::getenv("CHIPGATE_DB"); env && *env) return env;
  return "sqlite:chipgate.db";
}

Result<std::unique_ptr<Store>> Store::open(std::string_view db_spec, OpenOptions options) {
  using R = Result<std::unique_ptr<Store>>;
  auto spec = db::parse_spec(db_spec);
  if (!spec) return R(spec.status());
  auto impl = std::make_unique<Impl>();
  impl->spec = spec.value();
  impl->options = options;
  const bool checkpoint_thread = options.background_checkpoint && impl->spec.backend == db::Backend::sqlite;
  impl->spec.sqlite_manual_checkpoint = checkpoint_thread;
  if (Status s = impl->migrate(); !s) return R(s);
  if (checkpoint_thread) impl->start_checkpointer();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

std::string_view Store::backend() const { return impl_->spec.backend == db::Backend::sqlite ? "sqlite" : "postgresql"; }

Result<int> Store::schema_version() {
  return impl_->read<int>([](db::Connection& c) -> Result<int> {
    auto r = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!r) return Result<int>(r.status());
    return static_cast<int>(to_int((*r)[0][0]));
  });
}

// ---- decisions -------------------------------------------------------------------------------

Result<std::int64_t> Store::record_decision(const AuditEvent& decision) {
  auto prepared = prepare(decision);
  if (!prepared) return Result<std::int64_t>(prepared.status());
  Impl& im = *impl_;
  std::unique_lock lk(im.gc_mutex);
  if (im.gc_batches.empty() || im.gc_batches.back()->events.size() >= kMaxGroupCommit)
    im.gc_batches.push_back(std::make_shared<Impl::Batch>());
  const std::shared_ptr<Impl::Batch> batch = im.gc_batches.back();
  const std::size_t index = batch->events.size();
  batch->events.push_back(&prepared.value());
  auto my_result = [&]() -> Result<std::int64_t> {
    if (!*batch->ids) return Result<std::int64_t>(batch->ids->status());
    return batch->ids->value()[index];
  };
  if (index > 0) {  // a member: wait for the leader
    lk.unlock();
    batch->done.wait();
    return my_result();
  }
  if (im.gc_writing) {  // the leader of a batch queued behind the one being written
    lk.unlock();
    batch->lead.wait();
    lk.lock();
  }
  im.gc_writing = true;
  if (im.options.group_commit_delay_us > 0 && im.gc_last_batch > 1 && batch->events.size() < kMaxGroupCommit) {
    lk.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(im.options.group_commit_delay_us));
    lk.lock();
  }
  // From here the batch takes no more members: the next caller opens a new one.
  im.gc_batches.pop_front();
  lk.unlock();
  batch->ids.emplace(im.write_decisions(batch->events));
  batch->done.set();
  lk.lock();
  im.gc_last_batch = batch->events.size();
  if (im.gc_batches.empty()) {
    im.gc_writing = false;
  } else {  // hand over to the next batch's leader (gc_writing stays true)
    im.gc_batches.front()->lead.set();
  }
  lk.unlock();
  return my_result();
}

Result<std::vector<std::int64_t>> Store::record_decisions(const std::vector<AuditEvent>& decisions) {
  using R = Result<std::vector<std::int64_t>>;
  if (decisions.empty()) return std::vector<std::int64_t>{};
  std::vector<Prepared> prepared;
  prepared.reserve(decisions.size());
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    auto p = prepare(decisions[i]);
    if (!p) return R::error("decision " + std::to_string(i + 1) + ": " + p.message());
    prepared.push_back(std::move(p).value());
  }
  std::vector<const Prepared*> events;
  for (const auto& p : prepared) events.push_back(&p);
  return impl_->write_decisions(events);
}

Result<std::optional<StoredDecision>> Store::get_decision(std::int64_t id) {
  using R = Result<std::optional<StoredDecision>>;
  return impl_->read<std::optional<StoredDecision>>([&](db::Connection& c) -> R {
    auto r = c.query(
        "SELECT d.id, d.audit_id, a.time, a.actor, a.kind, a.inputs, a.outputs, a.rule_set_id, a.rule_set_hash, "
        "a.list_snapshot_id FROM decisions d JOIN audit_log a ON a.id = d.audit_id WHERE d.id = $1",
        {id});
    if (!r) return R(r.status());
    if (r->empty()) return std::optional<StoredDecision>{};
    const db::Row& row = (*r)[0];
    StoredDecision d;
    d.id = to_int(row[0]);
    d.audit_id = to_int(row[1]);
    d.time = to_str(row[2]);
    d.actor = to_str(row[3]);
    d.kind = to_str(row[4]);
    d.inputs = parse_or_text(to_str(row[5]));
    d.outputs = parse_or_text(to_str(row[6]));
    d.rule_set_id = to_str(row[7]);
    d.rule_set_hash = to_str(row[8]);
    d.list_snapshot_id = to_str(row[9]);
    return std::optional<StoredDecision>(std::move(d));
  });
}

// ---- audit -----------------------------------------------------------------------------------

Result<std::int64_t> Store::append_audit(const AuditEvent& event) {
  auto prepared = prepare(event);
  if (!prepared) return Result<std::int64_t>(prepared.status());
  return impl_->write<std::int64_t>([&](db::Connection& c) { return impl_->append_one(c, prepared.value()); });
}

Result<std::vector<AuditRecord>> Store::audit_records(std::int64_t from_id, std::int64_t limit) {
  using R = Result<std::vector<AuditRecord>>;
  return impl_->read<std::vector<AuditRecord>>([&](db::Connection& c) -> R {
    auto r = c.query(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2",
                     {from_id, limit});
    if (!r) return R(r.status());
    std::vector<AuditRecord> out;
    for (const auto& row : r.value()) out.push_back(audit_from_row(row));
    return out;
  });
}

Result<std::vector<AuditRecord>> Store::audit_range(Date from, Date to) {
  using R = Result<std::vector<AuditRecord>>;
  if (to < from) return R::error("--to " + to.to_string() + " is before --from " + from.to_string());
  return impl_->read<std::vector<AuditRecord>>([&](db::Connection& c) -> R {
    auto r =
        c.query(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE time >= $1 AND time < $2 ORDER BY id",
                {from.to_string(), to.plus_days(1).to_string()});
    if (!r) return R(r.status());
    std::vector<AuditRecord> out;
    for (const auto& row : r.value()) out.push_back(audit_from_row(row));
    return out;
  });
}

Result<VerifyReport> Store::verify_audit() {
  using R = Result<VerifyReport>;
  return impl_->read<VerifyReport>([&](db::Connection& c) -> R {
    // One consistent snapshot for the whole walk.
    const bool pg = impl_->spec.backend == db::Backend::postgresql;
    if (Status s = pg ? c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ") : c.begin_read(); !s) return R(s);
    VerifyReport rep;
    rep.head_hash = kZeroHash;
    auto bad = [&](std::int64_t id, std::string problem) {
      rep.ok = false;
      rep.first_bad = id;
      rep.problem = std::move(problem);
      c.rollback();
      return rep;
    };
    auto head = c.query("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1");
    if (!head) return R(head.status());
    if (head->size() != 1) return bad(1, "the chain head row (table audit_head) is missing");
    const std::int64_t head_id = to_int((*head)[0][0]);
    const std::string head_hash = to_str((*head)[0][1]);
    std::int64_t expected = 1;
    std::string prev = kZeroHash;
    constexpr std::int64_t kPage = 5000;
    for (;;) {
      auto page =
          c.query(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2",
                  {expected == 1 ? std::numeric_limits<std::int64_t>::min() : expected, kPage});
      if (!page) return R(page.status());
      for (const auto& row : page.value()) {
        const AuditRecord rec = audit_from_row(row);
        if (rec.id < expected)
          return bad(rec.id, "record " + std::to_string(rec.id) + " has an id outside the sequence 1, 2, 3, ...");
        if (rec.id > expected) {
          const std::string missing = rec.id == expected + 1 ? "record " + std::to_string(expected) + " is"
                                                             : "records " + std::to_string(expected) + " to " +
                                                                   std::to_string(rec.id - 1) + " are";
          return bad(expected, missing + " missing (deleted): the next record present is " + std::to_string(rec.id));
        }
        if (rec.id > head_id)
          return bad(rec.id, "record " + std::to_string(rec.id) + " lies beyond the chain head (last appended id " +
                                 std::to_string(head_id) + "): inserted outside the store");
        if (audit_record_hash(rec) != rec.hash)
          return bad(rec.id, "record " + std::to_string(rec.id) +
                                 " does not match its hash: its content was edited, or it was moved from another "
                                 "position");
        if (rec.prev_hash != prev)
          return bad(rec.id, "record " + std::to_string(rec.id) + " does not link to record " +
                                 std::to_string(rec.id - 1) +
                                 " (prev_hash differs): records were inserted, deleted or reordered before it");
        prev = rec.hash;
        ++expected;
        ++rep.records;
      }
      if (static_cast<std::int64_t>(page->size()) < kPage) break;
    }
    if (head_id >= expected)
      return bad(expected, (head_id == expected
                                ? "record " + std::to_string(expected) + " is"
                                : "records " + std::to_string(expected) + " to " + std::to_string(head_id) + " are") +
                               " missing at the end of the chain (deleted): the chain head says " +
                               std::to_string(head_id) + " records were appended");
    if (head_hash != prev)
      return bad(head_id, "the chain head hash does not match record " + std::to_string(head_id) +
                              ": the last record or the head was altered");
    rep.head_hash = prev;
    c.rollback();  // read-only transaction
    return rep;
  });
}

// ---- lists, rules, products ------------------------------------------------------------------

Result<ListSnapshot> Store::record_list_import(const std::string& actor, const ListImport& import) {
  using R = Result<ListSnapshot>;
  nlohmann::json counts = nlohmann::json::object();
  std::int64_t total = 0;
  for (const auto& [k, v] : import.source_counts) {
    if (Status s = check_text("source_counts key", k); !s) return R(s);
    if (v < 0) return R::error("source_counts." + k + ": negative count " + std::to_string(v));
    counts[k] = v;
    total += v;
  }
  std::vector<std::string> party_text;
  for (std::size_t i = 0; i < import.parties.size(); ++i) {
    if (!import.parties[i].is_object()) return R::error("parties[" + std::to_string(i) + "]: expected a JSON object");
    auto t = dump_json("parties[" + std::to_string(i) + "]", import.parties[i]);
    if (!t) return R(t.status());
    party_text.push_back(std::move(t).value());
  }
  std::string id = import.snapshot_id;
  if (id.empty()) {
    std::string all = counts.dump();
    for (const auto& p : party_text) all += "\n" + p;
    id = "sha256:" + sha256_hex(all);
  }
  if (Status s = check_text("snapshot_id", id); !s) return R(s);
  auto details = dump_json("details", import.details);
  if (!details) return R(details.status());

  return impl_->write<ListSnapshot>([&](db::Connection& c) -> R {
    if (Status s = impl_->lock_chain(c); !s) return R(s);
    const std::string cols = "id, imported, actor, source_counts, total, details, audit_id";
    auto existing = c.query("SELECT " + cols + " FROM list_snapshots WHERE id = $1", {id});
    if (!existing) return R(existing.status());
    AuditEvent ev{actor,
                  "list.import",
                  {{"snapshot_id", id}, {"source_counts", counts}, {"details", import.details}},
                  {{"snapshot_id", id}, {"total", total}, {"already_present", !existing->empty()}},
                  "",
                  "",
                  id};
    auto p = prepare(ev);
    if (!p) return R(p.status());
    auto audit_id = impl_->append_one(c, p.value());
    if (!audit_id) return R(audit_id.status());
    if (!existing->empty()) return snapshot_from_row((*existing)[0]);
    ListSnapshot snap;
    snap.id = id;
    snap.imported = now_utc();
    snap.actor = actor;
    snap.source_counts = import.source_counts;
    snap.total = total;
    snap.details = import.details;
    snap.audit_id = audit_id.value();
    auto ins = c.query("INSERT INTO list_snapshots (" + cols + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       {id, snap.imported, actor, counts.dump(), total, details.value(), snap.audit_id});
    if (!ins) return R(ins.status());
    for (std::size_t i = 0; i < import.parties.size(); ++i) {
      const auto& party = import.parties[i];
      auto field = [&](const char* a, const char* b) {
        for (const char* k : {a, b})
          if (party.contains(k) && party[k].is_string()) return party[k].get<std::string>();
        return std::string();
      };
      auto r = c.query(
          "INSERT INTO parties (snapshot_id, seq, list_id, name, country, data) VALUES ($1, $2, $3, $4, $5, $6)",
          {id, static_cast<std::int64_t>(i + 1), field("list_id", "list"), field("name", "name"),
           field("country", "country"), party_text[i]});
      if (!r) return R(r.status());
    }
    return snap;
  });
}

Result<std::vector<ListSnapshot>> Store::list_snapshots() {
  using R = Result<std::vector<ListSnapshot>>;
  return impl_->read<std::vector<ListSnapshot>>([&](db::Connection& c) -> R {
    auto r = c.query(
        "SELECT id, imported, actor, source_counts, total, details, audit_id FROM list_snapshots "
        "ORDER BY audit_id DESC");
    if (!r) return R(r.status());
    std::vector<ListSnapshot> out;
    for (const auto& row : r.value()) out.push_back(snapshot_from_row(row));
    return out;
  });
}

Result<std::optional<ListSnapshot>> Store::latest_snapshot() {
  auto all = list_snapshots();
  if (!all) return Result<std::optional<ListSnapshot>>(all.status());
  if (all->empty()) return std::optional<ListSnapshot>{};
  return std::optional<ListSnapshot>(all->front());
}

Result<std::int64_t> Store::record_rules_install(const std::string& actor, const RuleInstall& install) {
  using R = Result<std::int64_t>;
  if (install.rule_set_id.empty()) return R::error("rule_set_id: empty");
  if (Status s = check_text("scenario", install.scenario); !s) return R(s);
  if (!install.toml.empty()) {
    if (install.scenario.empty()) return R::error("toml: given without a scenario name");
    if (Status s = check_text("toml", install.toml); !s) return R(s);
  }
  const std::string toml_sha256 = install.toml.empty() ? "" : sha256_hex(install.toml);
  AuditEvent ev{actor,
                "rules.install",
                {{"rule_set_id", install.rule_set_id}, {"scenario", install.scenario}, {"details", install.details}},
                {{"installed", true}},
                install.rule_set_id,
                install.rule_set_hash,
                ""};
  if (!install.toml.empty()) {
    ev.inputs["toml"] = install.toml;  // the content itself is under the chain
    ev.inputs["toml_sha256"] = toml_sha256;
  }
  auto p = prepare(ev);
  if (!p) return R(p.status());
  return impl_->write<std::int64_t>([&](db::Connection& c) -> R {
    if (!install.toml.empty()) {
      // Checked inside the write transaction (which holds the chain lock on both backends), so two
      // instances installing the same name cannot both succeed.
      if (Status s = impl_->lock_chain(c); !s) return R(s);
      auto existing = c.query("SELECT toml_sha256 FROM installed_scenarios WHERE name = $1", {install.scenario});
      if (!existing) return R(existing.status());
      if (!existing->empty())
        return R::error("scenario '" + install.scenario + "' is already installed (toml sha256 " +
                        to_str((*existing)[0][0]) + ")");
    }
    auto audit_id = impl_->append_one(c, p.value());
    if (!audit_id) return audit_id;
    if (!install.toml.empty()) {
      auto r = c.query(
          "INSERT INTO installed_scenarios (name, toml, toml_sha256, installed, actor, audit_id) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {install.scenario, install.toml, toml_sha256, now_utc(), actor, audit_id.value()});
      if (!r) return R(r.status());
    }
    auto r = c.query(
        "INSERT INTO rule_versions (rule_set_id, rule_set_hash, scenario, installed, actor, audit_id) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {install.rule_set_id, install.rule_set_hash, install.scenario, now_utc(), actor, audit_id.value()});
    if (!r) return R(r.status());
    return audit_id;
  });
}

Result<std::vector<RuleVersionRecord>> Store::rule_versions() {
  using R = Result<std::vector<RuleVersionRecord>>;
  return impl_->read<std::vector<RuleVersionRecord>>([&](db::Connection& c) -> R {
    auto r = c.query(
        "SELECT rule_set_id, rule_set_hash, scenario, installed, actor, audit_id FROM rule_versions ORDER BY seq DESC");
    if (!r) return R(r.status());
    std::vector<RuleVersionRecord> out;
    for (const auto& row : r.value())
      out.push_back({to_str(row[0]), to_str(row[1]), to_str(row[2]), to_str(row[3]), to_str(row[4]), to_int(row[5])});
    return out;
  });
}

Result<std::vector<InstalledScenario>> Store::installed_scenarios() {
  using R = Result<std::vector<InstalledScenario>>;
  return impl_->read<std::vector<InstalledScenario>>([&](db::Connection& c) -> R {
    auto r = c.query(
        "SELECT name, toml, toml_sha256, installed, actor, audit_id FROM installed_scenarios ORDER BY audit_id");
    if (!r) return R(r.status());
    std::vector<InstalledScenario> out;
    for (const auto& row : r.value())
      out.push_back({to_str(row[0]), to_str(row[1]), to_str(row[2]), to_str(row[3]), to_str(row[4]), to_int(row[5])});
    return out;
  });
}

Result<std::int64_t> Store::put_products(const std::string& actor, const std::vector<ProductRecord>& products) {
  using R = Result<std::int64_t>;
  std::vector<std::string> texts;
  nlohmann::json ids = nlohmann::json::array();
  for (std::size_t i = 0; i < products.size(); ++i) {
    const std::string where = "products[" + std::to_string(i) + "]";
    if (products[i].id.empty()) return R::error(where + ".id: empty");
    if (Status s = check_text(where + ".id", products[i].id); !s) return R(s);
    auto t = dump_json(where + ".data", products[i].data);
    if (!t) return R(t.status());
    texts.push_back(std::move(t).value());
    ids.push_back(products[i].id);
  }
  std::string all;
  for (const auto& t : texts) all += t + "\n";
  AuditEvent ev{actor,
                "catalog.import",
                {{"product_ids", ids}},
                {{"count", products.size()}, {"sha256", sha256_hex(all)}},
                "",
                "",
                ""};
  auto p = prepare(ev);
  if (!p) return R(p.status());
  return impl_->write<std::int64_t>([&](db::Connection& c) -> R {
    auto audit_id = impl_->append_one(c, p.value());
    if (!audit_id) return audit_id;
    const std::string now = now_utc();
    for (std::size_t i = 0; i < products.size(); ++i) {
      auto r = c.query(
          "INSERT INTO products (id, data, updated, audit_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
          "data = excluded.data, updated = excluded.updated, audit_id = excluded.audit_id",
          {products[i].id, texts[i], now, audit_id.value()});
      if (!r) return R(r.status());
    }
    return audit_id;
  });
}

Result<std::optional<ProductRecord>> Store::get_product(const std::string& id) {
  using R = Result<std::optional<ProductRecord>>;
  return impl_->read<std::optional<ProductRecord>>([&](db::Connection& c) -> R {
    auto r = c.query("SELECT id, data FROM products WHERE id = $1", {id});
    if (!r) return R(r.status());
    if (r->empty()) return std::optional<ProductRecord>{};
    return std::optional<ProductRecord>(ProductRecord{to_str((*r)[0][0]), parse_or_text(to_str((*r)[0][1]))});
  });
}

// ---- keys ------------------------------------------------------------------------------------

Result<NewApiKey> Store::create_key(const std::string& actor, Role role, const std::string& name,
                                    std::optional<Date> expires) {
  using R = Result<NewApiKey>;
  if (Status s = check_text("name", name); !s) return R(s);
  auto secret = random_hex(32);
  if (!secret) return R(secret.status());
  auto id = random_hex(8);
  if (!id) return R(id.status());
  NewApiKey key;
  key.secret = "cg_" + secret.value();
  key.info.id = "k-" + id.value();
  key.info.name = name;
  key.info.role = role;
  key.info.created = now_utc();
  key.info.expires = expires;
  nlohmann::json in = {{"key_id", key.info.id}, {"name", name}, {"role", role_name(role)}};
  in["expires"] = expires ? nlohmann::json(expires->to_string()) : nlohmann::json(nullptr);
  auto p = prepare(AuditEvent{actor, "key.create", in, {{"created", key.info.created}}, "", "", ""});
  if (!p) return R(p.status());
  return impl_->write<NewApiKey>([&](db::Connection& c) -> R {
    auto r = c.query(
        "INSERT INTO api_keys (id, key_hash, name, role, created, expires, revoked) VALUES ($1, $2, $3, $4, $5, $6, "
        "NULL)",
        {key.info.id, sha256_hex(key.secret), name, std::string(role_name(role)), key.info.created,
         expires ? db::Param(expires->to_string()) : db::Param(nullptr)});
    if (!r) return R(r.status());
    auto a = impl_->append_one(c, p.value());
    if (!a) return R(a.status());
    return key;
  });
}

Result<KeyCheck> Store::lookup_key(std::string_view secret, Date today) {
  using R = Result<KeyCheck>;
  KeyCheck check;
  check.outcome = KeyCheck::Outcome::unknown;
  check.reason = "unknown API key";
  // A well-formed key is "cg_" + 64 hex; anything else cannot be one of ours (no database round trip).
  if (secret.size() != 67 || !secret.starts_with("cg_")) return check;
  const std::string hash = sha256_hex(secret);
  Impl& im = *impl_;
  const auto now = std::chrono::steady_clock::now();
  const auto ttl = std::chrono::milliseconds(im.options.key_cache_ms);
  std::optional<ApiKeyInfo> row;
  if (im.options.key_cache_ms > 0) {
    std::lock_guard lk(im.key_cache_mutex);
    if (auto it = im.key_cache.find(hash); it != im.key_cache.end() && now - it->second.read_at < ttl)
      row = it->second.info;
  }
  if (!row) {
    auto read = im.read<std::optional<ApiKeyInfo>>([&](db::Connection& c) -> Result<std::optional<ApiKeyInfo>> {
      auto r = c.query("SELECT id, name, role, created, expires, revoked FROM api_keys WHERE key_hash = $1", {hash});
      if (!r) return Result<std::optional<ApiKeyInfo>>(r.status());
      if (r->empty()) return std::optional<ApiKeyInfo>{};
      return std::optional<ApiKeyInfo>(key_from_row((*r)[0]));
    });
    if (!read) return R(read.status());
    row = std::move(read).value();
    if (!row) return check;
    if (im.options.key_cache_ms > 0) {
      std::lock_guard lk(im.key_cache_mutex);
      if (im.key_cache.size() >= Impl::kMaxCachedKeys) im.key_cache.clear();
      im.key_cache[hash] = Impl::CachedKey{*row, now};
    }
  }
  {
    check.key = std::move(row);
    if (check.key->revoked) {
      check.outcome = KeyCheck::Outcome::revoked;
      check.reason = "API key " + check.key->id + " was revoked on " + *check.key->revoked;
    } else if (check.key->expires && today >= *check.key->expires) {
      check.outcome = KeyCheck::Outcome::expired;
      check.reason = "API key " + check.key->id + " expired on " + check.key->expires->to_string();
    } else {
      check.outcome = KeyCheck::Outcome::ok;
      check.reason.clear();
    }
  }
  return check;
}

Result<std::vector<ApiKeyInfo>> Store::list_keys() {
  using R = Result<std::vector<ApiKeyInfo>>;
  return impl_->read<std::vector<ApiKeyInfo>>([&](db::Connection& c) -> R {
    auto r = c.query("SELECT id, name, role, created, expires, revoked FROM api_keys ORDER BY created, id");
    if (!r) return R(r.status());
    std::vector<ApiKeyInfo> out;
    for (const auto& row : r.value()) out.push_back(key_from_row(row));
    return out;
  });
}

Status Store::revoke_key(const std::string& actor, const std::string& key_id) {
  auto p = prepare(AuditEvent{actor, "key.revoke", {{"key_id", key_id}}, {{"revoked", true}}, "", "", ""});
  if (!p) return p.status();
  auto r = impl_->write<bool>([&](db::Connection& c) -> Result<bool> {
    if (Status s = impl_->lock_chain(c); !s) return Result<bool>(s);
    auto k = c.query("SELECT revoked FROM api_keys WHERE id = $1", {key_id});
    if (!k) return Result<bool>(k.status());
    if (k->empty()) return Result<bool>::error("key " + key_id + ": no such key");
    if ((*k)[0][0]) return Result<bool>::error("key " + key_id + ": already revoked on " + *(*k)[0][0]);
    auto u = c.query("UPDATE api_keys SET revoked = $1 WHERE id = $2", {now_utc(), key_id});
    if (!u) return Result<bool>(u.status());
    auto a = impl_->append_one(c, p.value());
    if (!a) return Result<bool>(a.status());
    return true;
  });
  if (r) {  // refused at once through this store, not after the cache's time-to-live
    std::lock_guard lk(impl_->key_cache_mutex);
    impl_->key_cache.clear();
  }
  return r.status();
}

// ---- ownership -------------------------------------------------------------------------------

nlohmann::json OwnershipRow::to_json() const {
  nlohmann::json j = {{"party", party}, {"owner", owner}, {"source", source}};
  j["percent"] = percent ? nlohmann::json(std::strtod(percent->c_str(), nullptr)) : nlohmann::json(nullptr);
  j["as_of"] = as_of ? nlohmann::json(*as_of) : nlohmann::json(nullptr);
  return j;
}

Result<std::int64_t> Store::record_ownership(const std::string& actor, const std::vector<OwnershipRow>& rows,
                                             const nlohmann::json& details) {
  using R = Result<std::int64_t>;
  if (rows.empty()) return R::error("ownership: no rows");
  nlohmann::json records = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::string where = "ownership[" + std::to_string(i) + "]";
    if (r.party_key.empty() || r.owner_key.empty()) return R::error(where + ": empty matching key");
    for (const auto& [field, value] : {std::pair<const char*, const std::string&>{"party", r.party},
                                       {"owner", r.owner},
                                       {"source", r.source},
                                       {"party_key", r.party_key},
                                       {"owner_key", r.owner_key}})
      if (Status st = check_text(where + "." + field, value); !st) return R(st);
    records.push_back(r.to_json());
  }
  auto records_text = dump_json("ownership", records);
  if (!records_text) return R(records_text.status());
  AuditEvent ev{actor,
                "ownership.import",
                {{"records", records}, {"details", details}},
                {{"count", rows.size()}, {"sha256", sha256_hex(records_text.value())}},
                "",
                "",
                ""};
  auto p = prepare(ev);
  if (!p) return R(p.status());
  return impl_->write<std::int64_t>([&](db::Connection& c) -> R {
    auto audit_id = impl_->append_one(c, p.value());
    if (!audit_id) return audit_id;
    const std::string now = now_utc();
    for (const auto& r : rows) {
      const db::Param percent = r.percent ? db::Param(*r.percent) : db::Param(nullptr);
      const db::Param as_of = r.as_of ? db::Param(*r.as_of) : db::Param(nullptr);
      auto q = c.query(
          "INSERT INTO ownership (party_key, owner_key, party, owner, percent, source, as_of, recorded, actor, "
          "audit_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (party_key, owner_key) DO UPDATE "
          "SET party = excluded.party, owner = excluded.owner, percent = excluded.percent, source = excluded.source, "
          "as_of = excluded.as_of, recorded = excluded.recorded, actor = excluded.actor, audit_id = excluded.audit_id",
          {r.party_key, r.owner_key, r.party, r.owner, percent, r.source, as_of, now, actor, audit_id.value()});
      if (!q) return R(q.status());
    }
    return audit_id;
  });
}

Result<std::vector<OwnershipRow>> Store::ownership() {
  using R = Result<std::vector<OwnershipRow>>;
  return impl_->read<std::vector<OwnershipRow>>([&](db::Connection& c) -> R {
    auto r = c.query(
        "SELECT party_key, owner_key, party, owner, percent, source, as_of, recorded, actor, audit_id FROM ownership "
        "ORDER BY party_key, owner_key");
    if (!r) return R(r.status());
    std::vector<OwnershipRow> out;
    for (const auto& row : r.value())
      out.push_back({to_str(row[0]), to_str(row[1]), to_str(row[2]), to_str(row[3]), row[4], to_str(row[5]), row[6],
                     to_str(row[7]), to_str(row[8]), to_int(row[9])});
    return out;
  });
}

}  // namespace chipgate::store
