#include "core/json_writer.h"

#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

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
  // Bytes each input byte adds beyond itself: '"' '\\' and \b \f \n \r \t one (a backslash),
  // other control characters five (\u00XX), everything else none. Two passes (size, then fill)
  // write through a pointer into storage sized once: JSON texts embedded in the audit record's
  // hashed form are full of quotes, and appending piece by piece was the cost of hashing them.
  static constexpr auto kExtra = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 5;
    for (unsigned char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'}) t[c] = 1;
    return t;
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t extra = 0;
  for (std::size_t i = 0; i < n; ++i) extra += kExtra[in[i]];
  const std::size_t start = out.size();
  out.resize(start + n + extra + 2);
  char* o = out.data() + start;
  *o++ = '"';
  if (extra == 0) {
    std::memcpy(o, in, n);
    o += n;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned char c = in[i];
      if (kExtra[c] == 0) {
        *o++ = static_cast<char>(c);
        continue;
      }
      *o++ = '\\';
      switch (c) {
        case '"':
          *o++ = '"';
          break;
        case '\\':
          *o++ = '\\';
          break;
        case '\b':
          *o++ = 'b';
          break;
        case '\f':
          *o++ = 'f';
          break;
        case '\n':
          *o++ = 'n';
          break;
        case '\r':
          *o++ = 'r';
          break;
        case '\t':
          *o++ = 't';
          break;
        default:  // other control characters: \u00XX, lower-case hex as nlohmann writes them
          *o++ = 'u';
          *o++ = '0';
          *o++ = '0';
          *o++ = kHex[c >> 4];
          *o++ = kHex[c & 0xF];
      }
    }
  }
  *o = '"';
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

JsonWriter& JsonWriter::integer(long long v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(unsigned long long v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json_text) {
  before_value();
  out_ += json_text;
  return *this;
}

}  // namespace chipgate
