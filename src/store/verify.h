// Internal to src/store: the verification of a store (Store::verify_audit): the hash chain, then
// every row bound into it (store/row_bindings.h), in one read snapshot.
#pragma once

#include "core/result.h"
#include "store/db.h"
#include "store/store.h"

namespace chipgate::store {

// `schema` is the database's schema version: before 3, records carry no row bindings, and the
// report says what it therefore could not check.
Result<VerifyReport> verify_store(db::Connection& c, bool postgresql, int schema);

}  // namespace chipgate::store
