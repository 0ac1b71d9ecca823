// A streaming JSON writer for hot paths: it appends compact JSON text to a string without building
// a document tree. Its text is byte for byte what nlohmann::json::dump(-1, ' ', false,
// error_handler_t::replace) writes for the same values in the same order — the server stores and
// hashes a decision's text verbatim, and the CLI prints the same decision, so the two renderings
// must not drift (tests/json_writer_test.cpp compares them value by value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace chipgate {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& null();
  JsonWriter& boolean(bool v);
  JsonWriter& string(std::string_view v);
  JsonWriter& number(double v);
  JsonWriter& integer(long long v);
  JsonWriter& unsigned_integer(unsigned long long v);
  // An already rendered JSON value (e.g. a stored document), written as it is.
  JsonWriter& raw(std::string_view json_text);

  // value(x) picks the writer for x's type: strings, bool, integers, floating point, nullptr,
  // std::optional (null when empty) and vectors of those (arrays).
  template <typename T>
  JsonWriter& value(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      return boolean(v);
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
      return null();
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      return integer(v);
    } else if constexpr (std::is_integral_v<T>) {
      return unsigned_integer(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      return number(static_cast<double>(v));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return string(std::string_view(v));
    } else if constexpr (is_optional<T>::value) {
      return v ? value(*v) : null();
    } else {
      static_assert(is_vector<T>::value, "JsonWriter::value: unsupported type");
      begin_array();
      for (const auto& e : v) value(e);
      return end_array();
    }
  }

  // key(name) then value(v).
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

 private:
  template <typename T>
  struct is_optional : std::false_type {};
  template <typename T>
  struct is_optional<std::optional<T>> : std::true_type {};
  template <typename T>
  struct is_vector : std::false_type {};
  template <typename T, typename A>
  struct is_vector<std::vector<T, A>> : std::true_type {};

  void before_value();
  template <typename Int>
  JsonWriter& decimal(Int v);

  std::string& out_;
  // One flag per open container: does the next element need a comma before it?
  std::vector<bool> needs_comma_;
  bool after_key_ = false;
};

// Appends `text` as a JSON string literal (quotes included), escaped as nlohmann::json escapes it
// with ensure_ascii off; bytes that are not UTF-8 become U+FFFD as its `replace` handler does.
void append_json_string(std::string& out, std::string_view text);
// The same for text the caller knows is valid UTF-8 (checked elsewhere): no check, no fallback.
void append_json_string_utf8(std::string& out, std::string_view valid_utf8);

}  // namespace chipgate
