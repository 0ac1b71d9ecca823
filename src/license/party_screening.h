// Step 4 of license::decide (internal): the line's consignee and end user against the restricted-party
// lists, and through the ownership data against the Affiliates rule; what a line whose parties were
// not screened may still be told. Kept apart from decision.cpp, which combines the steps.
#pragma once

#include "license/decision.h"

namespace chipgate::license::detail {

struct PartyOutcome {
  bool barred = false;               // a listed party (or affiliate) bars licence exceptions (740.8(b))
  bool open = false;                 // the answer cannot be "no licence": parties not screened, or a share unknown
  std::vector<std::string> missing;  // what would settle an open answer
};

// Adds to `d`: the hits (parties), affiliate findings, their reasons and the trace steps kParties and
// kAffiliates; sets d.screening. `lic`: the licence rules of the version in force, or before the
// first version the standing provisions (Registry::standing(): the Entity List as the first version
// file writes it).
PartyOutcome screen_parties(const OrderLine& line, const rules::LicenseRules& lic, const DecideContext& ctx,
                            Decision& d);

// A licence is required and exceptions are offered, but the parties were not screened, or a listed
// owner's share of a party is unknown: each exception is offered only on the condition that no party
// is listed or covered, which could not be checked.
void condition_exceptions_on_screening(Decision& d);

}  // namespace chipgate::license::detail
