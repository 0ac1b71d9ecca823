#include "server/http_parser.h"

#include <algorithm>
#include <cstring>

namespace chipgate::server::http {

namespace {

bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_char(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Field values: visible characters, spaces, tabs and obs-text; no other control character.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

// The comma-separated elements of a list-valued field, trimmed, empty ones dropped.
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = value.find(',');
    const auto element = trim(value.substr(0, comma));
    if (!element.empty()) out.push_back(element);
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

enum class Line { kComplete, kMissing, kBareCr };

// The line starting at `pos` (without its LF and an optional CR before it); advances `pos` past it.
Line next_line(std::string_view buffer, std::size_t& pos, std::string_view& line) {
  const auto lf = buffer.find('\n', pos);
  if (lf == std::string_view::npos) return Line::kMissing;
  std::size_t end = lf;
  if (end > pos && buffer[end - 1] == '\r') --end;
  line = buffer.substr(pos, end - pos);
  pos = lf + 1;
  return line.find('\r') == std::string_view::npos ? Line::kComplete : Line::kBareCr;
}

ParseResult error(int status, std::string message) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.http_status = status;
  r.message = std::move(message);
  return r;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Method, target and version of the request line into `head` (an empty result, or the error).
ParseResult parse_request_line(std::string_view line, RequestHead& head) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return error(400, "malformed request line: expected METHOD SP TARGET SP HTTP/1.1");
  const auto method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
  if (!is_token(method)) return error(400, "malformed request line: the method is not a token");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c < 0x7f;
      }))
    return error(400, "malformed request line: the target is empty or holds a space or control character");
  if (version == "HTTP/1.1" || version == "HTTP/1.0") {
    head.minor_version = version.back() - '0';
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' && version[5] <= '9' &&
             version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return error(505, "HTTP version " + std::string(version.substr(5)) + " is not supported (HTTP/1.1 or 1.0)");
  } else {
    return error(400, "malformed request line: the version is not HTTP/1.x");
  }
  head.method = std::string(method);
  head.target = std::string(target);
  return {};
}

// The path and query of the target (origin form "/p?q", absolute form "http://host/p?q", or "*").
ParseResult split_target(RequestHead& head) {
  std::string_view t = head.target;
  if (t == "*") {
    head.path = "*";
    return {};
  }
  if (t.front() != '/') {
    const std::string lowered = lower(t.substr(0, 8));
    const std::size_t scheme = lowered.rfind("http://", 0) == 0 ? 7 : lowered.rfind("https://", 0) == 0 ? 8 : 0;
    if (scheme == 0) return error(400, "the request target must be a path starting with /");
    t.remove_prefix(scheme);
    const auto start = t.find_first_of("/?");
    t = start == std::string_view::npos ? std::string_view("/") : t.substr(start);
  }
  if (t.find('#') != std::string_view::npos) return error(400, "the request target holds a fragment (#)");
  const auto q = t.find('?');
  head.path = percent_decode(t.substr(0, q), false);
  if (head.path.empty() || head.path.front() != '/') head.path.insert(head.path.begin(), '/');
  if (std::any_of(head.path.begin(), head.path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return error(400, "the request path holds a control character");
  if (q == std::string_view::npos) return {};
  std::string_view query = t.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      head.query.emplace_back(percent_decode(pair.substr(0, eq), true),
                              eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// Content-Length: one or more fields, each a list of decimal values; all must agree.
ParseResult read_content_length(RequestHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (name != "content-length") continue;
    const auto elements = list_elements(value);
    if (elements.empty()) return error(400, "Content-Length is empty");
    for (const auto e : elements) {
      if (e.size() > 19 || !std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return error(400, "Content-Length is not a decimal number of at most 19 digits: " + std::string(e));
      std::uint64_t n = 0;
      for (char c : e) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      if (head.content_length && *head.content_length != n)
        return error(400, "two different Content-Length values (" + std::to_string(*head.content_length) + " and " +
                              std::to_string(n) + ")");
      head.content_length = n;
    }
  }
  return {};
}

ParseResult read_transfer_encoding(RequestHead& head) {
  std::vector<std::string> codings;
  for (const auto& [name, value] : head.headers)
    if (name == "transfer-encoding")
      for (const auto e : list_elements(value)) codings.push_back(lower(e));
  if (codings.empty()) return {};
  if (head.minor_version == 0) return error(400, "Transfer-Encoding in an HTTP/1.0 request");
  for (const auto& c : codings)
    if (c != "chunked") return error(501, "transfer coding '" + c + "' is not supported (only chunked)");
  if (codings.size() > 1) return error(400, "Transfer-Encoding names chunked more than once");
  if (head.content_length) return error(400, "both Content-Length and Transfer-Encoding: the body's end is ambiguous");
  head.chunked = true;
  return {};
}

// The fields the server reads: framing, connection, expectations, and those given at most once.
ParseResult interpret_headers(RequestHead& head) {
  if (auto r = read_content_length(head); r.status == ParseStatus::kError) return r;
  if (auto r = read_transfer_encoding(head); r.status == ParseStatus::kError) return r;
  bool close = false, keep_alive = false, host = false, authorization = false, content_type = false;
  for (const auto& [name, value] : head.headers) {
    if (name == "connection") {
      for (const auto e : list_elements(value)) {
        const std::string token = lower(e);
        close = close || token == "close";
        keep_alive = keep_alive || token == "keep-alive";
      }
    } else if (name == "expect") {
      if (lower(value) != "100-continue") return error(417, "Expect: " + value + " is not supported");
      head.expect_continue = head.minor_version == 1;
    } else if (name == "host" || name == "authorization" || name == "content-type") {
      bool& seen = name == "host" ? host : name == "authorization" ? authorization : content_type;
      if (seen) return error(400, "the " + name + " header is given twice");
      seen = true;
      if (name == "authorization") head.authorization = value;
      if (name == "content-type") head.content_type = value;
    }
  }
  head.keep_alive = head.minor_version == 1 ? !close : keep_alive && !close;
  return {};
}

}  // namespace

std::string_view RequestHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

ParseResult parse_head(std::string_view buffer, const ParseLimits& limits, RequestHead& head) {
  head = RequestHead();
  std::size_t pos = 0;
  // Empty lines before the request line are ignored (RFC 9112, section 2.2).
  while (pos < buffer.size() && (buffer[pos] == '\n' || buffer[pos] == '\r')) {
    if (buffer[pos] == '\r' && pos + 1 < buffer.size() && buffer[pos + 1] != '\n')
      return error(400, "a bare CR before the request line");
    if (buffer[pos] == '\r' && pos + 1 == buffer.size()) break;
    pos += buffer[pos] == '\r' ? 2 : 1;
    if (pos > limits.max_head_bytes) return error(400, "too many empty lines before the request line");
  }
  std::string_view line;
  bool request_line = true;
  std::size_t fields = 0;
  while (true) {
    const Line got = next_line(buffer, pos, line);
    if (got == Line::kMissing || pos > limits.max_head_bytes) {
      if (got == Line::kMissing && buffer.size() <= limits.max_head_bytes) return {};  // read more
      const std::string limit = std::to_string(limits.max_head_bytes);
      return request_line ? error(414, "the request line is longer than " + limit + " bytes")
                          : error(431, "the request head is larger than " + limit + " bytes");
    }
    if (got == Line::kBareCr) return error(400, "a bare CR inside a line of the request head");
    if (request_line) {
      if (auto r = parse_request_line(line, head); r.status == ParseStatus::kError) return r;
      request_line = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t')
      return error(400, "a folded header line (obsolete line folding is not accepted)");
    const auto colon = line.find(':');
    const auto name = line.substr(0, colon);
    if (colon == std::string_view::npos || !is_token(name))
      return error(400, "malformed header line " + std::to_string(fields + 1) +
                            ": expected NAME: VALUE (no space before the colon)");
    const auto value = trim(line.substr(colon + 1));
    if (!is_field_value(value)) return error(400, "a control character in the " + std::string(name) + " header");
    if (++fields > limits.max_headers)
      return error(431, "more than " + std::to_string(limits.max_headers) + " header fields");
    head.headers.emplace_back(lower(name), std::string(value));
  }
  if (auto r = split_target(head); r.status == ParseStatus::kError) return r;
  if (auto r = interpret_headers(head); r.status == ParseStatus::kError) return r;
  ParseResult done;
  done.status = ParseStatus::kComplete;
  done.consumed = pos;
  return done;
}

ChunkedDecoder::Status ChunkedDecoder::fail(std::string message) {
  state_ = State::kError;
  error_ = std::move(message);
  return Status::kError;
}

ChunkedDecoder::Status ChunkedDecoder::size_line_done() {
  std::string_view l = line_;
  std::size_t digits = 0;
  std::uint64_t size = 0;
  while (digits < l.size() && hex_value(l[digits]) >= 0) {
    if (digits == 16) return fail("chunk size longer than 16 hex digits");
    size = size * 16 + static_cast<std::uint64_t>(hex_value(l[digits]));
    ++digits;
  }
  if (digits == 0) return fail("chunk size line does not start with a hex number");
  const auto rest = trim(l.substr(digits));
  if (!rest.empty() && rest.front() != ';') return fail("chunk size followed by something other than an extension");
  if (!is_field_value(rest)) return fail("a control character in a chunk extension");
  if (size > UINT64_MAX - decoded_) return fail("chunked body larger than 2^64 bytes");
  line_.clear();
  chunk_left_ = size;
  state_ = size == 0 ? State::kTrailer : State::kData;
  return Status::kNeedMore;
}

ChunkedDecoder::Status ChunkedDecoder::feed(std::string_view input, std::size_t& consumed, std::string& data,
                                            bool discard) {
  std::size_t pos = 0;
  auto done = [&](Status s) {
    consumed = pos;
    return s;
  };
  while (pos < input.size()) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailer: {
        const auto lf = input.find('\n', pos);
        const std::size_t end = lf == std::string_view::npos ? input.size() : lf;
        line_.append(input.substr(pos, end - pos));
        const std::size_t limit = state_ == State::kSizeLine ? limits_.max_chunk_line : limits_.max_trailer_bytes;
        if (state_ == State::kTrailer) trailer_bytes_ += end - pos + (lf == std::string_view::npos ? 0 : 1);
        if ((state_ == State::kSizeLine ? line_.size() : trailer_bytes_) > limit)
          return done(fail(state_ == State::kSizeLine ? "chunk size line too long" : "chunk trailer too large"));
        pos = end;
        if (lf == std::string_view::npos) break;
        ++pos;
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (line_.find('\r') != std::string::npos) return done(fail("a bare CR in the chunked body's framing"));
        if (state_ == State::kSizeLine) {
          if (size_line_done() == Status::kError) return done(Status::kError);
        } else if (line_.empty()) {
          state_ = State::kDone;
          return done(Status::kDone);
        } else {
          line_.clear();  // a trailer field: read and ignored
        }
        break;
      }
      case State::kData: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, input.size() - pos));
        if (!discard) data.append(input.substr(pos, n));
        decoded_ += n;
        chunk_left_ -= n;
        pos += n;
        if (chunk_left_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd: {
        const char c = input[pos++];
        if (c == '\r' && line_.empty()) {
          line_ = "\r";
        } else if (c == '\n') {
          line_.clear();
          state_ = State::kSizeLine;
        } else {
          return done(fail("chunk data not followed by CRLF"));
        }
        break;
      }
      case State::kDone:
        return done(Status::kDone);
      case State::kError:
        return done(Status::kError);
    }
  }
  return done(state_ == State::kDone ? Status::kDone : state_ == State::kError ? Status::kError : Status::kNeedMore);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace chipgate::server::http
