#include "io/rules_output.h"

namespace chipgate::io {

nlohmann::ordered_json rules_list_to_json(const rules::Registry& registry) {
  nlohmann::ordered_json j = {{"versions", nlohmann::ordered_json::array()},
                              {"scenarios", nlohmann::ordered_json::array()}};
  for (const auto& v : registry.versions())
    j["versions"].push_back({{"id", v->version.id},
                             {"effective", v->version.effective.to_string()},
                             {"federal_register", v->version.federal_register},
                             {"title", v->version.title},
                             {"enforced", v->version.enforced},
                             {"hash", v->hash}});
  for (const auto& s : registry.scenarios())
    j["scenarios"].push_back({{"name", s.name},
                              {"title", s.title},
                              {"base", s.pinned_base.empty() ? "in force on the date" : s.pinned_base}});
  return j;
}

}  // namespace chipgate::io
