#include "screen/similarity.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace chipgate::screen {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  if (n == 0 || m == 0) return std::max(n, m);
  if (n > 64 || m > 64) return a == b ? 0 : limit + 1;  // tokens are short; long ones only match exactly
  // Three rows, rotated (no copying): r2 = row i-2, r1 = row i-1, r0 = row i.
  std::array<std::array<std::uint8_t, 66>, 3> rows;
  std::uint8_t* r2 = rows[0].data();
  std::uint8_t* r1 = rows[1].data();
  std::uint8_t* r0 = rows[2].data();
  for (std::size_t j = 0; j <= m; ++j) r1[j] = static_cast<std::uint8_t>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    r0[0] = static_cast<std::uint8_t>(i);
    std::size_t row_min = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t v = std::min<std::size_t>({r1[j] + 1u, r0[j - 1] + 1u, r1[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min<std::size_t>(v, r2[j - 2] + 1u);
      r0[j] = static_cast<std::uint8_t>(v);
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    std::uint8_t* t = r2;
    r2 = r1;
    r1 = r0;
    r0 = t;
  }
  return std::min<std::size_t>(r1[m], limit + 1);
}

double jaro_winkler(std::string_view a, std::string_view b, bool always_boost) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;
  const std::size_t la = a.size(), lb = b.size();
  const std::size_t window = std::max<std::size_t>(1, std::max(la, lb) / 2) - 1;
  std::vector<char> ma(la, 0), mb(lb, 0);
  std::size_t matches = 0;
  for (std::size_t i = 0; i < la; ++i) {
    const std::size_t lo = i > window ? i - window : 0;
    const std::size_t hi = std::min(lb, i + window + 1);
    for (std::size_t j = lo; j < hi; ++j) {
      if (mb[j] || a[i] != b[j]) continue;
      ma[i] = mb[j] = 1;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  std::size_t transpositions = 0;
  for (std::size_t i = 0, j = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double jaro =
      (m / static_cast<double>(la) + m / static_cast<double>(lb) + (m - static_cast<double>(transpositions) / 2) / m) /
      3.0;
  if (!always_boost && jaro <= 0.7) return jaro;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

std::string soundex(std::string_view token) {
  auto code = [](char c) -> char {
    switch (c) {
      case 'B':
      case 'F':
      case 'P':
      case 'V':
        return '1';
      case 'C':
      case 'G':
      case 'J':
      case 'K':
      case 'Q':
      case 'S':
      case 'X':
      case 'Z':
        return '2';
      case 'D':
      case 'T':
        return '3';
      case 'L':
        return '4';
      case 'M':
      case 'N':
        return '5';
      case 'R':
        return '6';
      case 'H':
      case 'W':
        return 'h';  // do not separate equal codes
      default:
        return '0';  // vowels (and Y) separate equal codes
    }
  };
  std::string out;
  char last = 0;
  for (char ch : token) {
    char c = ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 32) : ch;
    if (c < 'A' || c > 'Z') continue;
    const char k = code(c);
    if (out.empty()) {
      out.push_back(c);
      last = k;
      continue;
    }
    if (k == 'h') continue;
    if (k != '0' && k != last) out.push_back(k);
    last = k;
    if (out.size() == 4) break;
  }
  if (out.empty()) return out;
  while (out.size() < 4) out.push_back('0');
  return out;
}

double ofac_score(const std::vector<std::string>& q, const std::vector<std::string>& n) {
  if (q.empty() || n.empty()) return 0.0;
  std::string qa, na;
  for (const auto& t : q) qa += (qa.empty() ? "" : " ") + t;
  for (const auto& t : n) na += (na.empty() ? "" : " ") + t;
  double whole = qa[0] == na[0] ? jaro_winkler(qa, na, true) : 0.0;
  double sum = 0;
  std::size_t parts = 0;
  for (const auto& qt : q) {
    if (qt.size() <= 2) continue;
    ++parts;
    const std::string qs = soundex(qt);
    double best = 0;
    for (const auto& nt : n) {
      double s = jaro_winkler(qt, nt, true);
      if (!qs.empty() && qs == soundex(nt)) s = std::max(s, (s + 1.0) / 2.0);
      if (s < 0.5) s = 0;
      best = std::max(best, s);
    }
    sum += best;
  }
  const double composite = parts ? sum / static_cast<double>(parts) : 0.0;
  return std::min(1.0, std::max(whole, composite));
}

}  // namespace chipgate::screen
