#include "io/decision_output.h"

#include "core/json_util.h"
#include "io/classification_output.h"

namespace chipgate::io {

using json = nlohmann::ordered_json;
using license::TestedProvision;

namespace {

json trace_json(const license::OrderLine& line, const license::Decision& d, const std::string& snapshot_id) {
  json t = json::array();
  if (d.rules) {
    t.push_back({{"step", "rules"},
                 {"version", d.rules->version.id},
                 {"label", d.rules->label()},
                 {"federal_register", d.rules->version.federal_register},
                 {"hash", d.rules->hash}});
  } else {
    t.push_back({{"step", "rules"},
                 {"text", "No advanced-computing rule version in force on " + d.date.to_string() +
                              "; only company letters and restricted-party lists are checked"}});
  }
  const auto& c = d.classification;
  json cls = {{"step", "classification"},
              {"product_id", line.product_id},
              {"status", classify::status_name(c.status)},
              {"eccn", c.eccns},
              {"tokens", d.item_tokens}};
  if (!c.candidates.empty()) cls["candidates"] = c.candidates;
  if (c.metrics.tpp) cls["tpp"] = *c.metrics.tpp;
  if (c.metrics.pd) cls["pd"] = *c.metrics.pd;
  if (c.metrics.dram_bw) cls["dram_bw"] = *c.metrics.dram_bw;
  t.push_back(cls);
  static const rules::LicenseRules kNoRules;
  const auto& lic = d.rules ? d.rules->license : kNoRules;
  t.push_back({{"step", "destination"},
               {"ship_to", line.ship_to},
               {"canonical", lic.canonical(line.ship_to)},
               {"groups", lic.groups_of(line.ship_to)},
               {"end_user_hq_country", line.end_user_hq_country},
               {"hq_groups", line.end_user_hq_country.empty() ? std::vector<std::string>{}
                                                              : lic.groups_of(line.end_user_hq_country)},
               {"export_from", line.export_from}});
  for (const auto& p : d.trace) {
    json s;
    switch (p.kind) {
      case TestedProvision::Kind::kRequirement:
      case TestedProvision::Kind::kNotEnforced: {
        const auto* r = static_cast<const rules::LicenseRequirement*>(p.provision);
        s = {{"step", "requirement"},
             {"id", r->id},
             {"citation", r->citation},
             {"source", r->source.to_string()},
             {"result", p.kind == TestedProvision::Kind::kNotEnforced ? "in the text, not enforced"
                        : p.applies                                   ? "applies"
                                                                      : "does not apply"},
             {"why", p.why}};
        break;
      }
      case TestedProvision::Kind::kLetter: {
        const auto* l = static_cast<const rules::Letter*>(p.provision);
        s = {{"step", "letter"},
             {"id", l->id},
             {"recipient", l->recipient},
             {"citation", l->citation},
             {"result", p.applies ? "applies" : "does not apply"},
             {"why", p.why}};
        break;
      }
      case TestedProvision::Kind::kLettersSuspended:
        s = {{"step", "letters"}, {"result", "suspended"}, {"why", p.why}};
        break;
      case TestedProvision::Kind::kEndUse: {
        const auto* e = static_cast<const rules::EndUseControl*>(p.provision);
        s = {{"step", "end_use"},
             {"code", e->code},
             {"citation", e->citation},
             {"result", p.applies ? "applies" : "does not apply"},
             {"why", p.why}};
        break;
      }
      case TestedProvision::Kind::kReview: {
        const auto* r = static_cast<const rules::ReviewRule*>(p.provision);
        s = {{"step", "review"}, {"why", p.why}};
        if (r) {
          s["rule"] = r->id;
          s["policy"] = rules::review_policy_code(r->policy);
          s["citation"] = r->citation;
          s["text"] = r->text;
        }
        break;
      }
      case TestedProvision::Kind::kException:
      case TestedProvision::Kind::kExceptionBlocked: {
        const auto* e = static_cast<const rules::LicenseException*>(p.provision);
        s = {{"step", "exception"},
             {"id", e->id},
             {"citation", e->citation},
             {"result", p.applies ? "available" : "not available"},
             {"why", p.why}};
        break;
      }
    }
    t.push_back(s);
  }
  json parties = {{"step", "parties"}, {"screened", !snapshot_id.empty()}, {"hits", d.parties.size()}};
  if (!snapshot_id.empty()) parties["list_snapshot"] = snapshot_id;
  t.push_back(parties);
  std::string conclusion = !d.license_required.has_value()
                               ? "Undetermined: the item's classification decides whether a licence is needed."
                           : *d.license_required ? "Licence required."
                                                 : "No licence required for this line on this date.";
  t.push_back({{"step", "conclusion"}, {"text", conclusion + " " + kDisclaimer}});
  return t;
}

}  // namespace

json decision_to_json(const license::OrderLine& line, const license::Decision& d, const std::string& snapshot_id) {
  json j = {
      {"order_id", line.order_id}, {"line", line.line}, {"date", d.date.to_string()}, {"product_id", line.product_id}};
  j["eccn"] = d.classification.eccns;
  j["classification"] = classify::status_name(d.classification.status);
  j["license_required"] = d.license_required ? json(*d.license_required) : json(nullptr);
  json reasons = json::array();
  for (const auto& r : d.reasons) reasons.push_back(r.text());
  if (!d.license_required.has_value() && !d.missing.empty()) {
    std::string m;
    for (const auto& x : d.missing) m += (m.empty() ? "" : ", ") + x;
    reasons.push_back("Missing item parameters: " + m);
  }
  j["reasons"] = reasons;
  j["review_policy"] = d.review_policy ? json(rules::review_policy_code(*d.review_policy)) : json(nullptr);
  if (d.review_policy) j["review_citation"] = d.review_citation;
  json ex = json::array();
  for (std::size_t i = 0; i < d.exceptions.size(); ++i) {
    const auto* e = d.exceptions[i];
    json conds = e->conditions;
    if (!d.exception_notes[i].empty()) conds.push_back(d.exception_notes[i]);
    json o = {{"name", e->id}, {"title", e->name}, {"citation", e->citation}, {"conditions", conds}};
    if (e->notification_days) o["notification_days"] = e->notification_days;
    ex.push_back(o);
  }
  j["exceptions"] = ex;
  json parties = json::array();
  for (std::size_t i = 0; i < d.parties.size(); ++i) {
    const auto& h = d.parties[i];
    parties.push_back({{"role", d.party_roles[i]},
                       {"list", h.list},
                       {"entry_id", h.entry_id},
                       {"name", h.name},
                       {"matched_name", h.matched_name},
                       {"country", h.country},
                       {"score", h.score},
                       {"license_requirement", h.license_requirement},
                       {"federal_register", h.federal_register},
                       {"fdp", h.fdp},
                       {"explanation", h.explanation}});
  }
  j["parties"] = parties;
  j["missing"] = d.missing;
  j["rules"] = d.rules ? json(d.rules->label()) : json(nullptr);
  j["trace"] = trace_json(line, d, snapshot_id);
  return j;
}

std::string decision_csv_header() {
  return "order_id,line,date,product_id,eccn,license_required,review_policy,exceptions,reasons,parties,rules\n";
}

std::string decision_csv_row(const license::OrderLine& line, const license::Decision& d) {
  auto join = [](const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
  };
  std::vector<std::string> reasons, exceptions, parties;
  for (const auto& r : d.reasons) reasons.push_back(r.text());
  for (const auto* e : d.exceptions) exceptions.push_back(e->id);
  for (const auto& p : d.parties) parties.push_back(p.name + " (" + p.list + ")");
  const std::string req = !d.license_required ? "undetermined" : *d.license_required ? "true" : "false";
  return csv_escape(line.order_id) + "," + csv_escape(line.line) + "," + d.date.to_string() + "," +
         csv_escape(line.product_id) + "," + csv_escape(join(d.classification.eccns, ";")) + "," + req + "," +
         (d.review_policy ? rules::review_policy_code(*d.review_policy) : "") + "," +
         csv_escape(join(exceptions, ";")) + "," + csv_escape(join(reasons, " | ")) + "," +
         csv_escape(join(parties, "; ")) + "," + csv_escape(d.rules ? d.rules->label() : "") + "\n";
}

json shipment_to_json(const license::ShipmentOutcome& s) {
  const auto required = s.license_required();
  return {{"order_id", s.order_id()},
          {"date", s.date().to_string()},
          {"license_required", required ? json(*required) : json(nullptr)},
          {"review_policy", s.review_policy() ? json(rules::review_policy_code(*s.review_policy())) : json(nullptr)},
          {"exceptions", s.exceptions()},
          {"lines",
           {{"license_required", s.lines_license_required()},
            {"undetermined", s.lines_undetermined()},
            {"no_license_required", s.lines_no_license()}}},
          {"value_usd", s.value_usd()},
          {"value_usd_license_required", s.value_license_required()}};
}

void DecisionSummary::add(const license::OrderLine& line, const license::Decision& d) {
  ++lines;
  const double value = line.value_usd;
  bool& order_flag = orders[line.order_id];
  if (!d.license_required) {
    ++undetermined;
    value_undetermined += value;
  } else if (*d.license_required) {
    ++license_required;
    value_license_required += value;
    order_flag = true;
    if (!d.exceptions.empty()) ++with_exception;
  } else {
    ++no_license;
    value_no_license += value;
  }
}

json DecisionSummary::to_json() const {
  std::size_t orders_needing = 0;
  for (const auto& [id, needs] : orders) orders_needing += needs ? 1 : 0;
  return {{"lines", lines},
          {"license_required", license_required},
          {"license_required_with_exception_available", with_exception},
          {"no_license_required", no_license},
          {"undetermined", undetermined},
          {"failed", failed},
          {"orders", orders.size()},
          {"orders_needing_a_license", orders_needing},
          {"value_usd",
           {{"license_required", value_license_required},
            {"no_license_required", value_no_license},
            {"undetermined", value_undetermined}}}};
}

}  // namespace chipgate::io
