#include "io/list_text.h"

#include <regex>

namespace chipgate::io {

std::string strip_footnote_markers(std::string_view text) {
  // A closing parenthesis then a marker, before " and" or the end; "of the EAR" (with or without its
  // closing parenthesis) then a marker at the end.
  static const std::regex after_paren(R"(\) [0-9]{1,2}(?= and |\s*$))");
  static const std::regex after_ear(R"((of the EAR\)?) [0-9]{1,2}\s*$)");
  std::string s(text);
  s = std::regex_replace(s, after_paren, ")");
  s = std::regex_replace(s, after_ear, "$1");
  return s;
}

std::string nsfreg_license_requirement(std::string_view list_id, std::string_view notes) {
  return list_id == "bis-entity-list" ? strip_footnote_markers(notes) : std::string();
}

}  // namespace chipgate::io
