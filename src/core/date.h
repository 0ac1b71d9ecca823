// Calendar dates (ISO 8601, proleptic Gregorian), the as-of key of every rule lookup.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/result.h"

namespace chipgate {

class Date {
 public:
  constexpr Date() = default;
  // Days since 1970-01-01; the only state, so comparison and arithmetic are trivial.
  static constexpr Date from_days(int days) {
    Date d;
    d.days_ = days;
    return d;
  }
  static Date from_ymd(int year, unsigned month, unsigned day);

  // Accepts "YYYY-MM-DD" or the word "today" (UTC). Rejects impossible dates such as 2023-02-30.
  static Result<Date> parse(std::string_view text);
  static Date today_utc();

  int days() const { return days_; }
  int year() const;
  std::string to_string() const;
  Date plus_days(int n) const { return from_days(days_ + n); }

  auto operator<=>(const Date&) const = default;

 private:
  int days_ = 0;
};

}  // namespace chipgate
