// Internal to src/store (and the store tests): one database connection, SQLite or PostgreSQL,
// behind the few operations the store needs. SQL is written once with PostgreSQL-style numbered
// parameters ($1, $2, ...); the SQLite connection maps them to ?1, ?2. Every value goes through a
// bound parameter, never through string concatenation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace chipgate::store::db {

// A text parameter is owned (std::string) or viewed (std::string_view: large texts bound without a
// copy; the viewed text must outlive the query call).
using Param = std::variant<std::nullptr_t, std::int64_t, std::string, std::string_view>;
using Row = std::vector<std::optional<std::string>>;  // every column as text; NULL = nullopt
using Rows = std::vector<Row>;

enum class Backend { sqlite, postgresql };

struct Spec {
  Backend backend = Backend::sqlite;
  std::string target;                     // SQLite file path, or the libpq connection URI
  bool sqlite_full_sync = false;          // "sqlite:PATH?sync=full": fsync the WAL at every commit
  bool sqlite_manual_checkpoint = false;  // wal_autocheckpoint=0: the Store's own thread checkpoints
  // SQLite: create the file when it does not exist. Off for commands that only read, so that a
  // mistyped path is "no such database" instead of a new empty store.
  bool create_if_missing = true;
  // SQLite: a file that can only be opened read-only (permissions, read-only file system) is an
  // error for a store that writes; a reader accepts it (and does not change the journal mode).
  bool writable = true;
  // How long one statement may take, in milliseconds (0 = the backend's default: SQLite waits up to
  // 10 s for the write lock, PostgreSQL forever). PostgreSQL: the server's statement_timeout, a
  // client-side deadline a little longer (a stopped server never answers, not even with its own
  // timeout; the connection is then dropped) and the connect timeout. SQLite: busy_timeout.
  std::int64_t statement_timeout_ms = 0;
};

// "sqlite:PATH[?sync=full|normal]" | "postgresql://..." | "postgres://..." | a bare path (SQLite).
Result<Spec> parse_spec(std::string_view text);

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  // Runs one or more statements without parameters (migrations, BEGIN/COMMIT).
  virtual Status exec(const std::string& sql) = 0;
  // Runs one statement with bound parameters; returns its rows (empty for INSERT without RETURNING).
  virtual Result<Rows> query(const std::string& sql, const std::vector<Param>& params = {}) = 0;
  // Starts a transaction that will write: SQLite BEGIN IMMEDIATE (takes the write lock now);
  // PostgreSQL BEGIN (READ COMMITTED; the chain head row lock serialises appends).
  virtual Status begin_write() = 0;
  virtual Status begin_read() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;  // best effort; never fails loudly
  // False once the connection is unusable (lost, or a statement passed its deadline): the pool
  // drops it instead of reusing it.
  virtual bool healthy() const = 0;
};

Result<std::unique_ptr<Connection>> connect(const Spec& spec);

}  // namespace chipgate::store::db
