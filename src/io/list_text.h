// Text of restricted-party list entries as published, made fit to quote in a decision.
#pragma once

#include <string>
#include <string_view>

namespace chipgate::io {

// The Entity List's "License requirement" column carries footnote markers, superscripts in the
// Federal Register that the published files flatten to a bare digit: "see §§ 734.9(e) 1 and 744.11
// of the EAR 2", "(see §§ 734.9(e)(2) and 744.11 of the EAR) 4". A decision quoting that text would
// show stray numbers after its citations, so they are removed: a one- or two-digit token right after
// a closing parenthesis (before " and" or the end) or after "of the EAR" at the end. Digits that are
// part of the text ("supplement no. 7", "EAR 99 items") are left alone.
std::string strip_footnote_markers(std::string_view text);

// The nsfreg JSON files put each list's own remarks in "notes". Only the Entity List's are its
// "License requirement" column ("For all items subject to the EAR, see ..."); the other lists' notes
// describe the entry (an authority, a parent, a listing date) and are no licence requirement. Returns
// the requirement text for the Entity List (footnote markers removed) and "" for any other list.
std::string nsfreg_license_requirement(std::string_view list_id, std::string_view notes);

}  // namespace chipgate::io
