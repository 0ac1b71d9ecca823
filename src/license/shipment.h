// A shipment line as the licence determination sees it: what, to where, for whom, for what use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/date.h"

namespace chipgate::license {

struct OrderLine {
  std::string order_id;
  std::string line;          // line number or label within the order
  std::optional<Date> date;  // else the batch's --date, else today
  std::string product_id;    // catalog id
  double quantity = 0;
  double value_usd = 0;
  std::string ship_to;  // ISO 3166-1 alpha-2 (HK, MO as themselves)
  std::string consignee;
  std::string end_user;
  std::string end_user_country;
  std::string end_user_hq_country;    // headquarters of the end user or its ultimate parent
  std::vector<std::string> end_uses;  // declared end-use codes (see rules: license.end_uses)
  std::string exporter;               // who exports (for company-specific is-informed letters)
  std::string export_from = "US";     // country the export leaves from (US-origin lane of 2026)
};

}  // namespace chipgate::license
