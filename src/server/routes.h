// The HTTP API's routes: the one table the server registers, the access check uses and the
// OpenAPI sync test compares with openapi/openapi.json.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chipgate::server {

// Who may call a route. Public routes need no key; the others need a key whose role is at least this.
enum class Access { kPublic, kViewer, kAnalyst, kAdmin };
std::string_view access_name(Access access);  // "public", "viewer", "analyst", "admin"

struct Route {
  std::string method;  // "GET", "POST", "DELETE"
  std::string path;    // OpenAPI path template: "/v1/decisions/{id}"
  Access access;
};

// Every route the server answers, in the order they are registered.
const std::vector<Route>& routes();

// The route a request path and method match; `param` receives the {id} segment. Returns nullptr
// when nothing matches; `path_known` tells whether the path exists with another method (405).
const Route* match_route(std::string_view method, std::string_view path, std::string& param, bool& path_known);

}  // namespace chipgate::server
