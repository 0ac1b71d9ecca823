// Request parsing and validation (server/api.h): every client mistake is a 4xx with the field named.
#include "server/api.h"

#include <gtest/gtest.h>

#include "server/routes.h"

namespace chipgate::server {
namespace {

TEST(ApiParse, DecideSingleLineReadsTheOrderBookFields) {
  ApiError e;
  auto r =
      parse_decide_request(R"({"order_id":"SO-1","product_id":"nvidia-h100-sxm5-80gb","quantity":8,"value_usd":240000,)"
                           R"("ship_to":"cn","end_uses":["supercomputer"]})",
                           Limits{}, e);
  ASSERT_TRUE(r) << r.message();
  EXPECT_FALSE(r->batch);
  ASSERT_EQ(r->lines.size(), 1u);
  EXPECT_EQ(r->lines[0].order_id, "SO-1");
  EXPECT_EQ(r->lines[0].ship_to, "CN");  // country codes are upper-cased like the CSV reader does
  EXPECT_EQ(r->lines[0].quantity, 8);
  EXPECT_EQ(r->lines[0].line, "1");  // no "line" given: the element's position
  ASSERT_EQ(r->lines[0].end_uses.size(), 1u);
  EXPECT_EQ(r->lines[0].end_uses[0], "supercomputer");
}

TEST(ApiParse, MalformedJsonIs400InvalidJson) {
  ApiError e;
  auto r = parse_decide_request(R"({"order_id": )", Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NE(e.message.find("malformed JSON"), std::string::npos) << e.message;
}

TEST(ApiParse, MalformedJsonMessageStaysValidUtf8) {
  // Found by request_fuzz: the body is valid UTF-8 (U+078D written as DE 8D) but malformed JSON
  // right after it; the parser's "last read" quote ended between DE and 8D, and dumping the error
  // as JSON threw. The message must be valid UTF-8 so it can always be sent back.
  const std::string body = "{\"rates\":{\xde\x8dnt8\":10}}";
  ApiError e;
  auto r = parse_classify_request(body, Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NO_THROW((void)e.to_json().dump());
}

TEST(ApiParse, DuplicateKeysAre400NamingTheKeyAndWhereItIs) {
  // nlohmann's parser keeps the last value: {"ship_to":"DE","ship_to":"CN"} would be read as CN.
  ApiError e;
  auto r = parse_decide_request(R"({"order_id":"SO-1","product_id":"p","ship_to":"DE","ship_to":"CN"})", Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NE(e.message.find("duplicate key 'ship_to'"), std::string::npos) << e.message;
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "ship_to");
  // In a batch, after a complete first element: the element's index.
  e = {};
  EXPECT_FALSE(
      parse_decide_request(R"([{"order_id":"a","x":[1,2,{"y":1}]},{"order_id":"b","order_id":"c"}])", Limits{}, e));
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "[1].order_id");
  // Nested in an object.
  e = {};
  EXPECT_FALSE(parse_classify_request(R"({"kind":"gpu","rates":{"fp8":1,"fp16":2,"fp8":3}})", Limits{}, e));
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "rates.fp8");
  EXPECT_NE(e.message.find("at rates.fp8"), std::string::npos) << e.message;
  // The same key in different objects is no duplicate.
  e = {};
  EXPECT_TRUE(parse_json_body(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":3},{"k":4}]})", Limits{}, e)) << e.message;
}

TEST(ApiParse, EmptyBodyAndScalarsAreRefused) {
  ApiError e;
  EXPECT_FALSE(parse_decide_request("  ", Limits{}, e));
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_FALSE(parse_decide_request("42", Limits{}, e));
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("not number"), std::string::npos) << e.message;
  EXPECT_FALSE(parse_decide_request("[]", Limits{}, e));
  EXPECT_NE(e.message.find("empty"), std::string::npos) << e.message;
}

TEST(ApiParse, UnknownFieldAndWrongTypeAreNamed) {
  ApiError e;
  auto r = parse_decide_request(R"({"order_id":"1","product_id":"p","ship_to":"DE","colour":"red"})", Limits{}, e);
  ASSERT_FALSE(r);
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "colour");
  EXPECT_EQ(e.fields[0].problem, "unknown field");

  r = parse_decide_request(R"({"order_id":"1","product_id":"p","ship_to":"DE","quantity":"eight"})", Limits{}, e);
  ASSERT_FALSE(r);
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "quantity");
  EXPECT_NE(e.fields[0].problem.find("not a number"), std::string::npos) << e.fields[0].problem;

  r = parse_decide_request(R"({"order_id":"1","product_id":"p","ship_to":{"x":1}})", Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.fields[0].field, "ship_to");
  EXPECT_NE(e.fields[0].problem.find("wrong type"), std::string::npos);
}

TEST(ApiParse, BatchErrorsCarryTheElementIndex) {
  ApiError e;
  // Element 0 is fine, element 1 lacks ship_to, element 2 is not an object: two problems, paths [1] and [2].
  auto r = parse_decide_request(
      R"([{"order_id":"1","product_id":"p","ship_to":"DE"},{"order_id":"2","product_id":"p"},7])", Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.status, 400);
  ASSERT_EQ(e.fields.size(), 2u);
  EXPECT_EQ(e.fields[0].field, "[1].ship_to");
  EXPECT_EQ(e.fields[0].problem, "required");
  EXPECT_EQ(e.fields[1].field, "[2]");
}

TEST(ApiParse, LimitsGive413) {
  Limits l;
  l.max_body_bytes = 64;
  ApiError e;
  const std::string big = R"({"order_id":")" + std::string(100, 'x') + R"(","product_id":"p","ship_to":"DE"})";
  EXPECT_FALSE(parse_decide_request(big, l, e));
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(e.code, "body_too_large");

  l = Limits{};
  l.max_batch = 2;
  EXPECT_FALSE(parse_screen_request(R"([{"name":"a"},{"name":"b"},{"name":"c"}])", l, e));
  EXPECT_EQ(e.status, 413);
  EXPECT_EQ(e.code, "batch_too_large");
}

TEST(ApiParse, DeepNestingIsRefusedBeforeParsing) {
  Limits l;
  l.max_depth = 8;
  ApiError e;
  EXPECT_FALSE(parse_classify_request(std::string(9, '[') + std::string(9, ']'), l, e));
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_NE(e.message.find("nested deeper than 8"), std::string::npos);
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_screen_request(R"({"name":"[[[[[[[[[[[[[["})", l, e)) << e.message;
}

TEST(ApiParse, InvalidUtf8IsRefused) {
  ApiError e;
  EXPECT_FALSE(parse_screen_request("{\"name\":\"\xff\xfe\"}", Limits{}, e));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_json");
}

TEST(ApiParse, ClassifyItemFieldErrorsAreNamed) {
  ApiError e;
  auto r = parse_classify_request(R"({"kind":"gpu","rates":{"fp7":1}})", Limits{}, e);
  ASSERT_FALSE(r);
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "rates.fp7");
  EXPECT_NE(e.fields[0].problem.find("unknown precision"), std::string::npos);

  r = parse_classify_request(R"([{"kind":"gpu","die_area_mm2":"big"}])", Limits{}, e);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.fields[0].field, "[0].die_area_mm2");

  r = parse_classify_request(R"({"kind":"gpu","datacenter":true,"rates":{"fp8":1979},"die_area_mm2":814})", Limits{},
                             e);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->items[0].id, "item");  // like the CLI's --json without an id
}

TEST(ApiParse, ScreenPartyFields) {
  ApiError e;
  auto r = parse_screen_request(R"([{"id":7,"name":"Huawei","country":"CN"},{"name":"x","address":"y"}])", Limits{}, e);
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->parties.size(), 2u);
  EXPECT_EQ(r->parties[0].id, "7");
  EXPECT_EQ(r->parties[1].id, "2");  // no id: its 1-based position
  EXPECT_FALSE(parse_screen_request(R"({"name":""})", Limits{}, e));
  EXPECT_EQ(e.fields[0].field, "name");
  EXPECT_FALSE(parse_screen_request(R"({"name":"a","nmae":"b"})", Limits{}, e));
  EXPECT_EQ(e.fields[0].field, "nmae");
  EXPECT_FALSE(parse_screen_request(R"({"name":["a"]})", Limits{}, e));
  EXPECT_EQ(e.fields[0].problem, "must be a string, not array");
}

TEST(ApiParse, ListImportNeedsPaths) {
  ApiError e;
  EXPECT_FALSE(parse_list_import_request("{}", Limits{}, e));
  EXPECT_EQ(e.fields[0].field, "paths");
  EXPECT_FALSE(parse_list_import_request(R"({"paths":[""]})", Limits{}, e));
  EXPECT_EQ(e.fields[0].field, "paths[0]");
  auto r = parse_list_import_request(R"({"paths":["a.json","dir"]})", Limits{}, e);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->paths.size(), 2u);
}

TEST(ApiParse, DecisionIds) {
  EXPECT_EQ(parse_decision_id("42").value(), 42);
  EXPECT_FALSE(parse_decision_id("0"));
  EXPECT_FALSE(parse_decision_id("-3"));
  EXPECT_FALSE(parse_decision_id("12abc"));
  EXPECT_FALSE(parse_decision_id("1;DROP TABLE decisions"));
  EXPECT_FALSE(parse_decision_id(""));
}

TEST(Routes, MatchTemplatesAndMethods) {
  std::string param;
  bool known = false;
  const Route* r = match_route("GET", "/v1/decisions/17", param, known);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->path, "/v1/decisions/{id}");
  EXPECT_EQ(param, "17");
  EXPECT_EQ(match_route("GET", "/v1/decisions/17/x", param, known), nullptr);
  EXPECT_EQ(match_route("DELETE", "/v1/decide", param, known), nullptr);
  EXPECT_TRUE(known);  // the path exists: 405, not 404
  EXPECT_EQ(match_route("GET", "/v2/nothing", param, known), nullptr);
  EXPECT_FALSE(known);
  r = match_route("POST", "/v1/lists", param, known);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->access, Access::kAdmin);
}

}  // namespace
}  // namespace chipgate::server
