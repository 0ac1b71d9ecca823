// Escaping text into HTML, shared by the reports chipgate writes for people (the impact report,
// the audit export).
#pragma once

#include <string>
#include <string_view>

namespace chipgate {

// Text -> HTML text or attribute value: & < > " ' become entities; everything else is unchanged.
std::string html_escape(std::string_view text);

}  // namespace chipgate
