// The HTTP/1.1 framing of the server (server/http_parser.h): request heads, the fields that decide
// where a request ends, and chunked bodies. Each expected value is worked out from RFC 9112.
#include "server/http_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace chipgate::server::http {
namespace {

ParseResult parse(const std::string& text, RequestHead& head, ParseLimits limits = {}) {
  return parse_head(text, limits, head);
}

TEST(HttpParser, ReadsAPostHeadAndStopsAtItsEnd) {
  const std::string head_text =
      "POST /v1/decide?date=2026-01-01&scenario=a%20b+c HTTP/1.1\r\nHost: x\r\n"
      "Authorization:  Bearer cg_1 \r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n";
  RequestHead h;
  const auto r = parse(head_text + "{}", h);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.message;
  EXPECT_EQ(r.consumed, head_text.size());  // the body is not part of the head
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.path, "/v1/decide");
  ASSERT_EQ(h.query.size(), 2u);
  EXPECT_EQ(h.query[0], (std::pair<std::string, std::string>{"date", "2026-01-01"}));
  EXPECT_EQ(h.query[1], (std::pair<std::string, std::string>{"scenario", "a b c"}));  // %20 and + are spaces
  EXPECT_EQ(h.authorization, "Bearer cg_1");  // surrounding white space is not part of a field value
  EXPECT_EQ(h.content_type, "application/json");
  ASSERT_TRUE(h.content_length);
  EXPECT_EQ(*h.content_length, 2u);
  EXPECT_TRUE(h.keep_alive);  // HTTP/1.1 default
  EXPECT_FALSE(h.chunked);
}

TEST(HttpParser, AnUnfinishedHeadAsksForMoreUntilItsLimit) {
  RequestHead h;
  EXPECT_EQ(parse("GET /healthz HTTP/1.1\r\nHost: x\r\n", h).status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse("GET /heal", h).status, ParseStatus::kIncomplete);
  ParseLimits small;
  small.max_head_bytes = 64;
  // A request line that does not end within the limit: 414; a head that does not: 431.
  auto line = parse("GET /" + std::string(100, 'a'), h, small);
  EXPECT_EQ(line.status, ParseStatus::kError);
  EXPECT_EQ(line.http_status, 414);
  auto head = parse("GET / HTTP/1.1\r\nX-A: " + std::string(100, 'a'), h, small);
  EXPECT_EQ(head.http_status, 431);
  small.max_head_bytes = 1024;
  small.max_headers = 2;
  EXPECT_EQ(parse("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", h, small).http_status, 431);
}

TEST(HttpParser, TwoDifferentContentLengthsAre400AndEqualOnesOneLength) {
  // RFC 9112 6.3: differing Content-Length values make the framing invalid (a smuggling vector).
  RequestHead h;
  auto r = parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", h);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.message.find("two different Content-Length values (5 and 6)"), std::string::npos) << r.message;
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 5, 7\r\n\r\n", h).http_status, 400);
  // The same value repeated is one length (RFC 9112 6.3 allows accepting it).
  r = parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", h);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.message;
  EXPECT_EQ(*h.content_length, 5u);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", h).http_status, 400);
}

TEST(HttpParser, TransferEncodingIsChunkedAloneOrRefused) {
  RequestHead h;
  auto r = parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", h);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.message;
  EXPECT_TRUE(h.chunked);
  // Both framings: which one ends the body is ambiguous (RFC 9112 6.3 point 3).
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", h).http_status, 400);
  // A coding the server does not implement: 501 (RFC 9112 6.1).
  r = parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h);
  EXPECT_EQ(r.http_status, 501);
  EXPECT_NE(r.message.find("'gzip'"), std::string::npos) << r.message;
  // HTTP/1.0 has no transfer codings: the framing is faulty.
  EXPECT_EQ(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", h).http_status, 400);
}

TEST(HttpParser, MalformedLinesAre400) {
  RequestHead h;
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", h).http_status, 400);            // space before colon
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", h).http_status, 400);  // obs-fold
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n", h).http_status, 400);         // control character
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", h).http_status, 400);           // bare CR
  EXPECT_EQ(parse("GET /\r\n\r\n", h).http_status, 400);                                 // HTTP/0.9
  EXPECT_EQ(parse("GET  / HTTP/1.1\r\n\r\n", h).http_status, 400);                       // two spaces
  EXPECT_EQ(parse("GET / HTTP/2.0\r\n\r\n", h).http_status, 505);
  EXPECT_EQ(parse("GET nowhere HTTP/1.1\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("GET /a#frag HTTP/1.1\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("GET /a%00b HTTP/1.1\r\n\r\n", h).http_status, 400);  // a NUL once decoded
  // Fields read once: a second Authorization, Content-Type or Host is ambiguous.
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nContent-Type: a/b\r\ncontent-type: c/d\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", h).http_status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nExpect: something\r\n\r\n", h).http_status, 417);
}

TEST(HttpParser, LenientWhereTheRfcAllows) {
  RequestHead h;
  // Empty lines before the request line are skipped; bare LF ends lines (RFC 9112 2.2).
  auto r = parse("\r\n\nGET /v1/rules HTTP/1.0\nConnection: keep-alive\n\n", h);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.message;
  EXPECT_EQ(h.path, "/v1/rules");
  EXPECT_EQ(h.minor_version, 0);
  EXPECT_TRUE(h.keep_alive);  // HTTP/1.0 keeps the connection only when asked
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.keep_alive);
  // The absolute form names the path after the authority.
  ASSERT_EQ(parse("GET http://example.com:8080/healthz?x=1 HTTP/1.1\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.path, "/healthz");
  EXPECT_EQ(h.query.size(), 1u);
  ASSERT_EQ(parse("POST /v1/decide HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_TRUE(h.expect_continue);
  // A percent-encoded path is decoded; an invalid escape is kept as it is.
  ASSERT_EQ(parse("GET /v1/decisions/1%20OR%201=1%zz HTTP/1.1\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.path, "/v1/decisions/1 OR 1=1%zz");
}

TEST(HttpParser, PipelinedRequestsAreReadOneHeadAtATime) {
  const std::string first = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestHead h;
  auto r = parse(first + second, h);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_EQ(h.path, "/healthz");
  r = parse((first + second).substr(r.consumed), h);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(h.path, "/readyz");
}

TEST(ChunkedDecoder, DecodesChunksFedByteByByte) {
  // "hello" (5) + " world" (6), an extension, a trailer field; what follows the body stays unread.
  const std::string body = "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
  ChunkedDecoder d;
  std::string data;
  ChunkedDecoder::Status s = ChunkedDecoder::Status::kNeedMore;
  const std::string input = body + "GET /next";
  std::size_t at = 0;
  while (at < input.size() && s == ChunkedDecoder::Status::kNeedMore) {
    std::size_t used = 0;
    s = d.feed(std::string_view(input).substr(at, 1), used, data, false);
    at += used;
  }
  EXPECT_EQ(s, ChunkedDecoder::Status::kDone);
  EXPECT_EQ(data, "hello world");
  EXPECT_EQ(d.decoded(), 11u);
  EXPECT_EQ(at, body.size());
}

TEST(ChunkedDecoder, DiscardCountsWithoutKeepingAndBadFramingIsAnError) {
  ChunkedDecoder d;
  std::string data;
  std::size_t used = 0;
  EXPECT_EQ(d.feed("a\r\n0123456789\r\n0\r\n\r\n", used, data, true), ChunkedDecoder::Status::kDone);
  EXPECT_TRUE(data.empty());
  EXPECT_EQ(d.decoded(), 10u);  // 0xa
  for (const std::string bad : {"zz\r\n", "5\r\nhelloX\r\n", "5 x\r\n", "11111111111111111\r\n"}) {
    ChunkedDecoder e;
    EXPECT_EQ(e.feed(bad, used, data, false), ChunkedDecoder::Status::kError) << bad;
    EXPECT_FALSE(e.error().empty());
  }
  ParseLimits tight;
  tight.max_chunk_line = 8;
  ChunkedDecoder long_line(tight);
  EXPECT_EQ(long_line.feed("5;" + std::string(20, 'x'), used, data, false), ChunkedDecoder::Status::kError);
}

}  // namespace
}  // namespace chipgate::server::http
