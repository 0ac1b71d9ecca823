// The numbered SQL migrations of each backend (src/store/migrations/<backend>/NNNN_name.sql),
// compiled into the binary by src/store/CMakeLists.txt. Applied in order at Store::open, in one
// transaction, each recorded in schema_version.
#pragma once

#include <string>
#include <vector>

namespace chipgate::store {

struct Migration {
  int version;       // NNNN from the file name
  std::string name;  // file name without .sql
  std::string sql;
};

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgresql_migrations();

}  // namespace chipgate::store
