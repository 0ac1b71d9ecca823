#include "io/classification_output.h"

#include <algorithm>

#include "core/json_util.h"
#include "io/catalog.h"
#include "io/csv.h"

namespace chipgate::io {

using classify::Classification;
using classify::Item;
using classify::TraceStep;
using classify::Tri;
using json = nlohmann::ordered_json;

namespace {

const char* test_result(Tri t) {
  switch (t) {
    case Tri::kTrue:
      return "pass";
    case Tri::kFalse:
      return "fail";
    case Tri::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* entry_result(Tri t) {
  switch (t) {
    case Tri::kTrue:
      return "applies";
    case Tri::kFalse:
      return "does not apply";
    case Tri::kUnknown:
      return "undetermined";
  }
  return "undetermined";
}

json number_or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// For an unknown condition on a ratio whose numerator is known, the denominator value at which
// it would flip: "holds if die_area_mm2 <= 400 (2368 / 5.92)". Tells the user what to look up.
std::string would_decide(const rules::Condition& c, const Item& item, const classify::Metrics& m) {
  if (c.kind == rules::Condition::Kind::kFlag)
    return "holds if the item is " + std::string(c.flag_value ? "" : "not ") +
           "designed or marketed for use in datacenters";
  double numerator = 0;
  std::string denominator;
  if (c.name == "pd" && m.tpp && !item.die_area_mm2) {
    numerator = *m.tpp;
    denominator = "die_area_mm2";
  } else if (c.name == "mbd" && item.memory_bw_gbs && !item.hbm_stack_area_mm2) {
    numerator = *item.memory_bw_gbs;
    denominator = "hbm_stack_area_mm2";
  } else {
    return "";
  }
  if (c.value <= 0) return "";
  // x / a OP t  <=>  a INV(OP) x / t, for a > 0.
  const char* inverse = "";
  switch (c.op) {
    case rules::Op::kGreaterEqual:
      inverse = "<=";
      break;
    case rules::Op::kGreater:
      inverse = "<";
      break;
    case rules::Op::kLessEqual:
      inverse = ">=";
      break;
    case rules::Op::kLess:
      inverse = ">";
      break;
  }
  return "holds if " + denominator + " " + inverse + " " + format_fixed(numerator / c.value, 2) + " (" +
         format_fixed(numerator, 4) + " / " + format_number(c.value) + ")";
}

json condition_json(const rules::Condition& c, Tri r, const Item& item, const Classification& cl) {
  json j = {{"test", c.describe()}, {"result", test_result(r)}};
  if (c.kind == rules::Condition::Kind::kMetric) {
    j["value"] = number_or_null(cl.metrics.get(c.name));
    j["threshold"] = c.value;
  } else {
    j["value"] = classify::tri_name(item.datacenter);
  }
  if (r == Tri::kUnknown) {
    j["missing"] = c.kind == rules::Condition::Kind::kFlag ? std::vector<std::string>{c.name}
                                                           : classify::missing_inputs(c.name, item, cl.metrics);
    if (auto w = would_decide(c, item, cl.metrics); !w.empty()) j["would_decide"] = w;
  }
  j["source"] = c.source.to_string();
  return j;
}

json inputs_json(const Item& item) {
  json j = {{"kind", rules::item_kind_name(item.kind)}};
  if (!item.name.empty()) j["name"] = item.name;
  if (item.kind == classify::ItemKind::kIc) j["datacenter"] = classify::tri_name(item.datacenter);
  for (std::size_t u = 0; u < item.units.size(); ++u) {
    json rates = json::object();
    for (std::size_t p = 0; p < rules::kPrecisionCount; ++p)
      if (item.units[u].dense_rate[p]) rates[std::string(rules::kPrecisionNames[p])] = *item.units[u].dense_rate[p];
    if (item.units.size() == 1 && item.units[u].count == 1) {
      j["dense_rates"] = rates;
    } else {
      j["units"].push_back({{"count", item.units[u].count}, {"dense_rates", rates}});
    }
  }
  add_item_parameters(item, j);  // the catalog's names, as io::item_to_json
  if (item.kind == classify::ItemKind::kComputer) {
    j["contains_id"] = item.contained_id;
    j["contains_count"] = item.contained_count;
  }
  return j;
}

}  // namespace

json trace_to_json(const Item& item, const Classification& c) {
  json trace = json::array();
  if (!c.rules) {
    trace.push_back({{"step", "rules"},
                     {"text", "No advanced-computing rule version is in force on " + c.date.to_string() +
                                  ": ECCNs 3A090 and 4A090 did not exist before the first version took effect."}});
    trace.push_back({{"step", "conclusion"},
                     {"status", "not_controlled"},
                     {"text", "None of the advanced-computing entries applies on this date."}});
    return trace;
  }
  const auto& rs = *c.rules;
  json rules_step = {{"step", "rules"},
                     {"version", rs.version.id},
                     {"title", rs.version.title},
                     {"federal_register", rs.version.federal_register},
                     {"effective", rs.version.effective.to_string()},
                     {"in_text", rs.version.in_text},
                     {"enforced", rs.version.enforced},
                     {"hash", rs.hash}};
  if (rs.version.compliance_date) rules_step["compliance_date"] = rs.version.compliance_date->to_string();
  if (rs.scenario) rules_step["scenario"] = {{"name", rs.scenario->name}, {"title", rs.scenario->title}};
  trace.push_back(rules_step);
  trace.push_back({{"step", "inputs"}, {"item", inputs_json(item)}});

  // Metrics any condition of this rule set names, each with its derivation and the conventions used.
  std::vector<std::string> used;  // in order of first mention: tpp before pd
  auto use = [&](const std::string& name) {
    if (std::find(used.begin(), used.end(), name) == used.end()) used.push_back(name);
  };
  for (const auto& e : rs.entries)
    if (e.applies_to_kind(item.kind))
      for (const auto& p : e.prongs)
        for (const auto& cond : p.all)
          if (cond.kind == rules::Condition::Kind::kMetric) use(cond.name);
  for (const auto& n : rs.notes)
    for (const auto& cond : n.when)
      if (cond.kind == rules::Condition::Kind::kMetric && item.kind == classify::ItemKind::kIc) use(cond.name);
  for (const auto& name : used) {
    json m = {{"step", "metric"},
              {"name", name},
              {"label", classify::metric_label(name)},
              {"value", number_or_null(c.metrics.get(name))},
              {"unit", classify::metric_unit(name)},
              {"derivation", classify::describe_derivation(name, item, c.metrics)}};
    if (name == "tpp" || name == "bit_tops") {
      json bits = json::object();
      for (const auto& t : c.metrics.tpp_terms) bits[std::string(rules::kPrecisionNames[t.precision])] = t.bits;
      m["bit_length_convention"] = bits;
      if (!c.metrics.tpp_terms.empty() && !c.metrics.tpp_declared)
        m["precision"] = rules::kPrecisionNames[c.metrics.tpp_precision];
      if (c.metrics.tpp_mixed && !c.metrics.tpp_declared)
        m["mixed_precision"] = {{"sum_of_unit_maxima", *c.metrics.tpp},
                                {"highest_single_precision", *c.metrics.tpp_single_precision},
                                {"applied", "sum_of_unit_maxima"}};
      for (const auto& [key, text] : rs.conventions.notes)
        if (key == "tf32" && item.units.size() && item.units.front().dense_rate[rules::precision_index("tf32")])
          m["tf32_convention"] = text;
    }
    if (!c.metrics.get(name)) m["missing"] = classify::missing_inputs(name, item, c.metrics);
    trace.push_back(m);
  }

  json* open = nullptr;  // the prong or note whose conditions follow
  for (const auto& s : c.trace) {
    switch (s.kind) {
      case TraceStep::Kind::kNoVersion:
      case TraceStep::Kind::kRuleSet:
        break;
      case TraceStep::Kind::kProng:
        trace.push_back({{"step", "prong"},
                         {"entry", s.entry->id},
                         {"prong", s.prong->id},
                         {"text", s.prong->text},
                         {"result", test_result(s.result)},
                         {"conditions", json::array()}});
        open = &trace.back();
        break;
      case TraceStep::Kind::kNote:
        trace.push_back({{"step", "note"},
                         {"entry", s.entry->id},
                         {"note", s.note->id},
                         {"citation", s.note->citation},
                         {"text", s.note->text},
                         {"result", s.result == Tri::kTrue    ? "excludes"
                                    : s.result == Tri::kFalse ? "does not exclude"
                                                              : "unknown"},
                         {"conditions", json::array()}});
        open = &trace.back();
        break;
      case TraceStep::Kind::kCondition:
        if (open) (*open)["conditions"].push_back(condition_json(*s.condition, s.result, item, c));
        break;
      case TraceStep::Kind::kUnless:
        trace.push_back(
            {{"step", "precedence"},
             {"entry", s.entry->id},
             {"yields_to", s.other ? s.other->id : ""},
             {"result", s.result == Tri::kTrue ? "the other entry applies, so this one does not"
                                               : "undetermined: if the other entry applies, this one does not"}});
        break;
      case TraceStep::Kind::kContains: {
        json j = {{"step", "contains"},
                  {"entry", s.entry->id},
                  {"requires", s.entry->contains},
                  {"contained_id", item.contained_id},
                  {"count", item.contained_count},
                  {"result", test_result(s.result)}};
        if (c.contained) {
          j["contained_status"] = classify::status_name(c.contained->status);
          j["contained_eccn"] = c.contained->eccns;
        }
        trace.push_back(j);
        break;
      }
      case TraceStep::Kind::kEntry:
        trace.push_back({{"step", "entry"},
                         {"entry", s.entry->id},
                         {"title", s.entry->title},
                         {"citation", s.entry->citation},
                         {"result", entry_result(s.result)}});
        open = nullptr;
        break;
      case TraceStep::Kind::kScopeNote:
        trace.push_back({{"step", "scope"},
                         {"entry", s.entry->id},
                         {"citation", s.entry->citation},
                         {"text", s.entry->scope_note},
                         {"result", "not evaluated for this item"}});
        break;
      case TraceStep::Kind::kZParagraph:
        trace.push_back({{"step", "z_paragraph"},
                         {"base_eccn", item.base_eccn},
                         {"eccn", item.base_eccn + ".z"},
                         {"meets", s.entry ? s.entry->id : ""},
                         {"level", s.entry && s.entry->level == 1 ? "a" : "b"},
                         {"citation", rs.z.citation},
                         {"text", rs.z.text}});
        break;
    }
  }

  std::string text;
  switch (c.status) {
    case classify::Status::kControlled: {
      std::string list;
      for (const auto& e : c.eccns) list += (list.empty() ? "" : ", ") + e;
      text = "Controlled: " + list + " on " + c.date.to_string() + " under rule version " + rs.label() + ".";
      break;
    }
    case classify::Status::kNotControlled:
      text = "None of the advanced-computing entries (3A090, 4A090, .z) applies on " + c.date.to_string() +
             " under rule version " + rs.label() +
             ". Other ECCNs (e.g. 3A001, 3A991, 4A994, 5A992) or EAR99 may apply; they are outside chipgate's scope.";
      break;
    case classify::Status::kUndetermined: {
      std::string cands, miss;
      for (const auto& e : c.candidates) cands += (cands.empty() ? "" : ", ") + e;
      for (const auto& m : c.missing) miss += (miss.empty() ? "" : ", ") + m;
      text = "Undetermined on " + c.date.to_string() + ": may fall under " + cands + "; missing " +
             (miss.empty() ? "(see trace)" : miss) + ". The unknown tests above say what value would decide it.";
      break;
    }
  }
  trace.push_back({{"step", "conclusion"}, {"status", classify::status_name(c.status)}, {"text", text}});
  return trace;
}

json classification_to_json(const Item& item, const Classification& c) {
  json j = {{"id", item.id},
            {"date", c.date.to_string()},
            {"status", classify::status_name(c.status)},
            {"eccn", c.eccns},
            {"missing", c.missing}};
  if (!c.candidates.empty()) j["candidates"] = c.candidates;
  j["rules"] = c.rules ? json(c.rules->label()) : json(nullptr);
  j["metrics"] = {{"tpp", number_or_null(c.metrics.tpp)},
                  {"pd", number_or_null(c.metrics.pd)},
                  {"mbd", number_or_null(c.metrics.mbd)}};
  j["trace"] = trace_to_json(item, c);
  return j;
}

std::string trace_to_text(const json& trace) {
  std::string out;
  auto line = [&](int indent, const std::string& s) {
    out += std::string(static_cast<std::size_t>(indent), ' ') + s + "\n";
  };
  auto conditions = [&](const json& step) {
    for (const auto& cond : step.value("conditions", json::array())) {
      std::string s = cond.value("test", "") + "  [" + cond.value("result", "") + "]";
      if (cond.contains("value") && !cond["value"].is_null())
        s += "  value " + (cond["value"].is_number() ? format_fixed(cond["value"].get<double>(), 4)
                                                     : cond["value"].get<std::string>());
      if (cond.contains("missing")) {
        std::string miss;
        for (const auto& m : cond["missing"]) miss += (miss.empty() ? "" : ", ") + m.get<std::string>();
        s += "  missing: " + miss;
      }
      if (cond.contains("would_decide")) s += "; " + cond["would_decide"].get<std::string>();
      line(8, s);
    }
  };
  for (const auto& step : trace) {
    const std::string kind = step.value("step", "");
    if (kind == "rules") {
      if (step.contains("version")) {
        std::string s = "rules: version " + step["version"].get<std::string>() + " (" +
                        step["federal_register"].get<std::string>() + ", effective " +
                        step["effective"].get<std::string>() + ")";
        if (!step["enforced"].get<bool>()) s += " [in the text, not enforced]";
        if (step.contains("scenario")) s += " + scenario " + step["scenario"]["name"].get<std::string>();
        line(2, s);
      } else {
        line(2, step["text"].get<std::string>());
      }
    } else if (kind == "metric") {
      std::string v = step["value"].is_null() ? "unknown" : format_fixed(step["value"].get<double>(), 4);
      std::string unit = step.value("unit", "");
      line(2, "metric " + step["name"].get<std::string>() + " = " + v + (unit.empty() ? "" : " " + unit) + ": " +
                  step["derivation"].get<std::string>());
    } else if (kind == "prong") {
      line(4, step["entry"].get<std::string>() + " prong " + step["prong"].get<std::string>() + ": " +
                  step["result"].get<std::string>());
      conditions(step);
    } else if (kind == "note") {
      line(4, step["note"].get<std::string>() + " (" + step["citation"].get<std::string>() +
                  "): " + step["result"].get<std::string>());
      conditions(step);
    } else if (kind == "precedence") {
      line(4, step["entry"].get<std::string>() + " yields to " + step["yields_to"].get<std::string>() + ": " +
                  step["result"].get<std::string>());
    } else if (kind == "contains") {
      std::string eccn;
      for (const auto& e : step.value("contained_eccn", json::array()))
        eccn += (eccn.empty() ? "" : ", ") + e.get<std::string>();
      line(4, step["entry"].get<std::string>() + ": contains " + std::to_string(step["count"].get<int>()) + " x " +
                  step["contained_id"].get<std::string>() + " (" + step.value("contained_status", "") +
                  (eccn.empty() ? "" : " " + eccn) + "): " + step["result"].get<std::string>());
    } else if (kind == "entry") {
      line(2, "=> " + step["entry"].get<std::string>() + " " + step["result"].get<std::string>() + "  (" +
                  step["citation"].get<std::string>() + ")");
    } else if (kind == "scope") {
      line(2, "=> " + step["entry"].get<std::string>() + " not evaluated: " + step["text"].get<std::string>());
    } else if (kind == "z_paragraph") {
      line(2, "=> " + step["eccn"].get<std::string>() + ": the item's own ECCN " +
                  step["base_eccn"].get<std::string>() + " takes its .z paragraph (meets " +
                  step["meets"].get<std::string>() + ", ." + step["level"].get<std::string>() + " level)");
    } else if (kind == "conclusion") {
      line(2, step["text"].get<std::string>());
    }
  }
  return out;
}

std::string classification_csv_header() {
  std::string out;
  CsvWriter(out).row({"id", "date", "status", "eccn", "candidates", "missing", "tpp", "pd", "mbd", "rules"});
  return out;
}

std::string classification_csv_row(const Item& item, const Classification& c) {
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ";") + x;
    return s;
  };
  auto num = [](const std::optional<double>& v) { return v ? format_fixed(*v, 4) : std::string(); };
  std::string out;
  CsvWriter w(out);
  w.cell(item.id).cell(c.date.to_string()).cell(classify::status_name(c.status));
  w.cell(join(c.eccns)).cell(join(c.candidates)).cell(join(c.missing));
  w.cell(num(c.metrics.tpp)).cell(num(c.metrics.pd)).cell(num(c.metrics.mbd));
  w.cell(c.rules ? c.rules->label() : "");
  w.end_row();
  return out;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    std::string line;
    for (std::size_t i = 0; i < rows[ri].size(); ++i) {
      line += rows[ri][i];
      if (i + 1 < rows[ri].size()) line += std::string(width[i] - rows[ri][i].size() + 2, ' ');
    }
    out += line + "\n";
    if (ri == 0) {
      std::size_t total = 0;
      for (auto w : width) total += w + 2;
      out += std::string(total > 2 ? total - 2 : total, '-') + "\n";
    }
  }
  return out;
}

}  // namespace chipgate::io
