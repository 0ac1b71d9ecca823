// Parsing --db specs and opening a connection of the right kind.
#include "store/db.h"

namespace chipgate::store::db {

Result<std::unique_ptr<Connection>> connect_sqlite(const Spec& spec);
Result<std::unique_ptr<Connection>> connect_postgresql(const Spec& spec);

Result<Spec> parse_spec(std::string_view text) {
  Spec spec;
  if (text.empty()) return Result<Spec>::error("--db: empty database spec (use sqlite:PATH or postgresql://...)");
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    spec.backend = Backend::postgresql;
    spec.target = std::string(text);
    return spec;
  }
  if (text.starts_with("sqlite:")) text.remove_prefix(7);
  if (const auto q = text.find('?'); q != std::string_view::npos) {
    const std::string_view option = text.substr(q + 1);
    if (option == "sync=full")
      spec.sqlite_full_sync = true;
    else if (option != "sync=normal")
      return Result<Spec>::error("--db: unknown SQLite option '" + std::string(option) +
                                 "' (expected sync=full or sync=normal)");
    text = text.substr(0, q);
  }
  if (text.empty()) return Result<Spec>::error("--db: sqlite: needs a file path, e.g. sqlite:chipgate.db");
  if (text.find("://") != std::string_view::npos)
    return Result<Spec>::error("--db: unsupported database URL '" + std::string(text.substr(0, text.find("://"))) +
                               "://' (use sqlite:PATH or postgresql://...)");
  spec.backend = Backend::sqlite;
  spec.target = std::string(text);
  return spec;
}

Result<std::unique_ptr<Connection>> connect(const Spec& spec) {
  return spec.backend == Backend::sqlite ? connect_sqlite(spec) : connect_postgresql(spec);
}

}  // namespace chipgate::store::db
