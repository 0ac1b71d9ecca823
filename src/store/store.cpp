// The store: one implementation over db::Connection for both backends. See store.h for the
// contract and docs/store.md for the design (durability, serialisation of appends, keys).
#include "store/store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/json_util.h"
#include "core/json_writer.h"
#include "core/one_shot_event.h"
#include "core/sha256.h"
#include "store/db.h"
#include "store/file_identity.h"
#include "store/migrations.h"
#include "store/row_bindings.h"
#include "store/verify.h"

namespace chipgate::store {

namespace {

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

// The audit columns of schema 1-2, and with the row bindings (schema 3 on). audit_from_row reads both.
constexpr const char* kAuditColumnsV1 =
    "id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, prev_hash, hash";
constexpr const char* kAuditColumns =
    "id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, prev_hash, hash, bound";
// Schema 3 adds the row bindings (audit_log.bound) and the write probe (store_probe).
constexpr int kBindingsSchema = 3;

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
  if (r.size() > 11) a.bound = r[11];
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

// The hashed text of an audit record: "chipgate-audit-v2\n" + [id, time, actor, kind, rule_set_id,
// rule_set_hash, list_snapshot_id, prev_hash, inputs, outputs, bound] (version 1, for records written
// before schema 3: "chipgate-audit-v1\n" and no `bound`), the strings written as nlohmann's dump
// writes valid UTF-8 (core/json_writer.h). Views: appending a record hashes it without copies.
std::string audit_hash(std::int64_t id, std::initializer_list<std::string_view> fields,
                       std::optional<std::string_view> bound) {
  std::size_t size = 40 + (bound ? bound->size() + 3 : 0);
  for (auto f : fields) size += f.size() + 3;
  std::string text;
  text.reserve(size + size / 8);
  text += bound ? "chipgate-audit-v2\n[" : "chipgate-audit-v1\n[";
  text += std::to_string(id);
  for (auto f : fields) {
    text.push_back(',');
    append_json_string_utf8(text, f);
  }
  if (bound) {
    text.push_back(',');
    append_json_string_utf8(text, *bound);
  }
  text.push_back(']');
  return sha256_hex(text);
}

}  // namespace

std::string audit_record_hash(const AuditRecord& r) {
  return audit_hash(
      r.id,
      {r.time, r.actor, r.kind, r.rule_set_id, r.rule_set_hash, r.list_snapshot_id, r.prev_hash, r.inputs, r.outputs},
      r.bound ? std::optional<std::string_view>(*r.bound) : std::nullopt);
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
          {"hash", hash},
          {"bound", bound ? parse_or_text(*bound) : nlohmann::json(nullptr)}};
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
  int schema = 0;         // the database's schema version once open
  bool bindings = false;  // schema >= kBindingsSchema: records carry row bindings

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<db::Connection>> idle;

  // SQLite admits one writer at a time; taking this in-process lock first avoids spinning in
  // SQLite's busy handler between our own threads (other processes still meet busy_timeout). Timed:
  // the write probe waits for it only until its deadline.
  std::timed_mutex write_mutex;

  // SQLite: the database's files as opened (file_identity.h), checked after every commit. Once they
  // are no longer the files at the path, the store is `lost`: it refuses every call until reopened.
  std::optional<DatabaseFiles> files;
  std::atomic<bool> lost{false};
  std::mutex lost_mutex;
  std::string lost_reason;  // under lost_mutex

  // check_writable: one probe at a time, its answer reused for a second (a readiness endpoint anyone
  // may call must not become a write load), on a connection of its own with the probe's deadline.
  std::timed_mutex probe_mutex;
  std::unique_ptr<db::Connection> probe_conn;  // under probe_mutex
  std::int64_t probe_conn_timeout_ms = 0;
  std::optional<Status> probe_result;
  std::chrono::steady_clock::time_point probe_at;
  static constexpr std::chrono::milliseconds kProbeReuse{1000};

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
        if (stopping) return;
        if (lost) continue;  // the files are gone: nothing worth copying
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

  bool pg() const { return spec.backend == db::Backend::postgresql; }
  const char* audit_columns() const { return bindings ? kAuditColumns : kAuditColumnsV1; }

  // ---- a lost database (SQLite) --------------------------------------------------------------

  void mark_lost(const std::string& why) {
    std::lock_guard lk(lost_mutex);
    if (lost_reason.empty())
      lost_reason = "the database file " + spec.target + " is no longer the one this store opened (" + why +
                    "): what is written now would go to a file nobody can open again, so the store refuses every "
                    "request until it is restarted on a database that exists";
    lost = true;
  }
  Status lost_status() {
    std::lock_guard lk(lost_mutex);
    return Status::error(lost_reason);
  }
  // After a commit, before anything is acknowledged: is the database still the file at its path?
  Status check_files() {
    if (!files) return Status::ok();
    if (const std::string why = files->changed(); !why.empty()) mark_lost(why);
    return lost ? lost_status() : Status::ok();
  }

  // ---- connections ---------------------------------------------------------------------------

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
    if (lost) return Result<Lease>(lost_status());
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

  // Runs `body` in a write transaction and commits. `bytes`: about how much it writes (the write
  // probe repeats a failed write's size, see probe_write).
  template <typename T, typename F>
  Result<T> write(F&& body, std::size_t bytes = 0) {
    if (options.mode == OpenOptions::Mode::kReadOnly)
      return Result<T>::error("the store was opened read-only; nothing was written");
    auto lease = acquire();
    if (!lease) return Result<T>(lease.status());
    std::unique_lock<std::timed_mutex> lk(write_mutex, std::defer_lock);
    if (spec.backend == db::Backend::sqlite) lk.lock();
    db::Connection& c = *lease.value().conn;
    if (Status s = c.begin_write(); !s) {
      note_write_failure(s.message(), bytes);
      return Result<T>::error("cannot start a write transaction: " + s.message());
    }
    Result<T> r = body(c);
    if (!r) {
      c.rollback();
      // The database's own errors (disk full, I/O, timeouts), not a refusal such as "already revoked".
      if (r.message().starts_with("sqlite: ") || r.message().starts_with("postgresql: "))
        note_write_failure(r.message(), bytes);
      return r;
    }
    if (Status s = c.commit(); !s) {
      c.rollback();
      note_write_failure(s.message(), bytes);
      return Result<T>::error("commit failed, nothing was recorded: " + s.message());
    }
    if (Status s = check_files(); !s) return Result<T>::error(s.message() + "; this write is not recorded");
    if (write_failed) clear_write_failure();
    return r;
  }

  // The last write that failed in the database (disk full, read-only, I/O error, a timeout) and how
  // large it was, until a write succeeds: the write probe then writes at least that much, since a
  // one-row write may still fit where a decision no longer does.
  std::atomic<bool> write_failed{false};
  std::mutex write_failure_mutex;
  std::string write_failure;            // under write_failure_mutex
  std::size_t write_failure_bytes = 0;  // under write_failure_mutex
  void note_write_failure(const std::string& why, std::size_t bytes) {
    std::lock_guard lk(write_failure_mutex);
    write_failure = why;
    write_failure_bytes = std::max(write_failure_bytes, bytes);
    write_failed = true;
  }
  void clear_write_failure() {
    std::lock_guard lk(write_failure_mutex);
    write_failure.clear();
    write_failure_bytes = 0;
    write_failed = false;
  }

  template <typename T, typename F>
  Result<T> read(F&& body) {
    auto lease = acquire();
    if (!lease) return Result<T>(lease.status());
    return body(*lease.value().conn);
  }

  // ---- the chain -----------------------------------------------------------------------------

  struct Head {
    std::int64_t last_id = 0;
    std::string last_hash;
  };

  // Reads the chain head inside the caller's write transaction and takes the lock every appender of
  // every instance takes (PostgreSQL: the head row's lock; SQLite: the write transaction already
  // holds the database's). Writers that decide something before appending (not yet imported, not
  // yet revoked, the next decision id) take it first: under READ COMMITTED two instances could
  // otherwise both decide on the same state.
  Result<Head> lock_head(db::Connection& c) {
    auto head = c.query(pg() ? "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1 FOR UPDATE"
                             : "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1");
    if (!head) return Result<Head>(head.status());
    if (head->size() != 1) return Result<Head>::error("audit log: the chain head row is missing");
    return Head{to_int((*head)[0][0]), to_str((*head)[0][1])};
  }

  // Appends the events after `head` (ids head.last_id + 1, ...), event i with the row bindings
  // bound[i] (JSON text), all with the time `time`, and moves the head, inside the caller's
  // transaction. Returns the record ids.
  Result<std::vector<std::int64_t>> append_after(db::Connection& c, Head& head, const std::string& time,
                                                 const std::vector<const Prepared*>& events,
                                                 const std::vector<std::string>& bound) {
    using R = Result<std::vector<std::int64_t>>;
    // The chain first: each record's id, the hash before it and its own hash.
    std::vector<std::int64_t> ids;
    std::vector<std::string> prev_hashes, hashes;
    ids.reserve(events.size());
    prev_hashes.reserve(events.size());
    hashes.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Prepared* e = events[i];
      ids.push_back(++head.last_id);
      prev_hashes.push_back(head.last_hash);
      head.last_hash = audit_hash(head.last_id,
                                  {time, e->actor, e->kind, e->rule_set_id, e->rule_set_hash, e->list_snapshot_id,
                                   head.last_hash, e->inputs, e->outputs},
                                  std::string_view(bound[i]));
      hashes.push_back(head.last_hash);
    }
    if (Status s = insert_records(c, time, events, bound, ids, prev_hashes, hashes); !s) return R(s);
    auto upd = c.query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE singleton = 1",
                       {head.last_id, head.last_hash});
    if (!upd) return R(upd.status());
    return ids;
  }

  Status insert_records(db::Connection& c, const std::string& time, const std::vector<const Prepared*>& events,
                        const std::vector<std::string>& bound, const std::vector<std::int64_t>& ids,
                        const std::vector<std::string>& prev_hashes, const std::vector<std::string>& hashes) {
    if (pg() && events.size() > 1) {
      // One statement for the whole batch: each statement is a round trip to the PostgreSQL server.
      auto column = [&](auto field) {
        std::vector<std::string_view> v;
        for (const Prepared* e : events) v.push_back(field(*e));
        return pg_text_array(v);
      };
      static const std::string insert_batch_sql =
          std::string("INSERT INTO audit_log (") + kAuditColumns +
          ") SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
          "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])";
      auto ins = c.query(insert_batch_sql,
                         {pg_bigint_array(ids), pg_text_array(std::vector<std::string_view>(events.size(), time)),
                          column([](const Prepared& e) -> std::string_view { return e.actor; }),
                          column([](const Prepared& e) -> std::string_view { return e.kind; }),
                          column([](const Prepared& e) -> std::string_view { return e.inputs; }),
                          column([](const Prepared& e) -> std::string_view { return e.outputs; }),
                          column([](const Prepared& e) -> std::string_view { return e.rule_set_id; }),
                          column([](const Prepared& e) -> std::string_view { return e.rule_set_hash; }),
                          column([](const Prepared& e) -> std::string_view { return e.list_snapshot_id; }),
                          pg_text_array({prev_hashes.begin(), prev_hashes.end()}),
                          pg_text_array({hashes.begin(), hashes.end()}), pg_text_array({bound.begin(), bound.end()})});
      return ins ? Status::ok() : ins.status();
    }
    static const std::string insert_sql = std::string("INSERT INTO audit_log (") + kAuditColumns +
                                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Prepared& e = *events[i];
      // Views of the event's texts: bound without another copy of the (large) inputs and outputs.
      auto ins = c.query(insert_sql,
                         {ids[i], std::string_view(time), std::string_view(e.actor), std::string_view(e.kind),
                          std::string_view(e.inputs), std::string_view(e.outputs), std::string_view(e.rule_set_id),
                          std::string_view(e.rule_set_hash), std::string_view(e.list_snapshot_id),
                          std::string_view(prev_hashes[i]), std::string_view(hashes[i]), std::string_view(bound[i])});
      if (!ins) return ins.status();
    }
    return Status::ok();
  }

  // One record after `head`, binding `rows`; returns its id.
  Result<std::int64_t> append_one(db::Connection& c, Head& head, const Prepared& e,
                                  const std::vector<bindings::Binding>& rows = {}) {
    auto ids = append_after(c, head, now_utc(), {&e}, {bindings::bound_text(rows)});
    if (!ids) return Result<std::int64_t>(ids.status());
    return ids->front();
  }

  Result<std::vector<std::int64_t>> write_decisions(const std::vector<const Prepared*>& events) {
    using R = Result<std::vector<std::int64_t>>;
    std::size_t bytes = 0;
    for (const Prepared* e : events) bytes += e->inputs.size() + e->outputs.size() + 512;
    return write<std::vector<std::int64_t>>(
        [&](db::Connection& c) -> R {
          auto head = lock_head(c);
          if (!head) return R(head.status());
          // Decision ids are assigned here, under the chain lock, so that each audit record can bind its
          // decision row (id -> audit record) before the row exists.
          auto last = c.query("SELECT COALESCE(MAX(id), 0) FROM decisions");
          if (!last) return R(last.status());
          const std::int64_t first_id = to_int(last.value()[0][0]) + 1;
          const std::string time = now_utc();
          std::vector<std::int64_t> ids, audit_ids;
          std::vector<std::string> bound;
          for (std::size_t i = 0; i < events.size(); ++i) {
            ids.push_back(first_id + static_cast<std::int64_t>(i));
            audit_ids.push_back(head->last_id + 1 + static_cast<std::int64_t>(i));
            const std::string key = std::to_string(ids.back());
            bound.push_back(bindings::bound_text(
                {{bindings::kDecisions.name, key,
                  bindings::row_hash(bindings::kDecisions.name, {key, std::to_string(audit_ids.back()), time,
                                                                 events[i]->actor, events[i]->kind})}}));
          }
          auto appended = append_after(c, head.value(), time, events, bound);
          if (!appended) return appended;
          if (Status s = insert_decisions(c, time, events, ids, audit_ids); !s) return R(s);
          return ids;
        },
        bytes);
  }

  Status insert_decisions(db::Connection& c, const std::string& time, const std::vector<const Prepared*>& events,
                          const std::vector<std::int64_t>& ids, const std::vector<std::int64_t>& audit_ids) {
    if (pg() && events.size() > 1) {  // one round trip for the batch (see insert_records)
      std::vector<std::string_view> actors, kinds;
      for (const Prepared* e : events) {
        actors.push_back(e->actor);
        kinds.push_back(e->kind);
      }
      auto r = c.query(
          "INSERT INTO decisions (id, audit_id, time, actor, kind) SELECT * FROM unnest($1::bigint[], $2::bigint[], "
          "$3::text[], $4::text[], $5::text[])",
          {pg_bigint_array(ids), pg_bigint_array(audit_ids),
           pg_text_array(std::vector<std::string_view>(events.size(), time)), pg_text_array(actors),
           pg_text_array(kinds)});
      return r ? Status::ok() : r.status();
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      auto r = c.query("INSERT INTO decisions (id, audit_id, time, actor, kind) VALUES ($1, $2, $3, $4, $5)",
                       {ids[i], audit_ids[i], time, events[i]->actor, events[i]->kind});
      if (!r) return r.status();
    }
    return Status::ok();
  }

  // ---- opening ---------------------------------------------------------------------------------

  // A connection for migrations: without the statement timeout (a migration may wait for another
  // instance's, or rewrite a large table), never returned to the pool.
  Result<std::unique_ptr<db::Connection>> admin_connection() {
    db::Spec s = spec;
    s.statement_timeout_ms = 0;
    return db::connect(s);
  }

  // The database's schema version; "no such database" when it holds no chipgate store.
  Result<int> existing_schema(db::Connection& c) {
    auto t = c.query(pg() ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                            "AND table_name = 'schema_version'"
                          : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!t) return Result<int>(t.status());
    if (to_int(t.value()[0][0]) == 0)
      return Result<int>::error("no such database: " +
                                (pg() ? std::string("this PostgreSQL database (schema) holds no chipgate store")
                                      : spec.target + " is not a chipgate store") +
                                " (no schema_version table; this command does not create one)");
    auto v = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!v) return Result<int>(v.status());
    return static_cast<int>(to_int(v.value()[0][0]));
  }

  int latest_schema() const {
    const auto& m = spec.backend == db::Backend::sqlite ? sqlite_migrations() : postgresql_migrations();
    return m.empty() ? 0 : m.back().version;
  }

  Status open_read_only() {
    auto conn = admin_connection();
    if (!conn) return conn.status();
    auto v = existing_schema(*conn.value());
    if (!v) return v.status();
    if (v.value() > latest_schema())
      return Status::error("the database has schema version " + std::to_string(v.value()) +
                           ", newer than this chipgate (" + std::to_string(latest_schema()) + "); upgrade chipgate");
    schema = v.value();
    return Status::ok();
  }

  Status migrate();
  // Migration to schema 3: binds the rows written before it (keys, scenarios, rule versions,
  // snapshots and their parties, products, decisions) in one record, as they stand now.
  Status bind_existing_rows(db::Connection& c);
  Status probe_write(std::chrono::milliseconds deadline);
};

Status Store::Impl::migrate() {
  auto conn = admin_connection();
  if (!conn) return conn.status();
  db::Connection& c = *conn.value();
  if (options.mode == OpenOptions::Mode::kExisting)
    if (auto v = existing_schema(c); !v) return v.status();
  const auto& migrations = spec.backend == db::Backend::sqlite ? sqlite_migrations() : postgresql_migrations();
  if (Status s = c.begin_write(); !s) return Status::error("migrations: cannot start a transaction: " + s.message());
  auto fail = [&](const std::string& m) {
    c.rollback();
    return Status::error("migrations: " + m);
  };
  if (pg()) {
    if (auto r = c.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}); !r) return fail(r.message());
  }
  if (Status s = c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                        "applied TEXT NOT NULL)");
      !s)
    return fail(s.message());
  auto cur = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!cur) return fail(cur.message());
  const std::int64_t current = to_int((*cur)[0][0]);
  const int latest = latest_schema();
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
    if (m.version == kBindingsSchema)
      if (Status s = bind_existing_rows(c); !s) return fail(m.name + ": binding the existing rows: " + s.message());
  }
  if (Status s = c.commit(); !s) return fail("commit: " + s.message());
  schema = latest;
  return Status::ok();
}

Status Store::Impl::bind_existing_rows(db::Connection& c) {
  bindings = true;  // the columns of schema 3 exist from here on, in this transaction
  auto head = lock_head(c);
  if (!head) return head.status();
  std::vector<bindings::Binding> rows;
  nlohmann::json counts = nlohmann::json::object();
  for (const bindings::Table& t : bindings::kKeyedTables) {
    if (t.since_schema > kBindingsSchema) continue;  // created empty by a later migration
    auto r = bindings::table_rows(c, t);
    if (!r) return r.status();
    counts[t.name] = r->size();
    rows.insert(rows.end(), r->begin(), r->end());
  }
  auto snapshots = c.query("SELECT id FROM list_snapshots ORDER BY id");
  if (!snapshots) return snapshots.status();
  auto parties = bindings::party_digests(c);
  if (!parties) return parties.status();
  std::int64_t party_rows = 0;
  for (const auto& row : snapshots.value()) {
    const auto it = parties->find(to_str(row[0]));
    rows.push_back(
        {bindings::kParties.name, to_str(row[0]), it == parties->end() ? bindings::empty_digest() : it->second.hash});
    if (it != parties->end()) party_rows += it->second.rows;
  }
  counts["parties"] = party_rows;
  auto last = c.query("SELECT COALESCE(MAX(id), 0) FROM decisions");
  if (!last) return last.status();
  const std::int64_t through = to_int(last.value()[0][0]);
  if (through > 0) {
    auto d = bindings::decisions_digest(c, through);
    if (!d) return d.status();
    rows.push_back({bindings::kLegacyDecisions, std::to_string(through), d->hash});
    counts["decisions"] = d->rows;
  }
  if (head->last_id == 0 && rows.empty()) return Status::ok();  // a new store: nothing written before
  auto p =
      prepare(AuditEvent{"system:migration",
                         "store.bind_rows",
                         {{"schema_version", kBindingsSchema},
                          {"records_before", head->last_id},
                          {"note", "rows written before schema 3, bound into the chain as they stood at this record"}},
                         {{"rows", counts}},
                         "",
                         "",
                         ""});
  if (!p) return p.status();
  auto id = append_one(c, head.value(), p.value(), rows);
  return id ? Status::ok() : id.status();
}

Status Store::Impl::probe_write(std::chrono::milliseconds deadline) {
  if (files) {
    if (Status s = check_files(); !s) return s;
    if (Status s = files->writable(); !s) return s;
  }
  // The probe's own connection, with a statement timeout that keeps the whole answer within the
  // deadline (PostgreSQL adds a client-side margin, see pg_db.cpp).
  const std::int64_t timeout = std::max<std::int64_t>(1, deadline.count() * 4 / 5);
  if (!probe_conn || !probe_conn->healthy() || probe_conn_timeout_ms != timeout) {
    db::Spec s = spec;
    s.statement_timeout_ms = timeout;
    auto c = db::connect(s);
    if (!c) return c.status();
    probe_conn = std::move(c).value();
    probe_conn_timeout_ms = timeout;
  }
  std::unique_lock<std::timed_mutex> lk(write_mutex, std::defer_lock);
  if (!pg() && !lk.try_lock_for(deadline))
    return Status::error("the store's write lock was not free within " + std::to_string(deadline.count()) + " ms");
  // After a failed write, the probe writes as much as it did (and some pages more for its indexes):
  // "ready" then means that write would fit now.
  std::string failure;
  std::size_t payload = 0;
  if (write_failed) {
    std::lock_guard fl(write_failure_mutex);
    failure = write_failure;
    payload = std::min<std::size_t>(write_failure_bytes + 32 * 1024, 4 << 20);
  }
  db::Connection& c = *probe_conn;
  Status s = c.begin_write();
  if (s) {
    auto u = c.query("UPDATE store_probe SET at = $1 WHERE singleton = 1",
                     {now_utc() + (payload ? " " + std::string(payload, 'x') : std::string())});
    s = u ? c.commit() : u.status();
  }
  if (!s) {
    c.rollback();
    return Status::error("a write did not commit: " + s.message() +
                         (failure.empty() ? "" : " (the last write failed: " + failure + ")"));
  }
  if (Status f = check_files(); !f) return f;
  if (payload) clear_write_failure();  // as large a write as the one that failed commits now
  return Status::ok();
}

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
  const bool read_only = options.mode == OpenOptions::Mode::kReadOnly;
  impl->spec.create_if_missing = options.mode == OpenOptions::Mode::kCreate;
  impl->spec.writable = !read_only;
  impl->spec.statement_timeout_ms = options.statement_timeout_ms;
  const bool checkpoint_thread =
      !read_only && options.background_checkpoint && impl->spec.backend == db::Backend::sqlite;
  impl->spec.sqlite_manual_checkpoint = checkpoint_thread;
  if (Status s = read_only ? impl->open_read_only() : impl->migrate(); !s) return R(s);
  impl->bindings = impl->schema >= kBindingsSchema;
  if (!read_only && impl->spec.backend == db::Backend::sqlite) {
    // One pooled connection reads now, so that the write-ahead log and its index exist (and stay: the
    // pool keeps the connection open) before the files are remembered.
    auto warm = impl->read<int>([](db::Connection& c) -> Result<int> {
      auto r = c.query("SELECT last_id FROM audit_head WHERE singleton = 1");
      return r ? Result<int>(0) : Result<int>(r.status());
    });
    if (!warm) return R(warm.status());
    impl->files = DatabaseFiles::capture(impl->spec.target);
  }
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

Status Store::check_writable(std::chrono::milliseconds deadline) {
  Impl& im = *impl_;
  if (im.options.mode == OpenOptions::Mode::kReadOnly) return Status::error("the store was opened read-only");
  if (im.lost) return im.lost_status();
  std::unique_lock lk(im.probe_mutex, std::defer_lock);
  if (!lk.try_lock_for(deadline))
    return Status::error("the previous write probe has not finished after " + std::to_string(deadline.count()) + " ms");
  const auto now = std::chrono::steady_clock::now();
  // A removed database is noticed at once, even within the reuse window.
  if (Status s = im.check_files(); !s) return s;
  // A write that failed since the last probe makes its answer stale at once.
  if (!im.probe_result || now - im.probe_at >= Impl::kProbeReuse || (im.write_failed && *im.probe_result)) {
    im.probe_result = im.probe_write(deadline);
    im.probe_at = std::chrono::steady_clock::now();
  }
  return *im.probe_result;
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
  return impl_->write<std::int64_t>([&](db::Connection& c) -> Result<std::int64_t> {
    auto head = impl_->lock_head(c);
    if (!head) return Result<std::int64_t>(head.status());
    return impl_->append_one(c, head.value(), prepared.value());
  });
}

Result<std::vector<AuditRecord>> Store::audit_records(std::int64_t from_id, std::int64_t limit) {
  using R = Result<std::vector<AuditRecord>>;
  return impl_->read<std::vector<AuditRecord>>([&](db::Connection& c) -> R {
    auto r =
        c.query(std::string("SELECT ") + impl_->audit_columns() + " FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2",
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
    auto r = c.query(
        std::string("SELECT ") + impl_->audit_columns() + " FROM audit_log WHERE time >= $1 AND time < $2 ORDER BY id",
        {from.to_string(), to.plus_days(1).to_string()});
    if (!r) return R(r.status());
    std::vector<AuditRecord> out;
    for (const auto& row : r.value()) out.push_back(audit_from_row(row));
    return out;
  });
}

Result<VerifyReport> Store::verify_audit() {
  return impl_->read<VerifyReport>(
      [&](db::Connection& c) -> Result<VerifyReport> { return verify_store(c, impl_->pg(), impl_->schema); });
}

Result<ChainHead> Store::chain_head() {
  using R = Result<ChainHead>;
  return impl_->read<ChainHead>([&](db::Connection& c) -> R {
    // One snapshot for the head and the records it names.
    if (Status s = impl_->pg() ? c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ") : c.begin_read(); !s) return R(s);
    auto head = c.query("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1");
    if (!head) return R(head.status());
    if (head->size() != 1) return R::error("the chain head row (table audit_head) is missing");
    ChainHead h{to_int((*head)[0][0]), to_str((*head)[0][1]), ""};
    if (h.id == 0) return h;
    auto recs = c.query("SELECT id, hash FROM audit_log WHERE id = 1 OR id = $1 ORDER BY id", {h.id});
    if (!recs) return R(recs.status());
    if (recs->empty() || to_int(recs->front()[0]) != 1) return R::error("record 1 of the audit chain is missing");
    if (to_int(recs->back()[0]) != h.id || to_str(recs->back()[1]) != h.hash)
      return R::error("the chain head (audit_head: record " + std::to_string(h.id) +
                      ") does not match the record it names; run chipgate audit verify");
    h.first_hash = to_str(recs->front()[1]);
    return h;
  });
}

// ---- lists, rules, products ------------------------------------------------------------------

namespace {

// The parties rows of a list import as they will be stored (and hashed): snapshot_id, seq, list_id,
// name, country, data (the party's JSON text).
std::vector<db::Row> parties_rows(const std::string& snapshot_id, const std::vector<nlohmann::json>& parties,
                                  const std::vector<std::string>& texts) {
  std::vector<db::Row> rows;
  for (std::size_t i = 0; i < parties.size(); ++i) {
    const auto& party = parties[i];
    auto field = [&](const char* a, const char* b) {
      for (const char* k : {a, b})
        if (party.contains(k) && party[k].is_string()) return party[k].get<std::string>();
      return std::string();
    };
    rows.push_back({snapshot_id, std::to_string(i + 1), field("list_id", "list"), field("name", "name"),
                    field("country", "country"), texts[i]});
  }
  return rows;
}

}  // namespace

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

  const std::vector<db::Row> party_rows = parties_rows(id, import.parties, party_text);
  bindings::Digest party_digest;
  for (const db::Row& row : party_rows) party_digest.add(bindings::row_hash(bindings::kParties.name, row));
  const std::string parties_hash = party_digest.hex();

  return impl_->write<ListSnapshot>([&](db::Connection& c) -> R {
    auto head = impl_->lock_head(c);
    if (!head) return R(head.status());
    const std::string cols = bindings::kListSnapshots.columns;
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
    if (!existing->empty()) {  // recorded, nothing changed: no row to bind
      auto audit_id = impl_->append_one(c, head.value(), p.value());
      if (!audit_id) return R(audit_id.status());
      return snapshot_from_row((*existing)[0]);
    }
    ListSnapshot snap;
    snap.id = id;
    snap.imported = now_utc();
    snap.actor = actor;
    snap.source_counts = import.source_counts;
    snap.total = total;
    snap.details = import.details;
    snap.audit_id = head->last_id + 1;
    const db::Row row = {
        id, snap.imported, actor, counts.dump(), std::to_string(total), details.value(), std::to_string(snap.audit_id)};
    auto audit_id =
        impl_->append_one(c, head.value(), p.value(),
                          {{bindings::kListSnapshots.name, id, bindings::row_hash(bindings::kListSnapshots.name, row)},
                           {bindings::kParties.name, id, parties_hash}});
    if (!audit_id) return R(audit_id.status());
    auto ins = c.query("INSERT INTO list_snapshots (" + cols + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       {id, snap.imported, actor, *row[3], total, details.value(), snap.audit_id});
    if (!ins) return R(ins.status());
    for (const db::Row& party : party_rows) {
      auto r = c.query(
          "INSERT INTO parties (snapshot_id, seq, list_id, name, country, data) VALUES ($1, $2, $3, $4, $5, $6)",
          {*party[0], static_cast<std::int64_t>(std::strtoll(party[1]->c_str(), nullptr, 10)), *party[2], *party[3],
           *party[4], *party[5]});
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
    // Checked under the chain lock, so two instances installing the same name cannot both succeed,
    // and the rule version's seq (bound into the record) is the next one.
    auto head = impl_->lock_head(c);
    if (!head) return R(head.status());
    if (!install.toml.empty()) {
      auto existing = c.query("SELECT toml_sha256 FROM installed_scenarios WHERE name = $1", {install.scenario});
      if (!existing) return R(existing.status());
      if (!existing->empty())
        return R::error("scenario '" + install.scenario + "' is already installed (toml sha256 " +
                        to_str((*existing)[0][0]) + ")");
    }
    auto last = c.query("SELECT COALESCE(MAX(seq), 0) FROM rule_versions");
    if (!last) return R(last.status());
    const std::string seq = std::to_string(to_int(last.value()[0][0]) + 1);
    const std::string audit_id = std::to_string(head->last_id + 1), now = now_utc();
    const db::Row version = {seq, install.rule_set_id, install.rule_set_hash, install.scenario, now, actor, audit_id};
    std::vector<bindings::Binding> rows = {
        {bindings::kRuleVersions.name, seq, bindings::row_hash(bindings::kRuleVersions.name, version)}};
    const db::Row scenario = {install.scenario, install.toml, toml_sha256, now, actor, audit_id};
    if (!install.toml.empty())
      rows.push_back({bindings::kInstalledScenarios.name, install.scenario,
                      bindings::row_hash(bindings::kInstalledScenarios.name, scenario)});
    auto id = impl_->append_one(c, head.value(), p.value(), rows);
    if (!id) return id;
    if (!install.toml.empty()) {
      auto r = c.query(std::string("INSERT INTO installed_scenarios (") + bindings::kInstalledScenarios.columns +
                           ") VALUES ($1, $2, $3, $4, $5, $6)",
                       {install.scenario, install.toml, toml_sha256, now, actor, id.value()});
      if (!r) return R(r.status());
    }
    auto r = c.query(
        std::string("INSERT INTO rule_versions (") + bindings::kRuleVersions.columns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {to_int(version[0]), install.rule_set_id, install.rule_set_hash, install.scenario, now, actor, id.value()});
    if (!r) return R(r.status());
    return id;
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
    auto head = impl_->lock_head(c);
    if (!head) return R(head.status());
    const std::string now = now_utc(), audit_id = std::to_string(head->last_id + 1);
    std::vector<bindings::Binding> rows;
    for (std::size_t i = 0; i < products.size(); ++i)
      rows.push_back({bindings::kProducts.name, products[i].id,
                      bindings::row_hash(bindings::kProducts.name, {products[i].id, texts[i], now, audit_id})});
    auto id = impl_->append_one(c, head.value(), p.value(), rows);
    if (!id) return id;
    for (std::size_t i = 0; i < products.size(); ++i) {
      auto r = c.query(
          "INSERT INTO products (id, data, updated, audit_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
          "data = excluded.data, updated = excluded.updated, audit_id = excluded.audit_id",
          {products[i].id, texts[i], now, id.value()});
      if (!r) return R(r.status());
    }
    return id;
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
                                    std::optional<Date> expires, Date today) {
  using R = Result<NewApiKey>;
  if (Status s = check_text("name", name); !s) return R(s);
  if (Status s = check_key_expiry(expires, today); !s) return R(s);
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
  const db::Row row = {key.info.id,
                       sha256_hex(key.secret),
                       name,
                       std::string(role_name(role)),
                       key.info.created,
                       expires ? std::optional<std::string>(expires->to_string()) : std::nullopt,
                       std::nullopt};
  return impl_->write<NewApiKey>([&](db::Connection& c) -> R {
    auto head = impl_->lock_head(c);
    if (!head) return R(head.status());
    auto a =
        impl_->append_one(c, head.value(), p.value(),
                          {{bindings::kApiKeys.name, key.info.id, bindings::row_hash(bindings::kApiKeys.name, row)}});
    if (!a) return R(a.status());
    auto r = c.query(
        std::string("INSERT INTO api_keys (") + bindings::kApiKeys.columns + ") VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        {*row[0], *row[1], *row[2], *row[3], *row[4], row[5] ? db::Param(*row[5]) : db::Param(nullptr)});
    if (!r) return R(r.status());
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
    auto head = impl_->lock_head(c);
    if (!head) return Result<bool>(head.status());
    auto k = c.query(std::string("SELECT ") + bindings::kApiKeys.columns + " FROM api_keys WHERE id = $1", {key_id});
    if (!k) return Result<bool>(k.status());
    if (k->empty()) return Result<bool>::error("key " + key_id + ": no such key");
    db::Row row = k->front();
    if (row[6]) return Result<bool>::error("key " + key_id + ": already revoked on " + *row[6]);
    row[6] = now_utc();  // the row as it will be: bound into the record that revokes it
    auto a = impl_->append_one(c, head.value(), p.value(),
                               {{bindings::kApiKeys.name, key_id, bindings::row_hash(bindings::kApiKeys.name, row)}});
    if (!a) return Result<bool>(a.status());
    auto u = c.query("UPDATE api_keys SET revoked = $1 WHERE id = $2", {*row[6], key_id});
    if (!u) return Result<bool>(u.status());
    return true;
  });
  if (r) {  // refused at once through this store, not after the cache's time-to-live
    std::lock_guard lk(impl_->key_cache_mutex);
    impl_->key_cache.clear();
  }
  return r.status();
}

Status check_key_expiry(std::optional<Date> expires, Date today) {
  if (expires && *expires <= today)
    return Status::error("expires: " + expires->to_string() + " is not after today (" + today.to_string() +
                         ", UTC); the key would never be valid");
  return Status::ok();
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
    auto head = impl_->lock_head(c);
    if (!head) return R(head.status());
    // Each row as it will be stored, bound into the record that writes it (row_bindings.h).
    const std::string now = now_utc(), next_id = std::to_string(head->last_id + 1);
    std::vector<bindings::Binding> bound;
    for (const auto& r : rows) {
      const std::string key = r.party_key + "|" + r.owner_key;
      bound.push_back({bindings::kOwnership.name, key,
                       bindings::row_hash(bindings::kOwnership.name,
                                          {key, r.party, r.owner, r.percent, r.source, r.as_of, now, actor, next_id})});
    }
    auto audit_id = impl_->append_one(c, head.value(), p.value(), bound);
    if (!audit_id) return audit_id;
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
