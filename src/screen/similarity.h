// Internal to src/screen: string similarity measures on upper-case ASCII tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chipgate::screen {

// Optimal-string-alignment (Damerau-Levenshtein) distance; returns limit + 1 as soon as the distance
// is known to exceed `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// Jaro-Winkler similarity in [0, 1]; prefix scale 0.1 over up to 4 characters. `always_boost`
// applies the prefix bonus whatever the Jaro score (SimMetrics style, as OFAC's search behaves);
// otherwise only above 0.7 (Winkler's boost threshold).
double jaro_winkler(std::string_view a, std::string_view b, bool always_boost = false);

// American Soundex code ("R163"); "" for a token without letters.
std::string soundex(std::string_view token);

// OFAC Sanctions List Search style score in [0, 1] (OFAC FAQ 249): the larger of (a) Jaro-Winkler
// of the whole names when their first letters agree and (b) a composite over name parts, each query
// part (over 2 characters) scored against its best list-name part by Jaro-Winkler (halfway to 1
// when the Soundex codes agree), pair scores under 0.5 counting 0, averaged over the query parts.
double ofac_score(const std::vector<std::string>& query_tokens, const std::vector<std::string>& name_tokens);

}  // namespace chipgate::screen
