// Rendering an impact report: one JSON document (the interface contract), CSV tables, and a
// self-contained HTML page (inline CSS, SVG charts drawn here; nothing fetched from a network).
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "impact/impact.h"

namespace chipgate::impact {

// {"disclaimer", "base", "scenario", "destination", "model", "products", "orders" (with an order
// book), "totals", "comparison", "thresholds", "errors"}. Order lines are streamed, one object per
// line; `orders` = "all" writes every line, "changed" only lines whose outcome changed.
void write_json(std::ostream& out, const ImpactReport& report, std::string_view orders = "all");

// One row per product: id, before/after status, ECCN, licence, changed, transition, capability.
void write_products_csv(std::ostream& out, const ImpactReport& report);
// The products for people (`--format table`): one row per product with its status and licence before
// and after, the transition and its main capability figures, then the totals and the disclaimer.
void write_products_table(std::ostream& out, const ImpactReport& report);
// One row per decided order line: ids, product, destination, quantity, value, before/after.
void write_orders_csv(std::ostream& out, const ImpactReport& report);

// The same report for people: tables and SVG charts. `max_order_rows` caps the table of changed
// order lines (the totals always count every line).
void write_html(std::ostream& out, const ImpactReport& report, std::size_t max_order_rows = 500);

}  // namespace chipgate::impact
