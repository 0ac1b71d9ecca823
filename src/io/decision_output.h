// Rendering licence decisions: the JSON object of the decide contract (with its trace), CSV rows,
// and the batch summary.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_writer.h"
#include "io/orders.h"
#include "license/decision.h"
#include "license/shipment_outcome.h"

namespace chipgate::io {

// The decision object of the decide contract, with its trace. The text is written directly (no
// document tree: this is the hot path of `chipgate decide --format jsonl` and POST /v1/decide) and is
// exactly what nlohmann's compact dump of decision_to_json() gives.
void write_decision_json(JsonWriter& w, const license::OrderLine& line, const license::Decision& d,
                         const std::string& snapshot_id);
std::string decision_json_text(const license::OrderLine& line, const license::Decision& d,
                               const std::string& snapshot_id);
// The same object as a document, for callers that nest or pretty-print it.
nlohmann::ordered_json decision_to_json(const license::OrderLine& line, const license::Decision& d,
                                        const std::string& snapshot_id);

// The whole-shipment answer: {"order_id", "date", "license_required", "review_policy",
// "exceptions", "lines": {"license_required": [...], "undetermined": [...], "no_license_required": [...]},
// "value_usd", "value_usd_license_required"}.
nlohmann::ordered_json shipment_to_json(const license::ShipmentOutcome& s);

// CSV: the decision's columns, then `status` ("decided" or "error") and `error` (a failed line's
// "row N, column C: problem"), so that a user filtering the file sees the lines that were not decided.
std::string decision_csv_header();
std::string decision_csv_row(const license::OrderLine& line, const license::Decision& d);

// The table form's block for one decision: "ORDER/LINE DATE PRODUCT: <conclusion> (rules LABEL)", then
// one line per reason, what is missing, the review citation and the exceptions' conditions; with
// `explain`, every trace step of the JSON contract as "step id: result; why [citation]".
std::string decision_text(const license::OrderLine& line, const license::Decision& d, const std::string& snapshot_id,
                          bool explain);

// A line that was not decided (io/orders.h), written in every output format beside the decisions:
// {"order_id", "line", "row", "status": "error", "field", "problem", "error": "row N, column C: problem"};
// order_id and line are null when not read.
void write_failed_line_json(JsonWriter& w, const FailedLine& f);
nlohmann::ordered_json failed_line_to_json(const FailedLine& f);
std::string failed_line_csv_row(const FailedLine& f);

// Counts for the summary: lines by outcome, orders needing a licence, value by outcome.
struct DecisionSummary {
  std::size_t lines = 0, license_required = 0, no_license = 0, undetermined = 0, with_exception = 0, failed = 0;
  double value_license_required = 0, value_no_license = 0, value_undetermined = 0;
  std::map<std::string, bool> orders;  // order id -> any line needs a licence
  void add(const license::OrderLine& line, const license::Decision& d);
  nlohmann::ordered_json to_json() const;
};

}  // namespace chipgate::io
