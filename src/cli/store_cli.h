// Helpers shared by the store-backed subcommands (keys_command.cpp, audit_command.cpp).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace chipgate::cli {

// The audit actor for local administration: "cli:$USER".
std::string cli_actor();
// Opens --db (empty: Store::default_spec()), applying migrations.
Result<std::unique_ptr<store::Store>> open_store(const std::string& db_flag);

}  // namespace chipgate::cli
