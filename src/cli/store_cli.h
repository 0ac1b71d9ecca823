// Helpers shared by the store-backed subcommands (keys_command.cpp, audit_command.cpp).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace chipgate::cli {

// The audit actor for local administration: "cli:$USER".
std::string cli_actor();
// Opens --db (empty: Store::default_spec()). kCreate applies migrations (creating the database when
// missing); kExisting the same on an existing database only; kReadOnly neither creates nor migrates
// (commands that only read: a mistyped path is "no such database", never a new empty store).
Result<std::unique_ptr<store::Store>> open_store(const std::string& db_flag,
                                                 store::OpenOptions::Mode mode = store::OpenOptions::Mode::kCreate);

}  // namespace chipgate::cli
