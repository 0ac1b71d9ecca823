#include "core/toml_input.h"

#include <vector>

namespace chipgate {

namespace {

// One pass over TOML text that measures what the parser would build: how deep each key sits and how
// many keys and array elements there are. It follows the grammar only as far as needed to tell keys
// from values and to skip strings and comments; on text that is not TOML it keeps going (always
// advancing), so that the measure is never cut short by what the parser would reject anyway.
class TomlScanner {
 public:
  TomlScanner(std::string_view text, const std::string& name, const TomlLimits& limits)
      : text_(text), name_(name), limits_(limits) {}

  Status run() {
    while (pos_ < text_.size() && problem_.empty()) step();
    if (!problem_.empty()) return Status::error(name_ + ":" + std::to_string(line_) + ": " + problem_);
    return Status::ok();
  }

 private:
  // An open array ('[') or inline table ('{') and the depth of the values directly inside it.
  struct Frame {
    char kind;
    std::size_t depth;
  };

  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  bool at(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  void fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  void count_entry() {
    if (++entries_ > limits_.max_entries)
      fail("more than " + std::to_string(limits_.max_entries) + " keys, table headers and array elements");
  }
  void check_depth(std::size_t depth) {
    if (depth > limits_.max_depth)
      fail("nested more than " + std::to_string(limits_.max_depth) +
           " levels deep (table headers, dotted keys, arrays and inline tables together)");
  }

  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t') ++pos_;
  }

  // Skips a string starting at pos_ (any of the four kinds), counting the lines it spans. An
  // unterminated single-line string ends at the line end, as the parser will report.
  void skip_string() {
    const char quote = peek();
    const std::string_view triple = quote == '"' ? "\"\"\"" : "'''";
    const bool multi = at(triple);
    pos_ += multi ? 3 : 1;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        if (!multi) return;
        ++line_;
      } else if (c == '\\' && quote == '"') {
        ++pos_;  // the escaped character, which cannot end the string
        if (peek() == '\n') ++line_;
      } else if (c == quote && !multi) {
        ++pos_;
        return;
      } else if (c == quote && at(triple)) {
        // Up to two quotes may stand just inside the closing delimiter ("""a""""" is `a""`): the
        // string ends with the last three of a run of three to five.
        std::size_t run = 0;
        while (run < 5 && peek(run) == quote) ++run;
        pos_ += run;
        return;
      }
      ++pos_;
    }
  }

  static bool bare_key_byte(unsigned char c) {
    // Bytes >= 0x80 too, in case the parser accepts Unicode bare keys (TOML 1.1).
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c >= 0x80;
  }

  // Reads a (dotted) key at pos_ and returns its number of parts; 0 when there is no key here.
  std::size_t scan_key() {
    std::size_t parts = 0;
    for (;;) {
      skip_spaces();
      const std::size_t start = pos_;
      if (peek() == '"' || peek() == '\'') {
        skip_string();
      } else {
        while (pos_ < text_.size() && bare_key_byte(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      }
      if (pos_ == start) return parts;
      if (++parts > limits_.max_key_parts) {
        fail("table header or key with more than " + std::to_string(limits_.max_key_parts) + " dotted parts");
        return parts;
      }
      skip_spaces();
      if (peek() != '.') return parts;
      ++pos_;
    }
  }

  // At the start of a statement ([header], [[header]] or key = value) or of a key in an inline table.
  void key_position() {
    std::size_t base = frames_.empty() ? table_depth_ : frames_.back().depth;
    const bool header = frames_.empty() && peek() == '[';
    std::size_t extra = 0;
    if (header) {
      ++pos_;
      if (peek() == '[') {
        ++pos_;
        extra = 1;  // an array of tables is one level more than a table
      }
      base = 0;  // headers are absolute
    }
    const std::size_t parts = scan_key();
    expect_key_ = false;
    if (parts == 0) return;  // not a key: the value scan takes the next byte
    count_entry();
    const std::size_t depth = base + parts + extra;
    check_depth(depth);
    if (header)
      table_depth_ = depth;
    else
      value_depth_ = depth;
  }

  void open(char kind) {
    ++pos_;
    count_entry();
    frames_.push_back({kind, value_depth_ + 1});
    value_depth_ = frames_.back().depth;
    check_depth(value_depth_);
    expect_key_ = kind == '{';
  }

  void step() {
    skip_spaces();
    if (pos_ >= text_.size()) return;
    const char c = peek();
    if (c == '\n') {
      ++pos_;
      ++line_;
      if (frames_.empty()) expect_key_ = true;  // inside an array, values may continue on the next line
    } else if (c == '#') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else if (expect_key_) {
      key_position();
    } else if (c == '"' || c == '\'') {
      skip_string();
    } else if (c == '[' || c == '{') {
      open(c);
    } else if (c == ']' || c == '}') {
      ++pos_;
      if (!frames_.empty()) frames_.pop_back();
      if (!frames_.empty()) value_depth_ = frames_.back().depth;
    } else if (c == ',') {
      ++pos_;
      if (!frames_.empty()) {
        value_depth_ = frames_.back().depth;
        if (frames_.back().kind == '{')
          expect_key_ = true;
        else
          count_entry();  // the next array element
      }
    } else {
      ++pos_;  // '=', a number, a date, true/false or anything the parser will reject
    }
  }

  std::string_view text_;
  const std::string& name_;
  const TomlLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t entries_ = 0;
  std::size_t table_depth_ = 0;  // parts of the current [table] header
  std::size_t value_depth_ = 0;  // depth of the value being read
  bool expect_key_ = true;
  std::vector<Frame> frames_;
  std::string problem_;
};

}  // namespace

Status check_toml_limits(std::string_view text, const std::string& display_name, const TomlLimits& limits) {
  if (text.size() > limits.max_bytes)
    return Status::error(display_name + ": " + std::to_string(text.size()) + " bytes, over the TOML limit of " +
                         describe_byte_limit(limits.max_bytes));
  return TomlScanner(text, display_name, limits).run();
}

Result<toml::table> parse_toml(std::string_view text, const std::string& display_name, const TomlLimits& limits) {
  if (Status s = check_toml_limits(text, display_name, limits); !s) return s;
  try {
    return toml::parse(text, display_name);
  } catch (const toml::parse_error& e) {
    return Result<toml::table>::error(display_name + ":" + std::to_string(e.source().begin.line) + ": " +
                                      std::string(e.description()));
  }
}

}  // namespace chipgate
