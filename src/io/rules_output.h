// Rendering the rule versions and scenarios of a registry: `chipgate rules list --format json` and
// GET /v1/rules answer with this same object.
#pragma once

#include <nlohmann/json.hpp>

#include "rules/registry.h"

namespace chipgate::io {

// {"versions": [{"id", "effective", "federal_register", "title", "enforced", "hash"}, ...] (oldest
// first), "scenarios": [{"name", "title", "base"}, ...] (as the registry lists them; "base" is the
// pinned version or "in force on the date")}.
nlohmann::ordered_json rules_list_to_json(const rules::Registry& registry);

}  // namespace chipgate::io
