#include "server/routes.h"

namespace chipgate::server {

std::string_view access_name(Access access) {
  switch (access) {
    case Access::kPublic:
      return "public";
    case Access::kViewer:
      return "viewer";
    case Access::kAnalyst:
      return "analyst";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

const std::vector<Route>& routes() {
  // /metrics needs a key (viewer): request volumes and error rates are operational data.
  // /openapi.json is public: it describes the API and holds no data.
  // The admin routes /v1/keys and POST /v1/scenarios are answered by server/admin.cpp.
  static const std::vector<Route> table = {
      {"POST", "/v1/classify", Access::kAnalyst},
      {"POST", "/v1/decide", Access::kAnalyst},
      {"POST", "/v1/screen", Access::kAnalyst},
      {"GET", "/v1/decisions/{id}", Access::kViewer},
      {"GET", "/v1/rules", Access::kViewer},
      {"GET", "/v1/scenarios", Access::kViewer},
      {"GET", "/v1/lists", Access::kViewer},
      {"POST", "/v1/lists", Access::kAdmin},
      {"GET", "/healthz", Access::kPublic},
      {"GET", "/readyz", Access::kPublic},
      {"GET", "/metrics", Access::kViewer},
      {"GET", "/openapi.json", Access::kPublic},
      {"POST", "/v1/keys", Access::kAdmin},
      {"DELETE", "/v1/keys/{id}", Access::kAdmin},
      {"GET", "/v1/keys", Access::kAdmin},
      {"POST", "/v1/scenarios", Access::kAdmin},
      // Ownership data changes what every later decision depends on (the Affiliates rule), as a
      // list import does: admin.
      {"POST", "/v1/ownership", Access::kAdmin},
  };
  return table;
}

const Route* match_route(std::string_view method, std::string_view path, std::string& param, bool& path_known) {
  path_known = false;
  for (const auto& r : routes()) {
    std::string_view tmpl = r.path;
    bool matches = false;
    std::string value;
    if (const auto brace = tmpl.find('{'); brace != std::string_view::npos) {
      const std::string_view prefix = tmpl.substr(0, brace);
      if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
          path.find('/', prefix.size()) == std::string_view::npos) {
        matches = true;
        value = std::string(path.substr(prefix.size()));
      }
    } else {
      matches = path == tmpl;
    }
    if (!matches) continue;
    path_known = true;
    if (r.method == method) {
      param = std::move(value);
      return &r;
    }
  }
  return nullptr;
}

}  // namespace chipgate::server
