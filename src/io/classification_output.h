// Rendering classifications: the JSON object of the interface contract (with its trace), the
// readable explanation, CSV rows and the console table. One JSON trace is the source of truth;
// the text explanation is rendered from it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "classify/classifier.h"

namespace chipgate::io {

// {"id", "date", "status", "eccn", "missing", "candidates", "rules", "metrics", "trace"}.
nlohmann::ordered_json classification_to_json(const classify::Item& item, const classify::Classification& c);

// The trace alone (array of steps).
nlohmann::ordered_json trace_to_json(const classify::Item& item, const classify::Classification& c);

// The trace as indented lines for people.
std::string trace_to_text(const nlohmann::ordered_json& trace);

// CSV output (through io::CsvWriter: quoted and neutralised against formulas).
std::string classification_csv_header();
std::string classification_csv_row(const classify::Item& item, const classify::Classification& c);

// Fixed-width console table; rows are vectors of cells, the first row is the header.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

// A licence answer in every text format (tables, CSV, HTML): "required", "not required" or
// "undetermined" (JSON carries true, false or null).
inline const char* licence_answer(std::optional<bool> required) {
  return !required ? "undetermined" : *required ? "required" : "not required";
}

// Shown with every human-readable output.
inline constexpr const char* kDisclaimer =
    "Not legal advice: chipgate shows its reasoning so that a person can check it against the "
    "current EAR (15 CFR 730-774) before relying on it.";

}  // namespace chipgate::io
