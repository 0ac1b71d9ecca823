#include "core/date.h"

#include <chrono>
#include <cstdio>

namespace chipgate {

namespace {
bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}
int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
}  // namespace

Date Date::from_ymd(int year, unsigned month, unsigned day) {
  using namespace std::chrono;
  const sys_days sd{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
  return from_days(static_cast<int>(sd.time_since_epoch().count()));
}

Result<Date> Date::parse(std::string_view text) {
  if (text == "today") return today_utc();
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text.substr(0, 4)) ||
      !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) {
    return Result<Date>::error("'" + std::string(text) + "' is not a date in the form YYYY-MM-DD");
  }
  const int y = to_int(text.substr(0, 4));
  const auto m = static_cast<unsigned>(to_int(text.substr(5, 2)));
  const auto d = static_cast<unsigned>(to_int(text.substr(8, 2)));
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return Result<Date>::error("'" + std::string(text) + "' is not a valid calendar date");
  return from_ymd(y, m, d);
}

Date Date::today_utc() {
  using namespace std::chrono;
  const auto now = floor<std::chrono::days>(system_clock::now());
  return from_days(static_cast<int>(now.time_since_epoch().count()));
}

int Date::year() const {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{std::chrono::days{days_}}};
  return static_cast<int>(ymd.year());
}

std::string Date::to_string() const {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{std::chrono::days{days_}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace chipgate
