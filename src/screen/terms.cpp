#include "screen/terms.h"

#include <toml++/toml.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <filesystem>

#include "core/bounded_file.h"
#include "core/json_util.h"
#include "core/toml_input.h"
#include "screen/similarity.h"

namespace chipgate::screen {

namespace {

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

// Upper-case ASCII letters and digits, every other run one space, trimmed.
std::string squash(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\'') continue;
    if (!is_alnum(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(upper(c));
  }
  return out;
}

std::uint32_t letters(std::string_view s) {
  std::uint32_t m = 0;
  for (char c : s) m |= c >= 'A' && c <= 'Z' ? 1u << (c - 'A') : 1u << 26;
  return m;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

const char* class_name(TokenClass c) {
  switch (c) {
    case TokenClass::kNormal:
      return "name";
    case TokenClass::kLegal:
      return "legal form";
    case TokenClass::kBusiness:
      return "business word";
    case TokenClass::kWeak:
      return "weak token";
    case TokenClass::kStop:
      return "stopword";
  }
  return "?";
}

Terms::Terms() = default;
Terms::~Terms() = default;

Result<std::shared_ptr<const Terms>> Terms::parse(std::string_view text, const std::string& path) {
  using R = Result<std::shared_ptr<const Terms>>;
  auto parsed = parse_toml(text, path);
  if (!parsed) return parsed.status();
  const toml::table root = std::move(parsed).value();
  auto t = std::make_shared<Terms>();
  UErrorCode status = U_ZERO_ERROR;
  t->translit_.reset(icu::Transliterator::createInstance(icu::UnicodeString::fromUTF8("NFKC; Any-Latin; Latin-ASCII"),
                                                         UTRANS_FORWARD, status));
  if (U_FAILURE(status) || !t->translit_)
    return R::error(std::string("ICU: cannot create the transliterator: ") + u_errorName(status));

  auto num = [&](const toml::table* tbl, const char* key, double& out) -> Status {
    if (!tbl) return Status::ok();
    const toml::node* n = tbl->get(key);
    if (!n) return Status::ok();
    auto v = n->value<double>();
    if (!v || *v < 0)
      return Status::error(path + ":" + std::to_string(n->source().begin.line) + ": " + key +
                           ": must be a non-negative number");
    out = *v;
    return Status::ok();
  };
  const toml::table* m = root["matcher"].as_table();
  MatcherSettings& s = t->settings_;
  double max_chars = static_cast<double>(s.max_name_chars), cands = static_cast<double>(s.candidates),
         typo_min = static_cast<double>(s.typo_min_length), typo2 = static_cast<double>(s.typo_two_edits_min_length),
         subset_min = static_cast<double>(s.person_subset_min_tokens),
         fuzzy_min = static_cast<double>(s.fuzzy_word_min_length);
  for (auto&& [key, ref] : std::initializer_list<std::pair<const char*, double*>>{
           {"threshold", &s.threshold},
           {"max_name_chars", &max_chars},
           {"candidates", &cands},
           {"legal_form_weight", &s.legal_form_weight},
           {"stopword_weight", &s.stopword_weight},
           {"business_word_weight", &s.business_word_weight},
           {"weak_token_weight", &s.weak_token_weight},
           {"rare_document_frequency", &s.rare_document_frequency},
           {"min_idf_weight", &s.min_idf_weight},
           {"typo_min_length", &typo_min},
           {"typo_two_edits_min_length", &typo2},
           {"typo_one_edit_similarity", &s.typo_one_edit_similarity},
           {"typo_two_edits_similarity", &s.typo_two_edits_similarity},
           {"phonetic_similarity", &s.phonetic_similarity},
           {"joined_similarity", &s.joined_similarity},
           {"initial_similarity", &s.initial_similarity},
           {"weak_only_cap", &s.weak_only_cap},
           {"query_coverage_weight", &s.query_coverage_weight},
           {"cjk_query_coverage_weight", &s.cjk_query_coverage_weight},
           {"acronym_similarity", &s.acronym_similarity},
           {"different_names_factor", &s.different_names_factor},
           {"person_subset_weight", &s.person_subset_weight},
           {"person_subset_min_tokens", &subset_min},
           {"fuzzy_word_min_length", &fuzzy_min},
           {"country_mismatch_factor", &s.country_mismatch_factor},
           {"address_mismatch_factor", &s.address_mismatch_factor}}) {
    if (auto st = num(m, key, *ref); !st) return st;
  }
  if (s.threshold > 1 || s.query_coverage_weight > 1 || s.cjk_query_coverage_weight > 1)
    return R::error(path + ": [matcher] threshold and query_coverage_weight must be within 0..1");
  s.max_name_chars = static_cast<std::size_t>(max_chars);
  s.candidates = std::max<std::size_t>(1, static_cast<std::size_t>(cands));
  s.typo_min_length = static_cast<std::size_t>(typo_min);
  s.typo_two_edits_min_length = static_cast<std::size_t>(typo2);
  s.person_subset_min_tokens = static_cast<std::size_t>(subset_min);
  s.fuzzy_word_min_length = static_cast<std::size_t>(fuzzy_min);
  if (s.person_subset_weight > 1 || s.different_names_factor > 1)
    return R::error(path + ": [matcher] person_subset_weight and different_names_factor must be within 0..1");

  const toml::table* snap = root["snapshot"].as_table();
  double min_prev = static_cast<double>(t->drop_.min_previous_rows);
  if (auto st = num(snap, "max_drop_fraction", t->drop_.max_drop_fraction); !st) return st;
  if (auto st = num(snap, "min_previous_rows", min_prev); !st) return st;
  t->drop_.min_previous_rows = static_cast<std::size_t>(min_prev);

  auto strings = [&](const toml::node* n, const std::string& where, std::vector<std::string>& out) -> Status {
    if (!n) return Status::ok();
    const toml::array* a = n->as_array();
    if (!a)
      return Status::error(path + ":" + std::to_string(n->source().begin.line) + ": " + where + ": must be an array");
    for (const auto& v : *a) {
      auto str = v.value<std::string>();
      if (!str)
        return Status::error(path + ":" + std::to_string(v.source().begin.line) + ": " + where + ": strings only");
      out.push_back(*str);
    }
    return Status::ok();
  };

  // Abbreviations first: class lists are written in canonical forms but pass through them anyway.
  if (const toml::table* ab = root["abbreviations"].as_table()) {
    for (auto&& [key, value] : *ab) {
      const std::string canon = squash(key.str());
      std::vector<std::string> variants;
      if (auto st = strings(&value, "abbreviations." + std::string(key.str()), variants); !st) return st;
      for (const auto& v : variants) {
        std::string k = squash(v);
        if (v == "&") k = "&";
        if (!k.empty() && k.find(' ') == std::string::npos) t->canonical_[k] = canon;
      }
    }
  }
  const toml::table* words = root["words"].as_table();
  if (!words) return R::error(path + ": missing [words] table");
  for (auto&& [key, cls] :
       std::initializer_list<std::pair<const char*, TokenClass>>{{"weak_tokens", TokenClass::kWeak},
                                                                 {"business_words", TokenClass::kBusiness},
                                                                 {"legal_forms", TokenClass::kLegal},
                                                                 {"stopwords", TokenClass::kStop}}) {
    std::vector<std::string> list;
    if (auto st = strings(words->get(key), std::string("words.") + key, list); !st) return st;
    for (const auto& w : list) {
      std::string k = squash(w);
      if (k.empty()) continue;
      t->classes_[t->canonical(k)] = cls;
    }
  }
  if (t->settings_.fuzzy_word_min_length > 0) {
    for (const auto& [k, canon] : t->canonical_)
      if (k.size() >= t->settings_.fuzzy_word_min_length) t->long_words_.emplace_back(k, canon);
    for (const auto& [k, cls] : t->classes_)
      if (k.size() >= t->settings_.fuzzy_word_min_length && cls != TokenClass::kNormal)
        t->long_words_.emplace_back(k, k);
  }
  if (const toml::table* han = root["han"].as_table()) {
    for (auto&& [key, value] : *han) {
      auto v = value.value<std::string>();
      if (!v) return R::error(path + ":" + std::to_string(value.source().begin.line) + ": han values must be strings");
      t->han_.emplace_back(std::string(key.str()), " " + *v + " ");
    }
    std::stable_sort(t->han_.begin(), t->han_.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  if (const toml::table* ph = root["phrases"].as_table()) {
    for (auto&& [key, value] : *ph) {
      auto v = value.value<std::string>();
      if (!v)
        return R::error(path + ":" + std::to_string(value.source().begin.line) + ": phrases values must be strings");
      std::vector<std::string> from, to;
      for (const auto& tok : t->tokenize(squash(key.str()), false)) from.push_back(tok.canon);
      for (const auto& tok : t->tokenize(squash(*v), false)) to.push_back(tok.raw);
      if (from.size() >= 2 && !to.empty()) {
        // Long words of a phrase are known words too: AKTZIONERNOE is AKTSIONERNOE misspelt.
        for (const auto& w : from)
          if (t->settings_.fuzzy_word_min_length > 0 && w.size() >= t->settings_.fuzzy_word_min_length &&
              !t->canonical_.count(w))
            t->long_words_.emplace_back(w, w);
        t->phrases_.emplace_back(std::move(from), std::move(to));
      }
    }
    std::stable_sort(t->phrases_.begin(), t->phrases_.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  // By length, so that canonical_word() compares only words of a length within the edit limit.
  std::sort(t->long_words_.begin(), t->long_words_.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  for (const auto& w : t->long_words_) t->long_masks_.push_back(letters(w.first));
  if (const toml::table* c = root["countries"].as_table()) {
    if (auto iso = c->get("iso_file"); iso && iso->is_string()) {
      const std::string iso_path =
          (std::filesystem::path(path).parent_path() / iso->value<std::string>().value()).lexically_normal().string();
      auto bytes = read_bounded_file(iso_path, input_limits::kToml);
      if (!bytes) return R::error(path + ": countries.iso_file: " + bytes.message());
      auto iso_root = parse_toml(bytes.value(), iso_path);
      if (!iso_root) return iso_root.status();
      if (const toml::table* list = iso_root.value()["countries"].as_table())
        for (auto&& [code, name] : *list) {
          const std::string cc(code.str());
          t->countries_[cc] = cc;
          if (auto n = name.value<std::string>()) {
            auto ascii = t->to_ascii(*n);
            if (ascii) t->countries_[squash(ascii.value())] = cc;
          }
        }
    }
    if (const toml::table* same = (*c)["same_as"].as_table())
      for (auto&& [code, to] : *same)
        if (auto v = to.value<std::string>()) t->same_as_[std::string(code.str())] = *v;
    if (const toml::table* names = (*c)["names"].as_table())
      for (auto&& [name, code] : *names)
        if (auto v = code.value<std::string>()) t->countries_[squash(name.str())] = *v;
  }
  if (const toml::table* al = root["aliases"].as_table()) {
    if (auto f = al->get("zh_file"); f && f->is_string()) {
      const std::string file =
          (std::filesystem::path(path).parent_path() / f->value<std::string>().value()).lexically_normal().string();
      auto bytes = read_bounded_file(file, input_limits::kToml);
      if (!bytes) return R::error(path + ": aliases.zh_file: " + bytes.message());
      auto parsed_aliases = parse_toml(bytes.value(), file);
      if (!parsed_aliases) return parsed_aliases.status();
      const toml::table aroot = std::move(parsed_aliases).value();
      const toml::array* ents = aroot["entity"].as_array();
      if (!ents) return R::error(file + ": no [[entity]] tables");
      for (const auto& node : *ents) {
        const toml::table* e = node.as_table();
        const std::string where = file + ":" + std::to_string(node.source().begin.line);
        if (!e) return R::error(where + ": [[entity]] must be a table");
        AliasGroup g;
        if (auto st = strings(e->get("names"), where + ": names", g.names); !st) return st;
        if (auto st = strings(e->get("zh"), where + ": zh", g.zh); !st) return st;
        g.source = e->get("source") ? e->get("source")->value<std::string>().value_or("") : "";
        if (g.names.empty() || g.zh.empty() || g.source.empty())
          return R::error(where + ": an [[entity]] needs names, zh and source");
        for (const auto& z : g.zh)
          if (!is_valid_utf8(z) || z.empty()) return R::error(where + ": zh: empty or invalid UTF-8 name");
        t->aliases_.push_back(std::move(g));
      }
      t->alias_file_ = std::filesystem::path(file).filename().string();  // shown in explanations
    }
  }
  return std::shared_ptr<const Terms>(std::move(t));
}

std::string Terms::canonical(const std::string& raw) const {
  auto it = canonical_.find(raw);
  return it == canonical_.end() ? raw : it->second;
}

std::string Terms::canonical_word(const std::string& raw) const {
  auto it = canonical_.find(raw);
  if (it != canonical_.end()) return it->second;
  // A long word one edit (two from 12 letters) from a known legal-form or business word is that
  // word misspelt (AKTIENGESELSCHAFT = AKTIENGESELLSCHAFT = AG); an exact class entry wins.
  // (long_masks_ is filled once parse() has collected and sorted every long word; phrase keys read
  // before that are spelt right.)
  if (!long_masks_.empty() && raw.size() >= settings_.fuzzy_word_min_length && !classes_.count(raw)) {
    const std::size_t limit = raw.size() >= 12 ? 2 : 1;
    auto w = std::lower_bound(long_words_.begin(), long_words_.end(), raw.size() - limit,
                              [](const auto& e, std::size_t len) { return e.first.size() < len; });
    // Words within d edits differ in at most 2d letters present.
    const std::uint32_t mask = letters(raw);
    for (; w != long_words_.end() && w->first.size() <= raw.size() + limit; ++w) {
      const auto k = static_cast<std::size_t>(w - long_words_.begin());
      if (static_cast<std::size_t>(__builtin_popcount(mask ^ long_masks_[k])) > 2 * limit) continue;
      if (edit_distance(raw, w->first, limit) <= limit) return w->second;
    }
  }
  return raw;
}

TokenClass Terms::classify(const std::string& canon) const {
  auto it = classes_.find(canon);
  if (it != classes_.end()) return it->second;
  // A number (series, vintage, unit: SNOW STORM 1 / 2, TRUST 2004-1) says less about who a party
  // is than its name words: weighed like a weak token.
  if (!canon.empty() && std::all_of(canon.begin(), canon.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return TokenClass::kWeak;
  return TokenClass::kNormal;
}

double Terms::class_weight(TokenClass c) const {
  switch (c) {
    case TokenClass::kNormal:
      return 1.0;
    case TokenClass::kLegal:
      return settings_.legal_form_weight;
    case TokenClass::kBusiness:
      return settings_.business_word_weight;
    case TokenClass::kWeak:
      return settings_.weak_token_weight;
    case TokenClass::kStop:
      return settings_.stopword_weight;
  }
  return 1.0;
}

Result<std::string> Terms::to_ascii(std::string_view name) const {
  using R = Result<std::string>;
  if (!is_valid_utf8(name)) return R::error("name is not valid UTF-8");
  const std::size_t chars = utf8_length(name);
  if (chars > settings_.max_name_chars)
    return R::error("name is too long: " + std::to_string(chars) + " characters (limit " +
                    std::to_string(settings_.max_name_chars) + ", matcher.max_name_chars)");
  const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::string out;
  if (ascii) {
    out.assign(name);
  } else {
    std::string text(name);
    for (const auto& [han, repl] : han_) {
      for (std::size_t pos = text.find(han); pos != std::string::npos; pos = text.find(han, pos + repl.size()))
        text.replace(pos, han.size(), repl);
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    {
      std::lock_guard<std::mutex> lock(translit_mutex_);
      translit_->transliterate(u);
    }
    u.toUTF8String(out);
    for (char& c : out)
      if (static_cast<unsigned char>(c) >= 0x80) c = ' ';
  }
  for (char& c : out) c = upper(c);
  return out;
}

std::vector<Token> Terms::tokenize(std::string_view s, bool apply_phrases) const {
  std::vector<Token> tokens;
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    // A digit between two letters stands for the letter it looks like (IG0R, SECH1N, I9OR).
    for (std::size_t k = 1; k + 1 < cur.size(); ++k) {
      const char d = cur[k];
      if (d < '0' || d > '9' || !(cur[k - 1] >= 'A' && cur[k - 1] <= 'Z') || !(cur[k + 1] >= 'A' && cur[k + 1] <= 'Z'))
        continue;
      static constexpr char kLooksLike[] = "OIZEASGTBG";  // 0 1 2 3 4 5 6 7 8 9
      cur[k] = kLooksLike[d - '0'];
    }
    Token t;
    t.raw = std::move(cur);
    t.canon = canonical_word(t.raw);
    t.cls = classify(t.canon);
    tokens.push_back(std::move(t));
    cur.clear();
  };
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (is_alnum(c)) {
      // An acronym written with dots (U.S.A., S.A., J.P.) becomes one token.
      if (cur.empty() && (i == 0 || !is_alnum(s[i - 1])) && i + 2 < n && s[i + 1] == '.' && is_alnum(s[i + 2]) &&
          (i + 3 == n || !is_alnum(s[i + 3]))) {
        std::size_t j = i;
        while (j < n && is_alnum(s[j]) && (j + 1 == n || !is_alnum(s[j + 1]))) {
          cur.push_back(upper(s[j]));
          if (j + 1 < n && s[j + 1] == '.') {
            j += 2;
          } else {
            j += 1;
            break;
          }
        }
        flush();
        i = j - 1;
        continue;
      }
      cur.push_back(upper(c));
    } else if (c == '\'') {
      // A possessive 's is dropped (BANK'S = BANK); otherwise the apostrophe joins: XI'AN -> XIAN.
      if (!cur.empty() && i + 1 < n && (s[i + 1] == 'S' || s[i + 1] == 's') && (i + 2 == n || !is_alnum(s[i + 2]))) ++i;
      continue;
    } else if (c == '&') {
      flush();
      cur = "&";
      flush();
    } else {
      flush();
    }
  }
  flush();
  // A tens word followed by a units word or digit is one number (FORTY FOUR, FORTY 4 = 44).
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string& tens = tokens[i].canon;
    const std::string& unit = tokens[i + 1].canon;
    if (tens.size() == 2 && tens[1] == '0' && tens[0] >= '2' && tens[0] <= '9' && tokens[i].raw != tens &&
        unit.size() == 1 && unit[0] >= '1' && unit[0] <= '9') {
      tokens[i].raw = tokens[i].canon = std::string{tens[0], unit[0]};
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  }
  // A Roman numeral after at least two name words, at the end or before legal forms only, is a series
  // number (BLACKSTONE CAPITAL PARTNERS VII LP, CITIGROUP CAPITAL TRUST XV): XI JINPING keeps its XI.
  for (std::size_t i = 2; i < tokens.size(); ++i) {
    const std::string& w = tokens[i].raw;
    if (w.size() > 4 || w.find_first_not_of("IVX") != std::string::npos) continue;
    bool tail = true;
    for (std::size_t k = i + 1; k < tokens.size() && tail; ++k) tail = tokens[k].cls == TokenClass::kLegal;
    if (!tail) continue;
    int value = 0, prev = 0;
    for (auto it = w.rbegin(); it != w.rend(); ++it) {
      const int v = *it == 'I' ? 1 : *it == 'V' ? 5 : 10;
      value += v < prev ? -v : v;
      prev = std::max(prev, v);
    }
    if (value <= 0 || value > 39) continue;
    tokens[i].canon = std::to_string(value);  // raw keeps II, so NEW YORKII still splits into YORK II
    tokens[i].cls = TokenClass::kWeak;
  }
  if (!apply_phrases || phrases_.empty() || tokens.size() < 2) return tokens;
  std::vector<Token> out;
  out.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size();) {
    bool replaced = false;
    for (const auto& [from, to] : phrases_) {
      if (i + from.size() > tokens.size()) continue;
      bool same = true;
      for (std::size_t k = 0; k < from.size() && same; ++k) same = tokens[i + k].canon == from[k];
      if (!same) continue;
      for (const auto& w : to) {
        Token t;
        t.raw = w;
        t.canon = canonical(w);
        t.cls = classify(t.canon);
        out.push_back(std::move(t));
      }
      i += from.size();
      replaced = true;
      break;
    }
    if (!replaced) out.push_back(std::move(tokens[i++]));
  }
  return out;
}

Result<std::vector<Token>> Terms::normalise(std::string_view name) const {
  auto ascii = to_ascii(name);
  if (!ascii) return ascii.status();
  auto tokens = tokenize(ascii.value());
  // CJK (and Hangul) input: the tokens are transliterated syllables; a one-letter difference
  // between syllables is a different character, not a typo.
  const bool cjk = std::any_of(name.begin(), name.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0xE3 && b <= 0xED;
  });
  if (cjk)
    for (auto& t : tokens) {
      t.exact_only = true;
      // A transliterated syllable (彬 BIN, 艾 AI) is never an article, particle or title.
      if (t.cls == TokenClass::kStop) t.cls = TokenClass::kNormal;
    }
  if (tokens.empty())
    return Result<std::vector<Token>>::error(name.find_first_not_of(" \t\r\n") == std::string_view::npos
                                                 ? "empty name"
                                                 : "name has no letters or digits to match");
  return tokens;
}

std::string Terms::country_code(std::string_view text) const {
  auto ascii = to_ascii(text);
  if (!ascii) return "";
  std::string key = squash(ascii.value());
  if (key.empty()) return "";
  auto it = countries_.find(key);
  if (it == countries_.end()) return "";
  auto same = same_as_.find(it->second);
  return same == same_as_.end() ? it->second : same->second;
}

}  // namespace chipgate::screen
