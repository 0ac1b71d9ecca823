// libFuzzer target: the HTTP/1.1 framing of the server (server/http_parser.h), the first parser to
// see a client's bytes. Every input must end in "need more", a head, or an error with a 4xx/5xx
// status and a message; never a crash or a hang. Fed whole and in two pieces, the answer must not
// depend on where the bytes were cut (the event loop parses whatever has arrived).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http_parser.h"

using namespace chipgate::server::http;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check_head(std::string_view input) {
  ParseLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_headers = 32;
  RequestHead head;
  const ParseResult whole = parse_head(input, limits, head);
  if (whole.status == ParseStatus::kError) {
    const int s = whole.http_status;
    require((s == 400 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505) && !whole.message.empty());
    return;
  }
  if (whole.status == ParseStatus::kIncomplete) {
    require(input.size() <= limits.max_head_bytes);
    return;
  }
  require(whole.consumed > 0 && whole.consumed <= input.size() && whole.consumed <= limits.max_head_bytes);
  require(!head.method.empty() && !head.path.empty() && (head.path[0] == '/' || head.path == "*"));
  require(!(head.chunked && head.content_length));
  // Any prefix that stops before the head's end is incomplete (or already an error), never a head.
  RequestHead partial;
  const ParseResult cut = parse_head(input.substr(0, whole.consumed - 1), limits, partial);
  require(cut.status != ParseStatus::kComplete);
}

void check_chunked(std::string_view input) {
  if (input.empty()) return;
  const std::size_t split = static_cast<unsigned char>(input[0]) % input.size();
  const std::string_view body = input.substr(1);
  ChunkedDecoder one;
  std::string data_one;
  std::size_t used_one = 0;
  const auto s1 = one.feed(body, used_one, data_one, false);
  require(used_one <= body.size() && data_one.size() == one.decoded());
  ChunkedDecoder two;
  std::string data_two;
  std::size_t used_a = 0, used_b = 0;
  const std::size_t at = split < body.size() ? split : body.size();
  auto s2 = two.feed(body.substr(0, at), used_a, data_two, false);
  if (s2 == ChunkedDecoder::Status::kNeedMore) s2 = two.feed(body.substr(used_a), used_b, data_two, false);
  require(s1 == s2);
  if (s1 != ChunkedDecoder::Status::kError) require(data_one == data_two && used_one == used_a + used_b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_head(input);
  check_chunked(input);
  (void)percent_decode(input.substr(0, 256), true);
  return 0;
}
