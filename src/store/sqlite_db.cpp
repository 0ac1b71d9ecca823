// SQLite connection (libsqlite3). Settings and why:
//  - journal_mode=WAL: readers never block the writer and vice versa; a commit is one append to
//    the -wal file.
//  - synchronous=NORMAL (default) in WAL mode: a COMMIT has written its frames to the -wal file
//    with write(2) before sqlite3_step returns, so once the store acknowledges a decision the
//    bytes are in the operating system's page cache and survive the death of the process (SIGKILL,
//    crash). Only an operating-system crash or power loss before the next checkpoint can lose the
//    last commits, and even then the database stays consistent (WAL frames carry checksums; a
//    torn tail is ignored, so the hash chain ends at an earlier valid record). On this machine one
//    fsync costs about 2 ms, which would cap a fully synchronous store at ~500 commits/s, so
//    "sqlite:PATH?sync=full" (synchronous=FULL, fsync at every commit) is offered for deployments
//    that need power-loss durability and can pay for it. docs/store.md repeats this.
//  - busy_timeout=10000 (or Spec::statement_timeout_ms): another process holding the write lock makes
//    us wait, not fail, for that long.
//  - foreign_keys=ON.
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <unordered_map>

#include "store/db.h"

namespace chipgate::store::db {

namespace {

std::string to_sqlite_placeholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9')
      out.push_back('?');
    else
      out.push_back(sql[i]);
  }
  return out;
}

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Backend backend() const override { return Backend::sqlite; }

  Status exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::error("sqlite: " + msg);
    }
    return Status::ok();
  }

  Result<Rows> query(const std::string& sql, const std::vector<Param>& params) override {
    sqlite3_stmt* stmt = nullptr;
    if (auto it = cache_.find(sql); it != cache_.end()) {
      stmt = it->second;
    } else {
      const std::string translated = to_sqlite_placeholders(sql);
      if (sqlite3_prepare_v3(db_, translated.c_str(), static_cast<int>(translated.size()), SQLITE_PREPARE_PERSISTENT,
                             &stmt, nullptr) != SQLITE_OK)
        return Result<Rows>::error("sqlite: " + std::string(sqlite3_errmsg(db_)));
      cache_.emplace(sql, stmt);
    }
    // Reset whatever happens below, so the cached statement is reusable.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(params[i]))
        rc = sqlite3_bind_null(stmt, index);
      else if (const auto* n = std::get_if<std::int64_t>(&params[i]))
        rc = sqlite3_bind_int64(stmt, index, *n);
      else {
        // The parameter outlives the statement's execution (reset below, before returning), so
        // SQLite may read it in place (SQLITE_STATIC) instead of copying it.
        const std::string_view s = std::holds_alternative<std::string>(params[i])
                                       ? std::string_view(std::get<std::string>(params[i]))
                                       : std::get<std::string_view>(params[i]);
        rc = sqlite3_bind_text64(stmt, index, s.data() ? s.data() : "", s.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return Result<Rows>::error("sqlite: " + std::string(sqlite3_errmsg(db_)));
    }
    Rows rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Result<Rows>::error("sqlite: " + std::string(sqlite3_errmsg(db_)));
      const int n = sqlite3_column_count(stmt);
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status begin_write() override { return exec("BEGIN IMMEDIATE"); }
  Status begin_read() override { return exec("BEGIN"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool healthy() const override { return true; }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> connect_sqlite(const Spec& spec) {
  using R = Result<std::unique_ptr<Connection>>;
  // SQLite would report a missing file only as "unable to open database file"; say what it means.
  struct stat st {};
  if (!spec.create_if_missing && ::stat(spec.target.c_str(), &st) != 0 && errno == ENOENT)
    return R::error("no such database: " + spec.target + " does not exist (this command does not create one)");
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (spec.create_if_missing ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(spec.target.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return R::error("cannot open SQLite database " + spec.target + ": " + msg);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  // SQLite falls back to a read-only connection when the file cannot be opened for writing; every
  // write through it would fail. A store that records refuses such a connection at once.
  if (spec.writable && sqlite3_db_readonly(db, "main") == 1)
    return R::error("cannot write to SQLite database " + spec.target +
                    ": it opens read-only (file or directory permissions, or a read-only file system)");
  sqlite3_busy_timeout(db, spec.statement_timeout_ms > 0 ? static_cast<int>(spec.statement_timeout_ms) : 10000);
  std::string pragmas = "PRAGMA foreign_keys=ON;";
  if (spec.writable)
    pragmas += std::string(" PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
               (spec.sqlite_full_sync ? "FULL;" : "NORMAL;") +
               (spec.sqlite_manual_checkpoint ? " PRAGMA wal_autocheckpoint=0;" : "");
  if (Status s = conn->exec(pragmas); !s)
    return R::error("cannot open SQLite database " + spec.target + ": " + s.message());
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace chipgate::store::db
