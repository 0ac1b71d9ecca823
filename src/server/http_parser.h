// HTTP/1.1 request framing (RFC 9112) for the server's event loop: the request head (request line
// and header fields) and chunked bodies, parsed from bytes as they arrive. No I/O, no allocation
// beyond the parsed fields; every input ends in "need more bytes", a request, or an error with the
// status to answer. This is the parser of untrusted bytes off the socket: fuzz/http_parser_fuzz.cpp
// drives it.
//
// Strict where a lenient reading would let two parsers disagree about where a request ends (request
// smuggling): two different Content-Length values, Content-Length with Transfer-Encoding, a
// transfer coding other than "chunked", folded header lines, a space before the colon, control
// characters, a header that must appear once given twice (Host, Authorization, Content-Type).
// Lenient where RFC 9112 allows it and clients differ: bare LF line ends, empty lines before the
// request line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chipgate::server::http {

struct ParseLimits {
  std::size_t max_head_bytes = 16 * 1024;  // request line + header fields (431 beyond; 414 for the line alone)
  std::size_t max_headers = 100;           // header fields (431 beyond)
  std::size_t max_chunk_line = 1024;       // a chunk-size line with its extensions
  std::size_t max_trailer_bytes = 16 * 1024;
};

struct RequestHead {
  std::string method;  // as sent ("GET", "POST", ...)
  std::string target;  // the request-target as sent
  std::string path;    // percent-decoded path of the target ("/v1/decisions/7")
  // Query parameters in order, percent-decoded ('+' is a space), duplicates kept.
  std::vector<std::pair<std::string, std::string>> query;
  int minor_version = 1;  // HTTP/1.<minor>
  // Every header field in order; names lower-cased, values without surrounding white space.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;  // Transfer-Encoding: chunked
  bool keep_alive = true;
  bool expect_continue = false;  // Expect: 100-continue
  std::string authorization;     // "" when absent
  std::string content_type;      // "" when absent

  // The value of a header (name lower-case), "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

enum class ParseStatus { kIncomplete, kComplete, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  std::size_t consumed = 0;  // kComplete: bytes of the head, its final empty line included
  int http_status = 0;       // kError: the status to answer (400, 414, 417, 431, 501, 505)
  std::string message;       // kError: what is wrong, for the error body
};

// Parses the request head at the start of `buffer`. kIncomplete: the head has not ended yet and is
// within the limits (read more and call again with the whole buffer).
ParseResult parse_head(std::string_view buffer, const ParseLimits& limits, RequestHead& head);

// Percent-decodes %XX sequences (and '+' as a space when `plus_is_space`); an invalid sequence is
// kept as it is.
std::string percent_decode(std::string_view text, bool plus_is_space);

// Decodes a chunked body (RFC 9112, section 7.1) fed in pieces. Chunk extensions and trailer fields
// are read and ignored.
class ChunkedDecoder {
 public:
  enum class Status { kNeedMore, kDone, kError };
  explicit ChunkedDecoder(ParseLimits limits = {}) : limits_(limits) {}

  // Consumes from `input` (sets `consumed`; bytes after the body's end are left unconsumed) and
  // appends the decoded data to `data`, unless `discard` is set (a body over its limit is counted,
  // not kept). decoded() counts every data byte either way.
  Status feed(std::string_view input, std::size_t& consumed, std::string& data, bool discard);
  std::uint64_t decoded() const { return decoded_; }
  const std::string& error() const { return error_; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailer, kDone, kError };
  Status fail(std::string message);
  Status size_line_done();

  ParseLimits limits_;
  State state_ = State::kSizeLine;
  std::string line_;  // the line being read (size line or trailer field)
  std::uint64_t chunk_left_ = 0;
  std::uint64_t decoded_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::string error_;
};

// The reason phrase of a status code ("OK", "Bad Request", ...; "Unknown" for others).
std::string_view reason_phrase(int status);

}  // namespace chipgate::server::http
