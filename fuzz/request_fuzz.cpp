// libFuzzer target: HTTP request bodies -> validated requests (server/api.h). Every input must end
// in a request or an ApiError with a 4xx status and a message; never a crash, hang or 5xx.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/api.h"
#include "server/routes.h"

using namespace chipgate::server;

namespace {

void check(bool ok, const ApiError& e) {
  if (ok) return;
  if (e.status < 400 || e.status >= 500 || e.message.empty() || e.code.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_batch = 64;
  ApiError e;
  check(parse_decide_request(body, limits, e).is_ok(), e);
  e = {};
  check(parse_classify_request(body, limits, e).is_ok(), e);
  e = {};
  check(parse_screen_request(body, limits, e).is_ok(), e);
  e = {};
  check(parse_list_import_request(body, limits, e).is_ok(), e);
  e = {};
  check(parse_list_upload_request(body, limits, e).is_ok(), e);
  e = {};
  check(parse_ownership_request(body, limits, e).is_ok(), e);
  (void)e.to_json().dump();
  (void)parse_decision_id(body.substr(0, 32));
  std::string param;
  bool known = false;
  (void)match_route("GET", body.substr(0, 64), param, known);
  return 0;
}
