#include "screen/screener.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/bounded_file.h"
#include "core/json_util.h"
#include "io/catalog.h"
#include "io/csv.h"
#include "screen/similarity.h"
#include "screen/terms.h"

namespace chipgate::screen {

namespace {

constexpr std::uint32_t kNoVocab = 0xFFFFFFFFu;
// Business words and weak tokens occurring in more names than this are not used for candidate
// retrieval when the query has a distinctive token (they would only add work, never recall).
constexpr std::size_t kMaxWeakPostings = 4000;
// Distinctive tokens in more names than this select candidates only when no rarer one does.
constexpr std::size_t kMaxStrongPostings = 2000;

struct Tok {
  std::string raw;
  std::string canon;
  TokenClass cls = TokenClass::kNormal;
  float w = 1;
  std::uint32_t vocab = kNoVocab;
  std::string sdx;
  bool digits = false;
  bool exact_only = false;
  std::uint32_t mask = 0;  // letters present: two tokens within d edits differ in at most 2d letters
};

struct NameRec {
  std::uint32_t entry = 0;
  bool alias = false;
  std::int32_t group = -1;  // >= 0: an alias from the reviewed alias file (Terms::alias_groups())
  std::string text;
  std::vector<Tok> toks;
  float total = 0;
};

struct Vocab {
  std::string canon;
  TokenClass cls = TokenClass::kNormal;
  float w = 1;
  std::vector<std::uint32_t> postings;  // name ids, ascending, unique
  std::uint32_t mask = 0;
};

struct EntryInfo {
  std::vector<std::string> countries;       // ISO codes (resolved) or normalised names
  std::vector<std::string> address_tokens;  // sorted canonical tokens of the addresses
};

struct Pair {
  int q0 = -1, q1 = -1;  // query tokens [q0, q1)
  int n0 = -1, n1 = -1;  // name tokens [n0, n1)
  double s = 0;
  const char* how = "";
};

struct Scored {
  double score = 0;
  double name_score = 0;
  double qcov = 0;
  double ncov = 0;
  std::vector<Pair> pairs;
};

bool has_digit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::uint64_t hash_sv(std::string_view s) { return std::hash<std::string_view>{}(s); }

std::uint32_t letter_mask(std::string_view s) {
  std::uint32_t m = 0;
  for (char c : s) m |= c >= 'A' && c <= 'Z' ? 1u << (c - 'A') : 1u << (26 + (c % 6));
  return m;
}

bool masks_within(std::uint32_t a, std::uint32_t b, std::size_t limit) {
  return static_cast<std::size_t>(__builtin_popcount(a ^ b)) <= 2 * limit;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

double round4(double v) { return std::round(v * 10000.0) / 10000.0; }

// Name variants indexed for one published name: the name itself and, for "Long Name (ACRONYM)",
// the name without the acronym and the acronym alone.
std::vector<std::string> variants(const std::string& name) {
  std::vector<std::string> out{name};
  const auto open = name.find('(');
  const auto close = name.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos || close < open + 3) return out;
  const std::string inner = name.substr(open + 1, close - open - 1);
  // An acronym: 3-12 ASCII capitals or digits, with - or & ("(NSCC-GZ)"); "(Beijing)" or "(北京)" is not one.
  const bool acronym = inner.size() >= 3 && inner.size() <= 12 && std::all_of(inner.begin(), inner.end(), [](char c) {
                         return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '&';
                       });
  if (!acronym) return out;
  std::string without = name.substr(0, open) + name.substr(close + 1);
  out.push_back(without);
  out.push_back(inner);
  return out;
}

}  // namespace

struct Screener::Impl {
  std::shared_ptr<const Terms> terms;
  Snapshot snap;
  std::vector<NameRec> names;
  std::vector<Vocab> vocab;
  std::unordered_map<std::string, std::uint32_t> vocab_index;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> deletions;  // hash(token minus one char) -> vocab
  std::vector<EntryInfo> info;
  double log_n = 1, log_rare = 1;

  float idf_weight(std::size_t df) const {
    const auto& s = terms->settings();
    if (df == 0) return 1.0f;
    const double idf = std::log(static_cast<double>(names.size() + 1) / static_cast<double>(df));
    const double w = std::clamp(idf / log_rare, s.min_idf_weight, 1.0);
    return static_cast<float>(w);
  }

  std::uint32_t lookup(const std::string& canon) const {
    auto it = vocab_index.find(canon);
    return it == vocab_index.end() ? kNoVocab : it->second;
  }

  std::size_t edit_limit(std::size_t len) const {
    const auto& s = terms->settings();
    if (len < s.typo_min_length) return 0;
    return len >= s.typo_two_edits_min_length ? 2 : 1;
  }

  double typo_similarity(std::size_t d) const {
    const auto& s = terms->settings();
    return d == 0 ? 1.0 : d == 1 ? s.typo_one_edit_similarity : s.typo_two_edits_similarity;
  }

  // Query tokens with weights from the index vocabulary.
  std::vector<Tok> query_tokens(const std::vector<Token>& tokens) const {
    std::vector<Tok> out;
    out.reserve(tokens.size());
    for (const auto& t : tokens) {
      Tok q;
      q.raw = t.raw;
      q.canon = t.canon;
      q.cls = t.cls;
      q.vocab = lookup(q.canon);
      q.w = q.vocab != kNoVocab ? vocab[q.vocab].w : static_cast<float>(terms->class_weight(q.cls));
      q.digits = has_digit(q.canon);
      q.exact_only = t.exact_only;
      q.sdx = q.digits ? std::string() : soundex(q.canon);
      q.mask = letter_mask(q.canon);
      out.push_back(std::move(q));
    }
    return out;
  }

  // Aligns query tokens with a name's tokens; the score and its parts.
  // For each query token i: the raw words i..i+1 joined, its canonical form, i..i+2 joined, its
  // canonical form ("" past the end).
  using Joins = std::vector<std::array<std::string, 4>>;
  Joins joins(const std::vector<Tok>& q) const {
    Joins out(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
      std::string cat = q[i].raw;
      for (std::size_t len = 2; len <= 3 && i + len <= q.size(); ++len) {
        cat += q[i + len - 1].raw;
        out[i][2 * (len - 2)] = cat;
        out[i][2 * (len - 2) + 1] = terms->canonical(cat);
      }
    }
    return out;
  }

  Scored score(const std::vector<Tok>& q, const NameRec& n, const Joins& jc) const {
    const auto& st = terms->settings();
    Scored r;
    const int nq = static_cast<int>(q.size()), nn = static_cast<int>(n.toks.size());
    std::vector<char> uq(q.size(), 0), un(n.toks.size(), 0);
    // 1. Exact (canonical forms: TECH = TECHNOLOGY).
    for (int i = 0; i < nq; ++i) {
      for (int j = 0; j < nn; ++j) {
        if (un[j] || q[i].canon != n.toks[j].canon) continue;
        uq[i] = un[j] = 1;
        r.pairs.push_back({i, i + 1, j, j + 1, 1.0, q[i].raw == n.toks[j].raw ? "exact" : "abbreviation"});
        break;
      }
    }
    // 2. Joined / split tokens: HUA WEI = HUAWEI, HUAWEITECH = HUAWEI TECH.
    for (int i = 0; i < nq; ++i) {
      if (uq[i]) continue;
      bool done = false;
      for (int len = 2; len <= 3 && !done && i + len <= nq; ++len) {
        bool free = true;
        for (int k = i; k < i + len; ++k) free = free && !uq[k];
        if (!free) break;
        // The joined query words and their canonical form, computed once per query (joins()).
        const std::string& cat = jc[static_cast<std::size_t>(i)][static_cast<std::size_t>(2 * (len - 2))];
        const std::string& canon = jc[static_cast<std::size_t>(i)][static_cast<std::size_t>(2 * (len - 2) + 1)];
        for (int j = 0; j < nn && !done; ++j) {
          if (un[j] || (n.toks[j].raw != cat && n.toks[j].canon != canon)) continue;
          for (int k = i; k < i + len; ++k) uq[k] = 1;
          un[j] = 1;
          r.pairs.push_back({i, i + len, j, j + 1, st.joined_similarity, "joined"});
          done = true;
        }
      }
      if (done) continue;
      for (int j = 0; j + 1 < nn && !done; ++j) {
        for (int len = 2; len <= 3 && !done && j + len <= nn; ++len) {
          bool free = true;
          for (int k = j; k < j + len; ++k) free = free && !un[k];
          if (!free) break;
          // q[i] == the name words j .. j+len joined, compared in place.
          const std::string& whole = q[i].raw;
          std::size_t at = 0;
          bool same = true;
          for (int k = j; k < j + len && same; ++k) {
            const std::string& part = n.toks[k].raw;
            same = whole.compare(at, part.size(), part) == 0;
            at += part.size();
          }
          if (!same || at != whole.size()) continue;
          uq[i] = 1;
          for (int k = j; k < j + len; ++k) un[k] = 1;
          r.pairs.push_back({i, i + 1, j, j + len, st.joined_similarity, "joined"});
          done = true;
        }
      }
    }
    // 2b. An acronym of 3 to 6 letters against the initials of consecutive words on the other side
    // (PLA = PEOPLES LIBERATION ARMY). Not two letters: KA, AM, SB match the initials of too many names.
    auto acronym = [&](const std::vector<Tok>& a, std::vector<char>& ua, const std::vector<Tok>& b,
                       std::vector<char>& ub, bool a_is_query) {
      const int na = static_cast<int>(a.size()), nb = static_cast<int>(b.size());
      for (int i = 0; i < na; ++i) {
        const std::string& acr = a[i].raw;
        const int len = static_cast<int>(acr.size());
        if (ua[i] || a[i].cls != TokenClass::kNormal || a[i].digits || a[i].exact_only || len < 3 || len > 6 ||
            len > nb)
          continue;
        for (int j = 0; j + len <= nb; ++j) {
          bool ok = true;
          for (int k = 0; k < len && ok; ++k) {
            const Tok& t = b[j + k];
            ok = !ub[j + k] && !t.exact_only && !t.digits && t.raw.size() >= 2 && t.raw[0] == acr[k] &&
                 (t.cls == TokenClass::kNormal || t.cls == TokenClass::kBusiness || t.cls == TokenClass::kWeak);
          }
          if (!ok) continue;
          ua[i] = 1;
          for (int k = j; k < j + len; ++k) ub[k] = 1;
          if (a_is_query)
            r.pairs.push_back({i, i + 1, j, j + len, st.acronym_similarity, "acronym"});
          else
            r.pairs.push_back({j, j + len, i, i + 1, st.acronym_similarity, "acronym"});
          break;
        }
      }
    };
    acronym(q, uq, n.toks, un, true);
    acronym(n.toks, un, q, uq, false);
    // 3. Typos and phonetic equivalents, best pairs first.
    struct Cand {
      int i, j;
      double s, value;
      const char* how;
    };
    std::vector<Cand> cands;
    for (int i = 0; i < nq; ++i) {
      if (uq[i] || q[i].digits || q[i].exact_only || q[i].cls == TokenClass::kStop) continue;
      const std::string& a = q[i].canon;
      for (int j = 0; j < nn; ++j) {
        if (un[j] || n.toks[j].digits) continue;
        const std::string& b = n.toks[j].canon;
        // Words shorter than 5 letters: a typo keeps the first letter (MOSK / MUSK, not LINA / INES).
        const std::size_t shortest = std::min(a.size(), b.size());
        const std::size_t limit = shortest < 5 && a[0] != b[0] ? 0 : edit_limit(shortest);
        double s = 0;
        const char* how = "";
        if (limit > 0 && masks_within(q[i].mask, n.toks[j].mask, limit)) {
          const std::size_t d = edit_distance(a, b, limit);
          if (d <= limit) {
            s = typo_similarity(d);
            how = "typo";
          }
        }
        // A misspelt abbreviation or a cut-off word compares as written (COMPAN / COMPANY -> CO).
        if (s == 0 && (a != q[i].raw || b != n.toks[j].raw)) {
          const std::string& ra = q[i].raw;
          const std::string& rb = n.toks[j].raw;
          const std::size_t rl = edit_limit(std::min(ra.size(), rb.size()));
          const std::size_t rd = rl > 0 ? edit_distance(ra, rb, rl) : rl + 1;
          if (rd <= rl) {
            s = typo_similarity(rd);
            how = "typo";
          }
        }
        if (s < st.phonetic_similarity && a.size() >= 5 && b.size() >= 5 && a[0] == b[0] && !q[i].sdx.empty() &&
            (a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) <= 3 && q[i].sdx == n.toks[j].sdx &&
            jaro_winkler(a, b) >= 0.85) {
          s = st.phonetic_similarity;
          how = "phonetic";
        }
        // An initial against a word with that first letter (J. / JOHN), either way round.
        if (s < st.initial_similarity && (a.size() == 1) != (b.size() == 1) && a[0] == b[0] &&
            q[i].cls == TokenClass::kNormal && n.toks[j].cls == TokenClass::kNormal) {
          s = st.initial_similarity;
          how = "initial";
        }
        if (s > 0) cands.push_back({i, j, s, s * (q[i].w + n.toks[j].w), how});
      }
    }
    std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) { return x.value > y.value; });
    for (const auto& c : cands) {
      if (uq[c.i] || un[c.j]) continue;
      uq[c.i] = un[c.j] = 1;
      r.pairs.push_back({c.i, c.i + 1, c.j, c.j + 1, c.s, c.how});
    }
    // Coverage on both sides, weighted.
    double wq = 0, wn = 0, mq = 0, mn = 0;
    for (const auto& t : q) wq += t.w;
    for (const auto& t : n.toks) wn += t.w;
    bool strong = false, perfect = true;
    for (const auto& p : r.pairs) {
      bool q_normal = false, n_normal = false;
      for (int k = p.q0; k < p.q1; ++k) {
        mq += p.s * q[k].w;
        q_normal = q_normal || q[k].cls == TokenClass::kNormal;
      }
      for (int k = p.n0; k < p.n1; ++k) {
        mn += p.s * n.toks[k].w;
        n_normal = n_normal || n.toks[k].cls == TokenClass::kNormal;
      }
      strong = strong || (q_normal && n_normal);  // a distinctive word on both sides
    }
    // "Every word matched" ignores legal forms and stopwords (CHINA NATIONAL CHEMICAL CORP = ... CORP LTD).
    auto optional = [](const Tok& t) { return t.cls == TokenClass::kStop || t.cls == TokenClass::kLegal; };
    for (int i = 0; i < nq; ++i) perfect = perfect && (uq[i] || optional(q[i]));
    for (int j = 0; j < nn; ++j) perfect = perfect && (un[j] || optional(n.toks[j]));
    r.qcov = wq > 0 ? mq / wq : 0;
    r.ncov = wn > 0 ? mn / wn : 0;
    // A name written in Chinese script: every character counts (a missing syllable is another name).
    // (When the list name is in Chinese script too, e.g. a reviewed alias, both sides count alike.)
    const bool cjk = std::any_of(q.begin(), q.end(), [](const Tok& t) { return t.exact_only; });
    const bool cjk_name = std::any_of(n.toks.begin(), n.toks.end(), [](const Tok& t) { return t.exact_only; });
    const double a = cjk && !cjk_name ? st.cjk_query_coverage_weight : st.query_coverage_weight;
    r.name_score = a * r.qcov + (1 - a) * r.ncov;
    // Distinctive words left over on both sides: a different name part (AL-MOSULI against
    // AL-TIKRITI, PRO TRAFFIC against CON TRAFFIC) is evidence against, not just a missing word.
    bool q_left = false, n_left = false, businesslike = false;
    std::size_t matched_normal = 0;
    for (int i = 0; i < nq; ++i) {
      q_left = q_left || (!uq[i] && q[i].cls == TokenClass::kNormal);
      businesslike = businesslike || q[i].cls == TokenClass::kBusiness || q[i].cls == TokenClass::kLegal;
    }
    for (int j = 0; j < nn; ++j) {
      n_left = n_left || (!un[j] && n.toks[j].cls == TokenClass::kNormal);
      businesslike = businesslike || n.toks[j].cls == TokenClass::kBusiness || n.toks[j].cls == TokenClass::kLegal;
    }
    bool all_exact = true;
    for (const auto& p : r.pairs) {
      if (q[p.q0].cls == TokenClass::kNormal && n.toks[p.n0].cls == TokenClass::kNormal) ++matched_normal;
      all_exact = all_exact && p.s >= 1.0;
    }
    // A left-over word that starts the other side's left-over word (INSTR / INSTRUMENTS, SCI /
    // SCIENTIFIC) may be its abbreviation: not a different name part.
    if (q_left && n_left) {
      auto prefix_of_other = [](const std::vector<Tok>& x, const std::vector<char>& ux, const std::vector<Tok>& y,
                                const std::vector<char>& uy) {
        for (std::size_t i = 0; i < x.size(); ++i) {
          if (ux[i] || x[i].cls != TokenClass::kNormal || x[i].raw.size() < 3) continue;
          for (std::size_t j = 0; j < y.size(); ++j)
            if (!uy[j] && y[j].raw.size() > x[i].raw.size() && y[j].raw.compare(0, x[i].raw.size(), x[i].raw) == 0)
              return true;
        }
        return false;
      };
      if (prefix_of_other(q, uq, n.toks, un) || prefix_of_other(n.toks, un, q, uq)) q_left = n_left = false;
    }
    if (q_left && n_left) {
      r.name_score *= st.different_names_factor;
    } else if ((q_left || n_left) && !businesslike && !cjk && all_exact &&
               matched_normal >= st.person_subset_min_tokens) {
      // A person's name with parts left out (ANJEM CHOUDARY = ANJEM IFTIKHAR CHOUDARY MAHMOOD): every
      // distinctive word of the shorter name is matched exactly, so the fully covered side counts more.
      // (Not with typos as well: two kinds of leniency at once match too many innocent names.)
      const double hi = std::max(r.qcov, r.ncov), lo = std::min(r.qcov, r.ncov);
      r.name_score = std::max(r.name_score, st.person_subset_weight * hi + (1 - st.person_subset_weight) * lo);
    }
    if (!strong && !perfect) r.name_score = std::min(r.name_score, st.weak_only_cap);
    if (r.pairs.empty()) r.name_score = 0;
    r.score = std::clamp(r.name_score, 0.0, 1.0);
    return r;
  }

  Explanation explain(const std::vector<Tok>& q, const NameRec& n, const Scored& s) const {
    Explanation e;
    e.matched_name = n.text;
    e.alias = n.alias;
    if (n.group >= 0)
      e.alias_source = terms->alias_file() + ": " + terms->alias_groups()[static_cast<std::size_t>(n.group)].source;
    for (const auto& t : q) e.query_normalised += (e.query_normalised.empty() ? "" : " ") + t.raw;
    for (const auto& t : n.toks) e.name_normalised += (e.name_normalised.empty() ? "" : " ") + t.raw;
    std::vector<char> uq(q.size(), 0), un(n.toks.size(), 0);
    for (const auto& p : s.pairs) {
      TokenPair tp;
      double w = 0;
      for (int k = p.q0; k < p.q1; ++k) {
        tp.query += (tp.query.empty() ? "" : " ") + q[k].raw;
        uq[k] = 1;
        w += q[k].w;
      }
      for (int k = p.n0; k < p.n1; ++k) {
        tp.entry += (tp.entry.empty() ? "" : " ") + n.toks[k].raw;
        un[k] = 1;
        w += n.toks[k].w;
      }
      tp.similarity = p.s;
      tp.how = p.how;
      tp.weight = w / 2;
      e.pairs.push_back(std::move(tp));
    }
    for (std::size_t i = 0; i < q.size(); ++i)
      if (!uq[i]) e.pairs.push_back({q[i].raw, "", 0, "unmatched", q[i].w});
    for (std::size_t j = 0; j < n.toks.size(); ++j)
      if (!un[j]) e.pairs.push_back({"", n.toks[j].raw, 0, "unmatched", n.toks[j].w});
    e.name_score = s.name_score;
    e.query_coverage = s.qcov;
    e.entry_coverage = s.ncov;
    return e;
  }

  void add_name(std::uint32_t entry, bool alias, const std::string& text, std::int32_t group = -1) {
    for (const auto& v : variants(text)) {
      auto toks = terms->normalise(v);
      if (!toks) continue;
      NameRec rec;
      rec.entry = entry;
      rec.alias = alias;
      rec.group = group;
      rec.text = text;
      for (auto& t : toks.value()) {
        Tok k;
        k.raw = std::move(t.raw);
        k.canon = std::move(t.canon);
        k.cls = t.cls;
        k.digits = has_digit(k.canon);
        k.exact_only = t.exact_only;
        k.sdx = k.digits ? std::string() : soundex(k.canon);
        k.mask = letter_mask(k.canon);
        rec.toks.push_back(std::move(k));
      }
      names.push_back(std::move(rec));
    }
  }

  // The reviewed alias file: each group's Chinese names become aliases of every entry (any list)
  // that carries one of the group's English names (same canonical tokens).
  void add_reviewed_aliases() {
    const auto& groups = terms->alias_groups();
    if (groups.empty()) return;
    auto key_of = [](const auto& toks) {
      std::string k;
      for (const auto& t : toks) k += (k.empty() ? "" : " ") + t.canon;
      return k;
    };
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_key;
    for (const auto& n : names) by_key[key_of(n.toks)].push_back(n.entry);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      std::vector<std::uint32_t> entries;
      for (const auto& name : groups[g].names) {
        auto toks = terms->normalise(name);
        if (!toks) continue;
        auto it = by_key.find(key_of(toks.value()));
        if (it != by_key.end()) entries.insert(entries.end(), it->second.begin(), it->second.end());
      }
      std::sort(entries.begin(), entries.end());
      entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
      for (auto e : entries)
        for (const auto& zh : groups[g].zh) add_name(e, true, zh, static_cast<std::int32_t>(g));
    }
  }

  void build_index() {
    for (std::uint32_t id = 0; id < names.size(); ++id) {
      for (auto& t : names[id].toks) {
        auto [it, inserted] = vocab_index.emplace(t.canon, static_cast<std::uint32_t>(vocab.size()));
        if (inserted) vocab.push_back({t.canon, t.cls, 1, {}, letter_mask(t.canon)});
        auto& post = vocab[it->second].postings;
        if (post.empty() || post.back() != id) post.push_back(id);
        t.vocab = it->second;
      }
    }
    const auto& st = terms->settings();
    log_n = std::log(static_cast<double>(names.size() + 1));
    log_rare =
        std::max(1e-6, std::log(static_cast<double>(names.size() + 1) / std::max(1.0, st.rare_document_frequency)));
    for (std::uint32_t v = 0; v < vocab.size(); ++v) {
      auto& voc = vocab[v];
      voc.w = idf_weight(voc.postings.size()) * static_cast<float>(terms->class_weight(voc.cls));
      if (voc.cls == TokenClass::kStop || voc.cls == TokenClass::kLegal || has_digit(voc.canon)) continue;
      if (voc.canon.size() < st.typo_min_length) continue;
      deletions[hash_sv(voc.canon)].push_back(v);
      std::string del;
      for (std::size_t i = 0; i < voc.canon.size(); ++i) {
        del.assign(voc.canon, 0, i);
        del.append(voc.canon, i + 1, std::string::npos);
        auto& bucket = deletions[hash_sv(del)];
        if (bucket.empty() || bucket.back() != v) bucket.push_back(v);
      }
    }
    for (auto& n : names) {
      n.total = 0;
      for (auto& t : n.toks) {
        t.w = vocab[t.vocab].w;
        n.total += t.w;
      }
    }
  }

  // Candidate names for the query tokens, best first (at most `k`).
  std::vector<std::uint32_t> candidates(const std::vector<Tok>& q, std::size_t k) const {
    // A key selects candidates when both the query word and the vocabulary word are ordinary name
    // tokens (a business word near a misspelt list word does not).
    struct Key {
      std::uint32_t v;
      double s;
      bool selects;
    };
    std::vector<Key> keys;
    auto add = [&](std::uint32_t v, double s, bool from_normal) {
      const bool sel = from_normal && vocab[v].cls == TokenClass::kNormal;
      for (auto& key : keys)
        if (key.v == v) {
          key.s = std::max(key.s, s);
          key.selects = key.selects || sel;
          return;
        }
      keys.push_back({v, s, sel});
    };
    const auto& st = terms->settings();
    for (std::size_t i = 0; i < q.size(); ++i) {
      const Tok& t = q[i];
      if (t.cls == TokenClass::kStop || t.cls == TokenClass::kLegal) continue;
      const bool normal = t.cls == TokenClass::kNormal;
      if (t.vocab != kNoVocab) add(t.vocab, 1.0, normal);
      // Typos: vocabulary tokens within the edit limit, found through one-deletion keys.
      const std::size_t limit = edit_limit(t.canon.size());
      if (limit > 0 && !t.digits && !t.exact_only) {
        std::vector<std::uint64_t> probes{hash_sv(t.canon)};
        std::string del;
        for (std::size_t p = 0; p < t.canon.size(); ++p) {
          del.assign(t.canon, 0, p);
          del.append(t.canon, p + 1, std::string::npos);
          probes.push_back(hash_sv(del));
        }
        for (auto h : probes) {
          auto it = deletions.find(h);
          if (it == deletions.end()) continue;
          for (auto v : it->second) {
            if (v == t.vocab || !masks_within(t.mask, vocab[v].mask, limit)) continue;
            if (std::min(t.canon.size(), vocab[v].canon.size()) < 5 && t.canon[0] != vocab[v].canon[0]) continue;
            const std::size_t d = edit_distance(t.canon, vocab[v].canon, limit);
            if (d <= limit && d > 0) add(v, typo_similarity(d), normal);
          }
        }
      }
      // Joined in the query: adjacent tokens written apart in the query, together in the name.
      std::string cat = t.raw;
      for (std::size_t j = i + 1; j < q.size() && j < i + 3; ++j) {
        cat += q[j].raw;
        if (auto v = lookup(terms->canonical(cat)); v != kNoVocab) add(v, st.joined_similarity, true);
      }
      // Missing space in the query: a token that splits into two vocabulary tokens.
      if (t.vocab == kNoVocab && t.raw.size() >= 5) {
        for (std::size_t p = 2; p + 2 <= t.raw.size(); ++p) {
          const auto l = lookup(terms->canonical(t.raw.substr(0, p)));
          const auto r = lookup(terms->canonical(t.raw.substr(p)));
          if (l == kNoVocab || r == kNoVocab) continue;
          add(l, st.joined_similarity, true);
          add(r, st.joined_similarity, true);
        }
      }
    }
    // Distinctive keys select the candidates; business words and weak tokens only re-rank them
    // (their posting lists are long). A query with no distinctive key uses them all.
    bool strong = false;
    for (const auto& key : keys) strong = strong || key.selects;
    std::unordered_map<std::uint32_t, float> acc;
    acc.reserve(512);
    std::vector<const Key*> rerank;
    // The rarest distinctive key always selects; very common ones only re-rank.
    std::size_t rarest = SIZE_MAX;
    for (const auto& key : keys)
      if (key.selects) rarest = std::min(rarest, vocab[key.v].postings.size());
    for (const auto& key : keys) {
      const Vocab& voc = vocab[key.v];
      if (strong && (!key.selects || (voc.postings.size() > kMaxStrongPostings && voc.postings.size() > rarest))) {
        rerank.push_back(&key);
        continue;
      }
      if (!strong && voc.postings.size() > kMaxWeakPostings) continue;
      const float add_w = static_cast<float>(key.s) * voc.w;
      for (auto id : voc.postings) acc[id] += add_w;
    }
    if (!rerank.empty())
      for (auto& [id, a] : acc)
        for (const Key* key : rerank)
          for (const auto& t : names[id].toks)
            if (t.vocab == key->v) {
              a += static_cast<float>(key->s) * vocab[key->v].w;
              break;
            }
    double wq = 0;
    for (const auto& t : q) wq += t.w;
    std::vector<std::pair<float, std::uint32_t>> ranked;
    ranked.reserve(acc.size());
    for (const auto& [id, a] : acc)
      ranked.emplace_back(static_cast<float>(2.0 * a / (wq + names[id].total + 1e-9)), id);
    const std::size_t take = std::min(k, ranked.size());
    std::partial_sort(
        ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(take), ranked.end(),
        [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
    std::vector<std::uint32_t> out;
    out.reserve(take);
    for (std::size_t i = 0; i < take; ++i) out.push_back(ranked[i].second);
    return out;
  }

  void qualify(Hit& h, const QueryOptions& o, bool& drop) const {
    const auto& st = terms->settings();
    const EntryInfo& ei = info[static_cast<std::size_t>(h.entry - snap.entries.data())];
    Explanation& e = h.explanation;
    drop = false;
    if (!o.country.empty()) {
      std::string code = terms->country_code(o.country);
      const std::string entry_countries = [&] {
        std::string s;
        for (const auto& c : h.entry->countries) s += (s.empty() ? "" : "/") + c;
        return s;
      }();
      if (code.empty()) {
        e.country_note = "party country '" + o.country + "' not recognised: no effect";
      } else if (ei.countries.empty()) {
        e.country_note = "entry has no country: no effect";
      } else if (std::find(ei.countries.begin(), ei.countries.end(), code) != ei.countries.end()) {
        e.country_note = "party " + code + ", entry " + entry_countries + ": same country";
      } else {
        e.country_factor = st.country_mismatch_factor;
        e.country_note = "party " + code + ", entry " + entry_countries + ": different country (x" +
                         fmt(st.country_mismatch_factor) + ")";
        if (o.country_filter) drop = true;
      }
    }
    if (!o.address.empty()) {
      auto toks = terms->normalise(o.address);
      if (!toks || ei.address_tokens.empty()) {
        e.address_note =
            ei.address_tokens.empty() ? "entry has no address: no effect" : "address unreadable: no effect";
      } else {
        std::string common;
        for (const auto& t : toks.value()) {
          if (t.cls == TokenClass::kStop || t.cls == TokenClass::kLegal || t.canon.size() < 3) continue;
          if (std::binary_search(ei.address_tokens.begin(), ei.address_tokens.end(), t.canon) &&
              common.find(t.canon) == std::string::npos)
            common += (common.empty() ? "" : ", ") + t.canon;
        }
        if (!common.empty()) {
          e.address_note = "address words in common with the entry: " + common;
        } else {
          e.address_factor = st.address_mismatch_factor;
          e.address_note = "no address word in common with the entry (x" + fmt(st.address_mismatch_factor) + ")";
        }
      }
    }
    h.score = std::clamp(e.name_score * e.country_factor * e.address_factor, 0.0, 1.0);
  }
};

// ---------------------------------------------------------------------------------------------

Result<std::shared_ptr<const Terms>> load_terms(const std::string& path) {
  auto text = read_bounded_file(path, input_limits::kToml);
  if (!text) return Result<std::shared_ptr<const Terms>>::error("screening terms: " + text.message());
  return Terms::parse(text.value(), path);
}

std::string find_terms_file(const std::string& flag_value, const char* argv0) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("CHIPGATE_SCREENING_TERMS"); env && *env) return env;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (argv0) {
    const fs::path exe = fs::weakly_canonical(fs::path(argv0), ec).parent_path();
    for (const fs::path& c :
         {exe / "../data/screening/terms.toml", exe / "../share/chipgate/data/screening/terms.toml"})
      if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec).string();
  }
  return CHIPGATE_DEFAULT_TERMS_FILE;
}

double default_threshold(const Terms& t) { return t.settings().threshold; }
std::map<std::string, std::size_t> Screener::source_counts() const { return snapshot().counts; }

DropPolicy drop_policy(const Terms& t) { return t.drop(); }

std::string Explanation::text() const {
  std::string s = std::string(alias ? "alias" : "name") + " \"" + matched_name + "\"" +
                  (alias_source.empty() ? "" : " (" + alias_source + ")") + ": ";
  // Unmatched tokens are said by side: a word of the screened name the listed name lacks, or a word
  // of the listed name the screened name lacks (they weigh differently in the coverages below).
  std::string matched, only_query, only_entry;
  for (const auto& p : pairs) {
    if (p.how == "unmatched") {
      std::string& side = p.query.empty() ? only_entry : only_query;
      side += (side.empty() ? "" : " ") + (p.query.empty() ? p.entry : p.query);
      continue;
    }
    matched += (matched.empty() ? "" : ", ") + p.query + (p.how == "exact" ? "=" : "~") + p.entry +
               (p.how == "exact" ? "" : " (" + p.how + " " + fmt(p.similarity) + ")");
  }
  s += matched.empty() ? "no token matched" : matched;
  if (!only_query.empty()) s += "; not in the listed name: " + only_query;
  if (!only_entry.empty()) s += "; not in the screened name: " + only_entry;
  s += "; name score " + fmt(name_score) + " (query covered " + fmt(query_coverage) + ", name covered " +
       fmt(entry_coverage) + ")";
  if (!country_note.empty()) s += "; country: " + country_note;
  if (!address_note.empty()) s += "; address: " + address_note;
  return s;
}

nlohmann::ordered_json Explanation::to_json() const {
  nlohmann::ordered_json j;
  j["matched_name"] = matched_name;
  j["alias"] = alias;
  if (!alias_source.empty()) j["alias_source"] = alias_source;
  j["query_normalised"] = query_normalised;
  j["name_normalised"] = name_normalised;
  j["pairs"] = nlohmann::ordered_json::array();
  for (const auto& p : pairs)
    j["pairs"].push_back({{"query", p.query},
                          {"entry", p.entry},
                          {"how", p.how},
                          {"similarity", round4(p.similarity)},
                          {"weight", round4(p.weight)}});
  j["name_score"] = round4(name_score);
  j["query_coverage"] = round4(query_coverage);
  j["entry_coverage"] = round4(entry_coverage);
  j["country_factor"] = round4(country_factor);
  if (!country_note.empty()) j["country"] = country_note;
  j["address_factor"] = round4(address_factor);
  if (!address_note.empty()) j["address"] = address_note;
  return j;
}

Screener::Screener() : impl_(std::make_unique<Impl>()) {}
Screener::~Screener() = default;

Result<std::unique_ptr<Screener>> Screener::build(Snapshot snapshot, std::shared_ptr<const Terms> terms) {
  using R = Result<std::unique_ptr<Screener>>;
  if (!terms) return R::error("screening terms not loaded");
  std::unique_ptr<Screener> s(new Screener());
  Impl& im = *s->impl_;
  im.terms = std::move(terms);
  im.snap = std::move(snapshot);
  im.info.resize(im.snap.entries.size());
  for (std::uint32_t i = 0; i < im.snap.entries.size(); ++i) {
    const ListEntry& e = im.snap.entries[i];
    im.add_name(i, false, e.name);
    for (const auto& a : e.aliases) im.add_name(i, true, a);
    EntryInfo& ei = im.info[i];
    for (const auto& c : e.countries) {
      std::string code = im.terms->country_code(c);
      if (!code.empty() && std::find(ei.countries.begin(), ei.countries.end(), code) == ei.countries.end())
        ei.countries.push_back(code);
    }
    for (const auto& a : e.addresses) {
      auto toks = im.terms->normalise(a);
      if (!toks) continue;
      for (auto& t : toks.value())
        if (t.cls != TokenClass::kStop && t.canon.size() >= 3) ei.address_tokens.push_back(t.canon);
    }
    std::sort(ei.address_tokens.begin(), ei.address_tokens.end());
    ei.address_tokens.erase(std::unique(ei.address_tokens.begin(), ei.address_tokens.end()), ei.address_tokens.end());
  }
  im.add_reviewed_aliases();
  im.build_index();
  return s;
}

Result<std::unique_ptr<Screener>> Screener::load(const std::vector<std::string>& paths,
                                                 std::shared_ptr<const Terms> terms) {
  auto snap = load_lists(paths);
  if (!snap) return snap.status();
  return build(std::move(snap).value(), std::move(terms));
}

ScreenResult Screener::query(std::string_view name, const QueryOptions& o) const {
  const Impl& im = *impl_;
  ScreenResult r;
  r.threshold = o.threshold >= 0 ? o.threshold : im.terms->settings().threshold;
  auto toks = im.terms->normalise(name);
  if (!toks) {
    r.error = toks.message();
    return r;
  }
  const auto q = im.query_tokens(toks.value());
  const auto cands = im.candidates(q, im.terms->settings().candidates);
  const Impl::Joins jc = im.joins(q);
  // Best name per entry.
  std::unordered_map<std::uint32_t, std::pair<Scored, std::uint32_t>> best;
  for (auto id : cands) {
    Scored s = im.score(q, im.names[id], jc);
    if (s.score <= 0) continue;
    const std::uint32_t entry = im.names[id].entry;
    auto it = best.find(entry);
    if (it == best.end() || s.score > it->second.first.score) best[entry] = {std::move(s), id};
  }
  const double floor = o.min_report >= 0 ? o.min_report : r.threshold;
  for (auto& [entry, sc] : best) {
    Hit h;
    h.entry = &im.snap.entries[entry];
    h.explanation.name_score = sc.first.name_score;
    bool drop = false;
    im.qualify(h, o, drop);
    if (drop || h.score < floor) continue;
    Explanation full = im.explain(q, im.names[sc.second], sc.first);
    full.country_factor = h.explanation.country_factor;
    full.country_note = std::move(h.explanation.country_note);
    full.address_factor = h.explanation.address_factor;
    full.address_note = std::move(h.explanation.address_note);
    h.explanation = std::move(full);
    h.list = h.entry->list;
    h.entry_id = h.entry->entry_id;
    h.name = h.entry->name;
    h.matched_name = im.names[sc.second].text;
    r.hits.push_back(std::move(h));
  }
  std::sort(r.hits.begin(), r.hits.end(), [](const Hit& a, const Hit& b) {
    return a.score > b.score || (a.score == b.score && a.entry_id < b.entry_id);
  });
  if (r.hits.size() > o.max_hits) r.hits.resize(o.max_hits);
  std::vector<std::string> qraw;
  for (const auto& t : q) qraw.push_back(t.raw);
  for (auto& h : r.hits) {
    std::vector<std::string> nraw;
    auto nt = im.terms->normalise(h.matched_name);
    if (nt)
      for (const auto& t : nt.value()) nraw.push_back(t.raw);
    h.ofac_score = ofac_score(qraw, nraw);
  }
  r.match = !r.hits.empty() && r.hits.front().score >= r.threshold;
  return r;
}

std::vector<ScreenResult> Screener::batch(const std::vector<Party>& parties, const QueryOptions& options,
                                          unsigned threads) const {
  std::vector<ScreenResult> out(parties.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < parties.size(); i = next++) {
      QueryOptions o = options;
      if (!parties[i].country.empty()) o.country = parties[i].country;
      if (!parties[i].address.empty()) o.address = parties[i].address;
      out[i] = query(parties[i].name, o);
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(1, parties.size()))));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

std::pair<double, double> Screener::compare(std::string_view a, std::string_view b) const {
  const Impl& im = *impl_;
  auto ta = im.terms->normalise(a);
  auto tb = im.terms->normalise(b);
  if (!ta || !tb) return {0.0, 0.0};
  // Class weights only (no document frequencies): the score of a pair does not depend on the lists.
  auto plain = [&](const std::vector<Token>& toks) {
    std::vector<Tok> out = im.query_tokens(toks);
    for (auto& t : out) {
      t.w = static_cast<float>(im.terms->class_weight(t.cls));
      t.vocab = kNoVocab;
    }
    return out;
  };
  const auto q = plain(ta.value());
  NameRec n;
  n.text = std::string(b);
  n.toks = plain(tb.value());
  const Scored s = im.score(q, n, im.joins(q));
  std::vector<std::string> qa, nb;
  for (const auto& t : q) qa.push_back(t.raw);
  for (const auto& t : n.toks) nb.push_back(t.raw);
  return {s.score, ofac_score(qa, nb)};
}

std::vector<license::PartyHit> Screener::screen(std::string_view name, std::string_view country) const {
  QueryOptions o;
  o.country = std::string(country);
  std::vector<license::PartyHit> out;
  const ScreenResult r = query(name, o);
  for (const auto& h : r.hits) {
    license::PartyHit p;
    p.list = h.list;
    p.entry_id = h.entry_id;
    p.name = h.name;
    p.matched_name = h.matched_name;
    p.country = h.entry->countries.empty() ? std::string() : h.entry->countries.front();
    p.score = round4(h.score);
    p.license_requirement = h.entry->license_requirement;
    p.federal_register = h.entry->federal_register;
    p.fdp = h.entry->fdp;
    p.explanation = h.explanation.text();
    out.push_back(std::move(p));
  }
  return out;
}

const std::string& Screener::snapshot_id() const { return impl_->snap.id; }
const Snapshot& Screener::snapshot() const { return impl_->snap; }
const Terms& Screener::terms() const { return *impl_->terms; }
double Screener::threshold() const { return impl_->terms->settings().threshold; }
std::size_t Screener::name_count() const { return impl_->names.size(); }

std::vector<std::string> Screener::tokens(std::string_view name) const {
  std::vector<std::string> out;
  auto t = impl_->terms->normalise(name);
  if (t)
    for (const auto& k : t.value()) out.push_back(k.canon);
  return out;
}

nlohmann::ordered_json result_to_json(const std::string& id, const ScreenResult& r, bool explain_as_object) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["match"] = r.match;
  j["hits"] = nlohmann::ordered_json::array();
  for (const auto& h : r.hits) {
    nlohmann::ordered_json hj;
    hj["list"] = h.list;
    hj["entry_id"] = h.entry_id;
    hj["name"] = h.name;
    hj["matched_name"] = h.matched_name;
    hj["score"] = round4(h.score);
    hj["ofac_score"] = round4(h.ofac_score);
    if (explain_as_object)
      hj["explanation"] = h.explanation.to_json();
    else
      hj["explanation"] = h.explanation.text();
    j["hits"].push_back(std::move(hj));
  }
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

namespace {

// JSON Lines: one object per line with id, name[, country][, address].
void parties_from_jsonl(const std::string& path, std::string_view t, PartyFile& pf) {
  LineSplitter lines(t);
  std::string_view row;
  std::size_t line = 0;
  bool too_long = false;
  while (lines.next(row, line, too_long)) {
    if (too_long) {
      pf.errors.push_back({path, line, "line longer than " + describe_byte_limit(lines.max_line_bytes())});
      continue;
    }
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto j = nlohmann::json::parse(row, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      pf.errors.push_back({path, line, "not a JSON object"});
      continue;
    }
    Party p;
    p.line = line;
    auto str = [&](const char* key) -> std::string {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return "";
      if (it->is_string()) return it->get<std::string>();
      if (it->is_number()) return it->dump();
      return "";
    };
    p.id = str("id");
    p.name = str("name");
    p.country = str("country");
    p.address = str("address");
    if (p.id.empty()) {
      pf.errors.push_back({path, line, "id: missing"});
      continue;
    }
    pf.parties.push_back(std::move(p));
  }
}

// CSV with a header row naming id and name (optional: country, address).
Status parties_from_csv(const std::string& path, std::string_view t, PartyFile& pf) {
  io::CsvReader reader(t);
  io::CsvRecord rec;
  std::string err;
  std::map<std::string, std::size_t> col;
  bool header_seen = false;
  for (;;) {
    const auto st = reader.next(rec, err);
    if (st == io::CsvStatus::kEnd) break;
    if (st == io::CsvStatus::kError) {
      pf.errors.push_back({path, rec.line, err});
      continue;
    }
    if (!header_seen) {
      header_seen = true;
      for (std::size_t i = 0; i < rec.fields.size(); ++i) {
        std::string k = rec.fields[i];
        for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        while (!k.empty() && k.back() == ' ') k.pop_back();
        while (!k.empty() && k.front() == ' ') k.erase(k.begin());
        col[k] = i;
      }
      if (!col.count("id") || !col.count("name"))
        return Status::error(path +
                             ": line 1: the header must name the columns id and name (optional: country, address)");
      continue;
    }
    auto get = [&](const char* k) -> std::string {
      auto it = col.find(k);
      return it == col.end() || it->second >= rec.fields.size() ? std::string() : rec.fields[it->second];
    };
    Party p;
    p.line = rec.line;
    p.id = get("id");
    p.name = get("name");
    p.country = get("country");
    p.address = get("address");
    if (p.id.empty()) {
      pf.errors.push_back({path, rec.line, "id: missing"});
      continue;
    }
    pf.parties.push_back(std::move(p));
  }
  if (!header_seen) return Status::error(path + ": empty file");
  return Status::ok();
}

}  // namespace

Result<PartyFile> parse_parties(const std::string& path, std::string_view text) {
  PartyFile pf;
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string_view::npos && text[first] == '{') {
    parties_from_jsonl(path, text, pf);
  } else if (Status s = parties_from_csv(path, text, pf); !s) {
    return s;
  }
  return pf;
}

Result<PartyFile> load_parties(const std::string& path) {
  auto text = read_bounded_file(path, input_limits::kPartyBatch);
  if (!text) return text.status();
  return parse_parties(path, text.value());
}

std::vector<Change> rescreen(const std::vector<Party>& parties, const Screener& before, const Screener& after,
                             const QueryOptions& options, unsigned threads) {
  auto a = before.batch(parties, options, threads);
  auto b = after.batch(parties, options, threads);
  std::vector<Change> out;
  for (std::size_t i = 0; i < parties.size(); ++i) {
    auto ids = [](const ScreenResult& r) {
      std::set<std::string> s;
      for (const auto& h : r.hits)
        if (h.score >= r.threshold) s.insert(h.list + "|" + h.name);
      return s;
    };
    std::string what;
    if (a[i].match != b[i].match)
      what = b[i].match ? "new match" : "no longer matches";
    else if (ids(a[i]) != ids(b[i]))
      what = "hits changed";
    if (what.empty()) continue;
    out.push_back({&parties[i], std::move(a[i]), std::move(b[i]), what});
  }
  return out;
}

}  // namespace chipgate::screen
