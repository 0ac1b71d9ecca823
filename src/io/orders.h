// Reading order books: CSV or JSON Lines with the fields `order_id, line, date, product_id,
// quantity, value_usd, ship_to, consignee, end_user, end_user_country, end_user_hq_country,
// end_uses` (plus optional `exporter`, `export_from`). A bad line is reported and skipped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/catalog.h"
#include "license/shipment.h"

namespace chipgate::io {

struct OrderRow {
  std::size_t row = 0;
  license::OrderLine line;
};

// A line of the order book that was not decided: not read (a bad field, a malformed row) or refused
// when deciding. order_id and line are what the row holds there ("" when it could not be read that
// far), so that the outputs can name the line beside its error.
struct FailedLine {
  RowError error;
  std::string order_id, line;
};

struct OrderBook {
  std::vector<OrderRow> lines;
  std::vector<FailedLine> errors;  // rows not read, in row order
};

Result<OrderBook> parse_orders_csv(std::string_view text);
Result<OrderBook> parse_orders_jsonl(std::string_view text);
// One order line from a JSON object (a JSON Lines record, or an element of POST /v1/decide).
// On error, `column` names the field at fault ("" when the value is not an object).
Result<license::OrderLine> order_line_from_json(const nlohmann::json& j, std::string& column);
Result<OrderBook> load_orders(const std::string& path);

}  // namespace chipgate::io
