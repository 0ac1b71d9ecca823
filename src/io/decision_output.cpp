#include "io/decision_output.h"

#include <algorithm>

#include "core/json_util.h"
#include "core/json_writer.h"
#include "io/classification_output.h"
#include "io/csv.h"

namespace chipgate::io {

using json = nlohmann::ordered_json;
using license::TestedProvision;

namespace {

void write_parties_step(JsonWriter& w, const TestedProvision& p, const license::Decision& d,
                        const std::string& snapshot_id);
std::string conclusion(const license::Decision& d);

void write_trace(JsonWriter& w, const license::OrderLine& line, const license::Decision& d,
                 const std::string& snapshot_id) {
  w.begin_array();
  if (d.rules) {
    w.begin_object()
        .field("step", "rules")
        .field("version", d.rules->version.id)
        .field("label", d.rules->label())
        .field("federal_register", d.rules->version.federal_register)
        .field("hash", d.rules->hash)
        .end_object();
  } else {
    w.begin_object()
        .field("step", "rules")
        .field("text", "No advanced-computing rule version in force on " + d.date.to_string() +
                           "; only company letters and restricted-party lists are checked")
        .end_object();
  }
  const auto& c = d.classification;
  w.begin_object()
      .field("step", "classification")
      .field("product_id", line.product_id)
      .field("status", classify::status_name(c.status))
      .field("eccn", c.eccns)
      .field("tokens", d.item_tokens);
  if (!c.candidates.empty()) w.field("candidates", c.candidates);
  if (c.metrics.tpp) w.field("tpp", *c.metrics.tpp);
  if (c.metrics.pd) w.field("pd", *c.metrics.pd);
  if (c.metrics.dram_bw) w.field("dram_bw", *c.metrics.dram_bw);
  w.end_object();
  static const rules::LicenseRules kNoRules;
  const auto& lic = d.rules ? d.rules->license : kNoRules;
  w.begin_object()
      .field("step", "destination")
      .field("ship_to", line.ship_to)
      .field("canonical", lic.canonical(line.ship_to))
      .field("groups", lic.groups_of(line.ship_to))
      .field("end_user_hq_country", line.end_user_hq_country)
      .field("hq_groups",
             line.end_user_hq_country.empty() ? std::vector<std::string>{} : lic.groups_of(line.end_user_hq_country))
      .field("export_from", line.export_from);
  // Where a country's groups depend on a reading the text leaves open, the rules say which applies.
  std::vector<std::string> notes;
  for (const auto& code :
       {lic.canonical(line.ship_to),
        line.end_user_hq_country.empty() ? std::string() : lic.canonical(line.end_user_hq_country)}) {
    const auto it = lic.country_notes.find(code);
    if (it != lic.country_notes.end() && std::find(notes.begin(), notes.end(), code + ": " + it->second) == notes.end())
      notes.push_back(code + ": " + it->second);
  }
  if (!notes.empty()) w.field("country_notes", notes);
  w.end_object();
  for (const auto& p : d.trace) {
    w.begin_object();
    switch (p.kind) {
      case TestedProvision::Kind::kRequirement:
      case TestedProvision::Kind::kNotEnforced: {
        const auto* r = static_cast<const rules::LicenseRequirement*>(p.provision);
        w.field("step", "requirement")
            .field("id", r->id)
            .field("citation", r->citation)
            .field("source", r->source.to_string())
            .field("result", p.kind == TestedProvision::Kind::kNotEnforced ? "in the text, not enforced"
                             : p.applies                                   ? "applies"
                                                                           : "does not apply")
            .field("why", p.why);
        break;
      }
      case TestedProvision::Kind::kLetter: {
        const auto* l = static_cast<const rules::Letter*>(p.provision);
        w.field("step", "letter")
            .field("id", l->id)
            .field("recipient", l->recipient)
            .field("citation", l->citation)
            .field("result", p.applies ? "applies" : "does not apply")
            .field("why", p.why);
        break;
      }
      case TestedProvision::Kind::kLettersSuspended:
        w.field("step", "letters").field("result", "suspended").field("why", p.why);
        break;
      case TestedProvision::Kind::kEndUse: {
        const auto* e = static_cast<const rules::EndUseControl*>(p.provision);
        w.field("step", "end_use")
            .field("code", e->code)
            .field("citation", e->citation)
            .field("result", p.applies ? "applies" : "does not apply or undetermined")
            .field("why", p.why);
        break;
      }
      case TestedProvision::Kind::kReview:
      case TestedProvision::Kind::kReviewNotEnforced: {
        const auto* r = static_cast<const rules::ReviewRule*>(p.provision);
        w.field("step", "review")
            .field("result", p.kind == TestedProvision::Kind::kReviewNotEnforced ? "in the text, not enforced"
                             : p.applies                                         ? "applies"
                             : r                                                 ? "undetermined"
                                                                                 : "none")
            .field("why", p.why);
        if (r)
          w.field("rule", r->id)
              .field("policy", rules::review_policy_code(r->policy))
              .field("citation", r->citation)
              .field("text", r->text);
        break;
      }
      case TestedProvision::Kind::kAssumption: {
        const auto* r = static_cast<const rules::ReviewRule*>(p.provision);
        w.field("step", "assumption").field("rule", r->id).field("citation", r->citation).field("text", p.why);
        break;
      }
      case TestedProvision::Kind::kEmbargo: {
        const auto* e = static_cast<const rules::Embargo*>(p.provision);
        w.field("step", "embargo")
            .field("id", e->id)
            .field("citation", e->citation)
            .field("source", e->source.to_string())
            .field("result", p.applies ? "applies" : "undetermined")
            .field("why", p.why);
        break;
      }
      case TestedProvision::Kind::kException:
      case TestedProvision::Kind::kExceptionBlocked: {
        const auto* e = static_cast<const rules::LicenseException*>(p.provision);
        w.field("step", "exception")
            .field("id", e->id)
            .field("citation", e->citation)
            .field("result", p.applies ? "available" : "not available")
            .field("why", p.why);
        break;
      }
      case TestedProvision::Kind::kParties:
        write_parties_step(w, p, d, snapshot_id);
        break;
      case TestedProvision::Kind::kAffiliates: {
        const auto* a = static_cast<const rules::AffiliatesRule*>(p.provision);
        w.field("step", "affiliates_rule")
            .field("citation", a->citation)
            .field("source", a->source.to_string())
            .field("in_force", a->in_force)
            .field("result", p.applies ? "applied" : "not applied")
            .field("why", p.why)
            .field("status", a->status);
        break;
      }
    }
    w.end_object();
  }
  w.begin_object().field("step", "conclusion").field("text", conclusion(d) + " " + kDisclaimer).end_object();
  w.end_array();
}

// Who was screened, against which list snapshot, and (when not) why the answer stays open.
void write_parties_step(JsonWriter& w, const TestedProvision& p, const license::Decision& d,
                        const std::string& snapshot_id) {
  w.field("step", "parties")
      .field("status", license::screening_name(d.screening))
      .field("screened", d.screening == license::Decision::Screening::kScreened)
      .field("hits", d.parties.size());
  if (d.screening == license::Decision::Screening::kScreened && !snapshot_id.empty())
    w.field("list_snapshot", snapshot_id);
  if (const auto* el = static_cast<const rules::PartyListRule*>(p.provision)) {
    w.field("citation", el->citation);
    if (el->source.line) w.field("source", el->source.to_string());
  }
  w.field("why", p.why);
}

std::string conclusion(const license::Decision& d) {
  if (d.license_required.has_value())
    return *d.license_required ? "Licence required." : "No licence required for this line on this date.";
  std::string open;
  auto add = [&](license::Reason::Kind kind, const char* what) {
    if (std::any_of(d.reasons.begin(), d.reasons.end(), [&](const license::Reason& r) { return r.kind == kind; }))
      open += (open.empty() ? "" : "; ") + std::string(what);
  };
  add(license::Reason::Kind::kUndeterminedItem, "the item's classification decides whether a licence is needed");
  add(license::Reason::Kind::kUndeterminedScope,
      "whether an end-use control or embargo reaches the item depends on what the reasons name");
  add(license::Reason::Kind::kNotScreened, "the parties were not screened against restricted-party lists");
  add(license::Reason::Kind::kAffiliateUndetermined, "a listed owner's share of a party is unknown");
  return "Undetermined: " + (open.empty() ? std::string("see reasons") : open) + ".";
}

void write_affiliates(JsonWriter& w, const license::Decision& d) {
  w.key("affiliates").begin_array();
  for (std::size_t i = 0; i < d.affiliates.size(); ++i) {
    const auto& f = d.affiliates[i];
    w.begin_object()
        .field("role", d.affiliate_roles[i])
        .field("party", f.party)
        .field("status", f.status == license::AffiliateFinding::Status::kCovered ? "covered" : "undetermined")
        .field("restricted_share", f.restricted_share)
        .field("possible_share", f.possible_share);
    w.key("listed_owners").begin_array();
    for (const auto& h : f.listed_owners)
      w.begin_object()
          .field("list", h.list)
          .field("entry_id", h.entry_id)
          .field("name", h.name)
          .field("matched_name", h.matched_name)
          .field("score", h.score)
          .field("license_requirement", h.license_requirement)
          .end_object();
    w.end_array();
    w.key("paths").begin_array();
    for (const auto& path : f.paths) {
      w.begin_object().field("names", path.names);
      w.key("percents").begin_array();
      for (const auto& pct : path.percents) pct ? w.value(*pct) : w.null();
      w.end_array();
      w.key("look_through");
      path.look_through ? w.value(*path.look_through) : w.null();
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
}

}  // namespace

void write_decision_json(JsonWriter& w, const license::OrderLine& line, const license::Decision& d,
                         const std::string& snapshot_id) {
  w.begin_object()
      .field("order_id", line.order_id)
      .field("line", line.line)
      .field("date", d.date.to_string())
      .field("product_id", line.product_id)
      .field("eccn", d.classification.eccns)
      .field("classification", classify::status_name(d.classification.status))
      .field("license_required", d.license_required);
  w.key("reasons").begin_array();
  for (const auto& r : d.reasons) w.value(r.text());
  if (!d.license_required.has_value() && !d.missing.empty()) {
    std::string m;
    for (const auto& x : d.missing) m += (m.empty() ? "" : ", ") + x;
    w.value("Missing item parameters: " + m);
  }
  for (const auto& open : d.review_open) w.value("Review policy undetermined: " + open);
  w.end_array();
  if (d.review_policy)
    w.field("review_policy", rules::review_policy_code(*d.review_policy)).field("review_citation", d.review_citation);
  else
    w.key("review_policy").null();
  w.key("exceptions").begin_array();
  for (std::size_t i = 0; i < d.exceptions.size(); ++i) {
    const auto* e = d.exceptions[i];
    w.begin_object().field("name", e->id).field("title", e->name).field("citation", e->citation);
    w.key("conditions").begin_array();
    for (const auto& c : e->conditions) w.value(c);
    const int notice = d.exception_notice_days[i];
    if (notice && !e->notification_text.empty()) w.value(e->notification_text);
    if (!d.exception_notes[i].empty()) w.value(d.exception_notes[i]);
    w.end_array();
    if (notice) w.field("notification_days", notice);
    w.end_object();
  }
  w.end_array();
  w.key("parties").begin_array();
  for (std::size_t i = 0; i < d.parties.size(); ++i) {
    const auto& h = d.parties[i];
    w.begin_object()
        .field("role", d.party_roles[i])
        .field("list", h.list)
        .field("entry_id", h.entry_id)
        .field("name", h.name)
        .field("matched_name", h.matched_name)
        .field("country", h.country)
        .field("score", h.score)
        .field("license_requirement", h.license_requirement)
        .field("federal_register", h.federal_register)
        .field("fdp", h.fdp)
        .field("explanation", h.explanation)
        .end_object();
  }
  w.end_array();
  write_affiliates(w, d);
  w.key("screening").begin_object().field("status", license::screening_name(d.screening));
  if (d.screening == license::Decision::Screening::kScreened && !snapshot_id.empty())
    w.field("list_snapshot", snapshot_id);
  if (!d.ownership_id.empty()) w.field("ownership_data", d.ownership_id);
  w.end_object();
  w.field("missing", d.missing);
  if (d.rules)
    w.field("rules", d.rules->label());
  else
    w.key("rules").null();
  w.key("trace");
  write_trace(w, line, d, snapshot_id);
  w.end_object();
}

std::string decision_json_text(const license::OrderLine& line, const license::Decision& d,
                               const std::string& snapshot_id) {
  std::string out;
  out.reserve(4096);
  JsonWriter w(out);
  write_decision_json(w, line, d, snapshot_id);
  return out;
}

json decision_to_json(const license::OrderLine& line, const license::Decision& d, const std::string& snapshot_id) {
  return json::parse(decision_json_text(line, d, snapshot_id));
}

std::string decision_csv_header() {
  std::string out;
  CsvWriter(out).row({"order_id", "line", "date", "product_id", "eccn", "license_required", "review_policy",
                      "exceptions", "reasons", "parties", "rules", "status", "error"});
  return out;
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
  const std::string req = licence_answer(d.license_required);
  std::string out;
  CsvWriter w(out);
  w.cell(line.order_id).cell(line.line).cell(d.date.to_string()).cell(line.product_id);
  w.cell(join(d.classification.eccns, ";")).cell(req);
  w.cell(d.review_policy ? rules::review_policy_code(*d.review_policy) : "");
  w.cell(join(exceptions, ";")).cell(join(reasons, " | ")).cell(join(parties, "; "));
  w.cell(d.rules ? d.rules->label() : "");
  w.cell("decided").cell("");
  w.end_row();
  return out;
}

std::string decision_text(const license::OrderLine& line, const license::Decision& d, const std::string& snapshot_id,
                          bool explain) {
  std::string out = line.order_id + "/" + line.line + " " + d.date.to_string() + " " + line.product_id + ": " +
                    conclusion(d) + " (rules " + (d.rules ? d.rules->label() : std::string("none in force")) + ")\n";
  for (const auto& r : d.reasons) out += "  reason: " + r.text() + "\n";
  for (const auto& m : d.missing) out += "  missing: " + m + "\n";
  if (d.review_policy)
    out += std::string("  review: ") + rules::review_policy_code(*d.review_policy) + " [" + d.review_citation + "]\n";
  for (const auto& r : d.review_open) out += "  review open: " + r + "\n";
  for (std::size_t i = 0; i < d.exceptions.size(); ++i)
    out += "  exception " + d.exceptions[i]->id + " [" + d.exceptions[i]->citation + "]" +
           (d.exception_notes[i].empty() ? std::string() : ": " + d.exception_notes[i]) + "\n";
  if (!explain) return out;
  // The trace as the JSON contract carries it, one step a line (one source for every format).
  std::string text;
  JsonWriter w(text);
  write_trace(w, line, d, snapshot_id);
  const auto trace = json::parse(text);
  auto str = [](const json& step, const char* key) {
    const auto it = step.find(key);
    return it != step.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto list = [](const json& step, const char* key) {
    std::string joined;
    const auto it = step.find(key);
    if (it != step.end() && it->is_array())
      for (const auto& v : *it)
        if (v.is_string()) joined += (joined.empty() ? "" : ", ") + v.get<std::string>();
    return joined;
  };
  auto number = [](const json& step, const char* key) {
    const auto it = step.find(key);
    return it != step.end() && it->is_number() ? std::string(key) + " " + format_number(it->get<double>()) : "";
  };
  for (const auto& step : trace) {
    const std::string kind = str(step, "step");
    std::string name = kind, body;
    if (kind == "rules") {
      body = str(step, "text").empty() ? "version " + str(step, "label") + " (" + str(step, "federal_register") + ")"
                                       : str(step, "text");
    } else if (kind == "classification") {
      body = str(step, "status");
      if (const auto e = list(step, "eccn"); !e.empty()) body += ", " + e;
      if (const auto c = list(step, "candidates"); !c.empty()) body += ", candidates " + c;
      for (const char* key : {"tpp", "pd", "dram_bw"})
        if (const auto v = number(step, key); !v.empty()) body += ", " + v;
    } else if (kind == "destination") {
      body = "ship-to " + str(step, "ship_to") + " (" + list(step, "groups") + ")";
      if (const auto hq = str(step, "end_user_hq_country"); !hq.empty())
        body += "; headquarters " + hq + " (" + list(step, "hq_groups") + ")";
      if (const auto notes = list(step, "country_notes"); !notes.empty()) body += "; " + notes;
    } else {
      for (const char* key : {"id", "code", "rule"})
        if (const auto v = str(step, key); !v.empty()) {
          name += " " + v;
          break;
        }
      body = str(step, "result");
      for (const char* key : {"why", "text"})
        if (const auto v = str(step, key); !v.empty() && v != body) {
          body += (body.empty() ? "" : "; ") + v;
          break;
        }
      if (const auto c = str(step, "citation"); !c.empty()) body += " [" + c + "]";
    }
    out += "    " + name + ": " + body + "\n";
  }
  return out;
}

void write_failed_line_json(JsonWriter& w, const FailedLine& f) {
  w.begin_object();
  if (f.order_id.empty())
    w.key("order_id").null();
  else
    w.field("order_id", f.order_id);
  if (f.line.empty())
    w.key("line").null();
  else
    w.field("line", f.line);
  w.field("row", static_cast<std::uint64_t>(f.error.row))
      .field("status", "error")
      .field("field", f.error.column)
      .field("problem", f.error.problem)
      .field("error", f.error.to_string())
      .end_object();
}

nlohmann::ordered_json failed_line_to_json(const FailedLine& f) {
  std::string text;
  JsonWriter w(text);
  write_failed_line_json(w, f);
  return nlohmann::ordered_json::parse(text);
}

std::string failed_line_csv_row(const FailedLine& f) {
  std::string out;
  CsvWriter w(out);
  w.cell(f.order_id).cell(f.line);
  for (int i = 0; i < 9; ++i) w.cell("");  // date .. rules: nothing was decided
  w.cell("error").cell(f.error.to_string());
  w.end_row();
  return out;
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
