// PostgreSQL connection (plain libpq, text protocol). Statements are prepared once per connection
// (PQprepare) and executed with PQexecPrepared, so every value travels as a parameter.
#include <libpq-fe.h>

#include <map>

#include "store/db.h"

namespace chipgate::store::db {

namespace {

std::string pg_error(PGconn* conn, PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty()) msg = PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return "postgresql: " + msg;
}

class PgConnection : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Backend backend() const override { return Backend::postgresql; }

  Status exec(const std::string& sql) override {
    PGresult* res = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(res);
    Status out = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? Status::ok() : Status::error(pg_error(conn_, res));
    PQclear(res);
    return out;
  }

  Result<Rows> query(const std::string& sql, const std::vector<Param>& params) override {
    std::string name;
    if (auto it = prepared_.find(sql); it != prepared_.end()) {
      name = it->second;
    } else {
      name = "s" + std::to_string(prepared_.size() + 1);
      PGresult* prep = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(prep) == PGRES_COMMAND_OK;
      std::string err = ok ? "" : pg_error(conn_, prep);
      PQclear(prep);
      if (!ok) return Result<Rows>::error(err);
      prepared_.emplace(sql, name);
    }
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
    PGresult* res =
        PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(), nullptr, nullptr, 0);
    const ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string err = pg_error(conn_, res);
      PQclear(res);
      return Result<Rows>::error(err);
    }
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
    PQclear(res);
    return rows;
  }

  Status begin_write() override { return exec("BEGIN"); }
  Status begin_read() override { return exec("BEGIN"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  bool healthy() const override { return PQstatus(conn_) == CONNECTION_OK; }

 private:
  PGconn* conn_;
  std::map<std::string, std::string> prepared_;
};

}  // namespace

Result<std::unique_ptr<Connection>> connect_postgresql(const Spec& spec) {
  PGconn* conn = PQconnectdb(spec.target.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return Result<std::unique_ptr<Connection>>::error("cannot connect to PostgreSQL: " + msg);
  }
  auto c = std::make_unique<PgConnection>(conn);
  // Quiet NOTICEs (e.g. "relation already exists, skipping") and use UTC for any server-side time.
  if (Status s = c->exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'"); !s)
    return Result<std::unique_ptr<Connection>>::error("cannot configure PostgreSQL session: " + s.message());
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace chipgate::store::db
