// PostgreSQL connection (plain libpq, text protocol). Statements are prepared once per connection
// (PQprepare) and executed with PQexecPrepared, so every value travels as a parameter.
//
// Every command is sent and awaited through libpq's asynchronous calls on a non-blocking socket,
// with a deadline (Spec::statement_timeout_ms plus a margin): the server's own statement_timeout
// ends a slow statement with an error, but a server that is stopped (SIGSTOP, a frozen VM, a network
// that drops packets) answers nothing at all, and libpq's blocking calls would then wait forever,
// with the request that called them. A connection that passes its deadline is marked broken and
// dropped by the pool: its state is unknown (a cancel request would go to the same stopped server).
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>

#include "store/db.h"

namespace chipgate::store::db {

namespace {

using Clock = std::chrono::steady_clock;
// The client-side deadline is a little longer than the server's statement_timeout (a quarter, at
// most a second), so that a slow statement on a live server ends with the server's own error and the
// connection stays usable.
std::int64_t client_deadline_ms(std::int64_t statement_timeout_ms) {
  if (statement_timeout_ms <= 0) return 0;
  return statement_timeout_ms + std::clamp<std::int64_t>(statement_timeout_ms / 4, 1, 1000);
}

std::string pg_error(PGconn* conn, const PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty()) msg = PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return "postgresql: " + msg;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgConnection : public Connection {
 public:
  PgConnection(PGconn* conn, std::int64_t deadline_ms) : conn_(conn), deadline_ms_(deadline_ms) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Backend backend() const override { return Backend::postgresql; }

  Status exec(const std::string& sql) override {
    if (broken_) return broken_status();
    if (!PQsendQuery(conn_, sql.c_str())) return Status::error(pg_error(conn_, nullptr));
    auto res = await();
    return res ? Status::ok() : res.status();
  }

  Result<Rows> query(const std::string& sql, const std::vector<Param>& params) override {
    if (broken_) return Result<Rows>(broken_status());
    auto name = prepared_name(sql);
    if (!name) return Result<Rows>(name.status());
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
        values[i] = texts[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      } else if (const auto* v = std::get_if<std::string_view>(&params[i])) {
        texts[i] = *v;  // libpq reads text parameters up to their NUL
        values[i] = texts[i].c_str();
      }
    }
    if (!PQsendQueryPrepared(conn_, name->c_str(), static_cast<int>(params.size()), values.data(), nullptr, nullptr, 0))
      return Result<Rows>::error(pg_error(conn_, nullptr));
    auto res = await();
    if (!res) return Result<Rows>(res.status());
    return rows_of(res.value().get());
  }

  Status begin_write() override { return exec("BEGIN"); }
  Status begin_read() override { return exec("BEGIN"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override {
    if (!broken_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) (void)exec("ROLLBACK");
  }
  bool healthy() const override { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

 private:
  Status broken_status() const {
    return Status::error("postgresql: the connection was dropped after the server did not answer within " +
                         std::to_string(deadline_ms_) + " ms");
  }

  Result<std::string> prepared_name(const std::string& sql) {
    if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    if (!PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr))
      return Result<std::string>::error(pg_error(conn_, nullptr));
    auto res = await();
    if (!res) return Result<std::string>(res.status());
    prepared_.emplace(sql, name);
    return name;
  }

  static Rows rows_of(const PGresult* res) {
    Rows rows;
    const int n = PQntuples(res), m = PQnfields(res);
    rows.reserve(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
      Row row;
      row.reserve(static_cast<std::size_t>(m));
      for (int c = 0; c < m; ++c) {
        if (PQgetisnull(res, r, c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  // Waits until the socket is ready for `events` or the deadline passes (false: passed).
  bool wait_socket(short events, Clock::time_point deadline) {
    pollfd p{PQsocket(conn_), events, 0};
    for (;;) {
      int timeout = -1;
      if (deadline_ms_ > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        timeout = static_cast<int>(left);
      }
      const int n = ::poll(&p, 1, timeout);
      if (n > 0) return true;
      if (n == 0) return false;
      if (errno != EINTR) return true;  // let libpq report the socket's error
    }
  }

  // Sends what libpq has buffered and collects every result of the command sent, within the
  // deadline. Returns the last result, or the first error.
  Result<ResultPtr> await() {
    using R = Result<ResultPtr>;
    const auto deadline = Clock::now() + std::chrono::milliseconds(deadline_ms_);
    auto timed_out = [&] {
      broken_ = true;
      return R::error("postgresql: no answer within " + std::to_string(deadline_ms_) +
                      " ms (the server is stopped, frozen or unreachable); the connection was dropped");
    };
    for (int f = PQflush(conn_); f != 0; f = PQflush(conn_)) {
      if (f < 0) return R::error(pg_error(conn_, nullptr));
      if (!wait_socket(POLLIN | POLLOUT, deadline)) return timed_out();
      if (!PQconsumeInput(conn_)) return R::error(pg_error(conn_, nullptr));
    }
    ResultPtr last(nullptr, &PQclear);
    std::string error;
    for (;;) {
      while (PQisBusy(conn_)) {
        if (!wait_socket(POLLIN, deadline)) return timed_out();
        if (!PQconsumeInput(conn_)) return R::error(pg_error(conn_, nullptr));
      }
      PGresult* r = PQgetResult(conn_);
      if (!r) break;
      const ExecStatusType st = PQresultStatus(r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && error.empty()) error = pg_error(conn_, r);
      last.reset(r);
    }
    if (!error.empty()) return R::error(error);
    if (!last) return R::error(pg_error(conn_, nullptr));
    return R(std::move(last));
  }

  PGconn* conn_;
  std::int64_t deadline_ms_;  // 0 = none
  bool broken_ = false;
  std::map<std::string, std::string> prepared_;
};

}  // namespace

Result<std::unique_ptr<Connection>> connect_postgresql(const Spec& spec) {
  using R = Result<std::unique_ptr<Connection>>;
  // A bounded connect (libpq counts whole seconds, at least 2): a stopped server accepts the
  // socket connection into its backlog and never answers the start-up message. A connect_timeout
  // in the URI itself, processed after this one, wins.
  const std::int64_t timeout_s =
      spec.statement_timeout_ms > 0 ? std::max<std::int64_t>(2, (spec.statement_timeout_ms + 999) / 1000) : 0;
  const std::string timeout_text = std::to_string(timeout_s);
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {timeout_text.c_str(), spec.target.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return R::error("cannot connect to PostgreSQL: " + msg);
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return R::error("cannot configure PostgreSQL connection: " + msg);
  }
  auto c = std::make_unique<PgConnection>(conn, client_deadline_ms(spec.statement_timeout_ms));
  // Quiet NOTICEs (e.g. "relation already exists, skipping") and use UTC for any server-side time.
  std::string setup = "SET client_min_messages = warning; SET TIME ZONE 'UTC'";
  if (spec.statement_timeout_ms > 0) setup += "; SET statement_timeout = " + std::to_string(spec.statement_timeout_ms);
  if (Status s = c->exec(setup); !s) return R::error("cannot configure PostgreSQL session: " + s.message());
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace chipgate::store::db
