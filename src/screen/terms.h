// Internal to src/screen: the matcher's word lists and settings (data/screening/terms.toml) and the
// name normaliser built on them (ICU: NFKC, transliteration of any script to Latin, Latin-ASCII).
#pragma once

#include <unicode/uversion.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "screen/lists.h"

U_NAMESPACE_BEGIN
class Transliterator;
U_NAMESPACE_END

namespace chipgate::screen {

enum class TokenClass : unsigned char { kNormal, kLegal, kBusiness, kWeak, kStop };
const char* class_name(TokenClass c);

struct MatcherSettings {
  double threshold = 0.8;
  std::size_t max_name_chars = 1000;
  std::size_t candidates = 48;
  double legal_form_weight = 0.02;
  double stopword_weight = 0;
  double business_word_weight = 0.3;
  double weak_token_weight = 0.35;
  double rare_document_frequency = 4;
  double min_idf_weight = 0.3;
  std::size_t typo_min_length = 4;
  std::size_t typo_two_edits_min_length = 8;
  double typo_one_edit_similarity = 0.9;
  double typo_two_edits_similarity = 0.8;
  double phonetic_similarity = 0.8;
  double joined_similarity = 0.97;
  double initial_similarity = 0.75;
  double weak_only_cap = 0.55;
  double query_coverage_weight = 0.5;
  double cjk_query_coverage_weight = 0.75;
  double acronym_similarity = 0.9;
  double different_names_factor = 0.9;
  double person_subset_weight = 0.75;
  std::size_t person_subset_min_tokens = 2;
  std::size_t fuzzy_word_min_length = 9;
  double country_mismatch_factor = 0.85;
  double address_mismatch_factor = 0.97;
};

// A reviewed alias group (data/screening/zh-aliases.toml): Chinese-script names of an entity whose
// list names (`names`, as published) are English translations or brands.
struct AliasGroup {
  std::vector<std::string> names;  // English names as published on a list
  std::vector<std::string> zh;     // Chinese names, indexed as aliases of the entries carrying `names`
  std::string source;              // where the Chinese name is published
};

// A token of a normalised name.
struct Token {
  std::string raw;    // as written, normalised (e.g. "TECH")
  std::string canon;  // canonical form (e.g. "TECHNOLOGY")
  TokenClass cls = TokenClass::kNormal;
  bool exact_only = false;  // a syllable transliterated from CJK script: no typo matching
};

class Terms {
 public:
  Terms();
  ~Terms();
  Terms(const Terms&) = delete;
  Terms& operator=(const Terms&) = delete;

  static Result<std::shared_ptr<const Terms>> parse(std::string_view text, const std::string& path);

  const MatcherSettings& settings() const { return settings_; }
  const DropPolicy& drop() const { return drop_; }

  // Name -> upper-case ASCII words. Errors: empty, invalid UTF-8, too long, nothing left to match.
  Result<std::string> to_ascii(std::string_view name) const;
  // Upper-case ASCII text -> tokens (canonical forms and classes).
  std::vector<Token> tokenize(std::string_view ascii, bool apply_phrases = true) const;
  // Both steps.
  Result<std::vector<Token>> normalise(std::string_view name) const;

  std::string canonical(const std::string& raw) const;
  // canonical() and, for an unknown word of fuzzy_word_min_length+ letters, the canonical form of a
  // legal-form or business word one edit away (two from 12 letters). Used on the words of a name.
  std::string canonical_word(const std::string& raw) const;
  TokenClass classify(const std::string& canon) const;
  double class_weight(TokenClass c) const;

  // Country text (ISO code or name in any usual spelling) -> ISO alpha-2 ("" when unknown), with
  // same_as applied (HK -> CN).
  std::string country_code(std::string_view text) const;

  // Alias groups from the file named by [aliases] zh_file (empty when none).
  const std::vector<AliasGroup>& alias_groups() const { return aliases_; }
  const std::string& alias_file() const { return alias_file_; }  // file name only, for explanations

 private:
  MatcherSettings settings_;
  DropPolicy drop_;
  std::unordered_map<std::string, std::string> canonical_;
  std::unordered_map<std::string, TokenClass> classes_;
  // Known words of 9+ letters (fuzzy_word_min_length) with their canonical form: a misspelt
  // AKTIENGESELSCHAFT still becomes AG.
  std::vector<std::pair<std::string, std::string>> long_words_;
  std::vector<std::uint32_t> long_masks_;                 // letters present in each long word (a cheap pre-filter)
  std::vector<std::pair<std::string, std::string>> han_;  // longest first
  // Canonical word sequences -> replacement words, longest first.
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> phrases_;
  std::unordered_map<std::string, std::string> countries_;  // normalised name or code -> code
  std::map<std::string, std::string> same_as_;
  std::vector<AliasGroup> aliases_;
  std::string alias_file_;
  std::unique_ptr<icu::Transliterator> translit_;
  mutable std::mutex translit_mutex_;  // ICU transliterators are not safe for concurrent use
};

}  // namespace chipgate::screen
