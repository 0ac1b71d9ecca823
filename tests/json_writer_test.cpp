// JsonWriter must write exactly what nlohmann's compact dump (error handler "replace") writes for
// the same values: decisions rendered by the writer are stored and hashed verbatim by the server and
// printed by the CLI, and tools compare them with documents rendered by nlohmann elsewhere. The
// reference here is nlohmann's own serializer, an independent implementation.
#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace chipgate {
namespace {

std::string reference(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string written_string(std::string_view s) {
  std::string out;
  JsonWriter(out).string(s);
  return out;
}

std::string written_number(double v) {
  std::string out;
  JsonWriter(out).number(v);
  return out;
}

TEST(JsonWriter, StringsAreEscapedAsNlohmannEscapesThem) {
  const std::vector<std::string> cases = {
      "",
      "plain ASCII",
      "quote \" and backslash \\ and slash /",
      "\b\f\n\r\t",
      std::string("nul \0 inside", 12),
      "\x01\x1f\x7f",  // other control characters are \u00XX in lower-case hex; DEL is not escaped
      "华为技术有限公司",
      "Zürich — “quoted” 𝄞",
      "\xff\xfe broken",        // not UTF-8: replaced with U+FFFD
      "ok \xe4\xb8 truncated",  // a cut multi-byte sequence
      "\xc0\xaf overlong",      // an overlong '/'
      "\xed\xa0\x80 surrogate",
      std::string(100, '\x01') + "a run of control characters \"six bytes each\"" + std::string(50, '\x1f'),
      std::string(40, '"') + std::string(40, '\\'),
  };
  for (const auto& s : cases) EXPECT_EQ(written_string(s), reference(s)) << "input: " << s;
}

TEST(JsonWriter, NumbersAreFormattedAsNlohmannFormatsThem) {
  for (double v : {0.0, -0.0, 1.0, 4800.0, 5.92, 0.1, 1e-7, 123456789012345678.0, 1e21, 3.0e300, -2.5,
                   4992.000000000001, std::numeric_limits<double>::infinity(), std::nan("")})
    EXPECT_EQ(written_number(v), reference(v)) << "value: " << v;
  std::string out;
  JsonWriter w(out);
  w.begin_array()
      .value(0)
      .value(-42)
      .value(std::numeric_limits<long long>::min())
      .value(std::size_t{18446744073709551615ULL})
      .end_array();
  EXPECT_EQ(out, "[0,-42,-9223372036854775808,18446744073709551615]");
}

TEST(JsonWriter, NestedDocumentMatchesTheTreeDump) {
  // The same document built as a tree (insertion order kept) and written by the writer.
  nlohmann::ordered_json tree = {{"order_id", "PO-1"},
                                 {"license_required", nullptr},
                                 {"ok", true},
                                 {"eccn", std::vector<std::string>{"3A090.a", "4A090.a"}},
                                 {"empty", std::vector<std::string>{}},
                                 {"score", 0.93},
                                 {"parties", nlohmann::ordered_json::array()},
                                 {"trace", {{{"step", "rules"}, {"hits", 2U}}, {{"step", "conclusion"}}}}};
  tree["parties"].push_back(nlohmann::ordered_json::object());
  std::string out;
  JsonWriter w(out);
  const std::optional<bool> unknown;
  w.begin_object()
      .field("order_id", "PO-1")
      .field("license_required", unknown)
      .field("ok", true)
      .field("eccn", std::vector<std::string>{"3A090.a", "4A090.a"})
      .field("empty", std::vector<std::string>{})
      .field("score", 0.93);
  w.key("parties").begin_array().begin_object().end_object().end_array();
  w.key("trace").begin_array();
  w.begin_object().field("step", "rules").field("hits", std::size_t{2}).end_object();
  w.begin_object().field("step", "conclusion").end_object();
  w.end_array().end_object();
  EXPECT_EQ(out, reference(tree));
}

TEST(JsonWriter, RawValuesAreInsertedAsGiven) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().raw(R"({"a":1})").value("b").raw("null").end_array();
  EXPECT_EQ(out, R"([{"a":1},"b",null])");
}

}  // namespace
}  // namespace chipgate
