#include "core/json_writer.h"

#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/json_util.h"

namespace chipgate {

namespace {

// nlohmann's rendering of a lone value: the reference for the cases this file does not write
// itself (floating point, and strings that are not valid UTF-8).
std::string nlohmann_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void append_json_string_utf8(std::string& out, std::string_view text) {
  // Per byte: its class (0 as it is, 1 a backslash and a letter, 2 \u00XX) and the byte written after
  // the backslash (the byte itself for class 0). JSON documents embedded in the audit record's hashed
  // form have a quote every few bytes, so the loop is branch-free for classes 0 and 1: it stores two
  // bytes and advances by one or two (the buffer keeps one byte of slack for the second store).
  struct Tables {
    std::array<unsigned char, 256> cls{}, letter{};
  };
  static constexpr Tables kT = [] {
    Tables t;
    for (int c = 0; c < 256; ++c) t.letter[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c);
    for (int c = 0; c < 0x20; ++c) t.cls[static_cast<std::size_t>(c)] = 2;
    const std::pair<unsigned char, char> named[] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                                    {'\n', 'n'}, {'\r', 'r'},  {'\t', 't'}};
    for (const auto& [c, letter] : named) {
      t.cls[c] = 1;
      t.letter[c] = static_cast<unsigned char>(letter);
    }
    return t;
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const std::size_t start = out.size();
  std::size_t capacity = 2 * n + 3;  // quotes, two bytes per input byte, the slack byte
  out.resize(start + capacity);
  char* base = out.data() + start;
  char* o = base;
  *o++ = '"';
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = in[i];
    const unsigned cls = kT.cls[c];
    if (cls == 2) [[unlikely]] {  // other control characters: \u00XX, lower-case hex as nlohmann writes them
      const auto used = static_cast<std::size_t>(o - base);
      const std::size_t needed = used + 6 + 2 * (n - i - 1) + 2;
      if (needed > capacity) {
        capacity = needed;
        out.resize(start + capacity);
        base = out.data() + start;
        o = base + used;
      }
      std::memcpy(o, "\\u00", 4);
      o[4] = kHex[c >> 4];
      o[5] = kHex[c & 0xF];
      o += 6;
      continue;
    }
    o[0] = cls ? '\\' : static_cast<char>(c);
    o[1] = static_cast<char>(kT.letter[c]);
    o += 1 + cls;
  }
  *o++ = '"';
  out.resize(start + static_cast<std::size_t>(o - base));
}

void append_json_string(std::string& out, std::string_view text) {
  if (is_valid_utf8(text))
    append_json_string_utf8(out, text);
  else
    out += nlohmann_text(std::string(text));
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (needs_comma_.empty()) return;
  if (needs_comma_.back()) out_.push_back(',');
  needs_comma_.back() = true;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  needs_comma_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  needs_comma_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  needs_comma_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  needs_comma_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  before_value();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
  before_value();
  append_json_string(out_, v);
  return *this;
}

JsonWriter& JsonWriter::number(double v) {
  before_value();
  out_ += nlohmann_text(v);
  return *this;
}

template <typename Int>
JsonWriter& JsonWriter::decimal(Int v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::integer(long long v) { return decimal(v); }

JsonWriter& JsonWriter::unsigned_integer(unsigned long long v) { return decimal(v); }

JsonWriter& JsonWriter::raw(std::string_view json_text) {
  before_value();
  out_ += json_text;
  return *this;
}

}  // namespace chipgate
