// The same restricted-party list, published by another source, gives the same licence answer.
//
// The Entity List is published by BIS (list id bis-entity-list) and inside the trade.gov Consolidated
// Screening List, whose rows name their source "Entity List (EL) - Bureau of Industry and Security"
// (list id csl-el). 15 CFR 744.11: "BIS may impose ... license requirements ... on exports ... to an
// entity listed in Supplement No. 4 to this part" — the requirement follows the entity, not the file
// it was screened from. A compliance team that loads the CSL instead of BIS's files must therefore get
// "licence required" for a listed end user, and a party on a list without a licence requirement of its
// own (the Unverified List, UVL) must stay a reported hit without one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace chipgate {
namespace {

// One CSL row in the published column layout (the columns chipgate reads; others may follow).
std::string csl_file(const std::string& source) {
  return "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
         "standard_order,license_requirement,license_policy,alt_names\n"
         "t1,\"" +
         source +
         "\",,Entity,,Northwind Quantum Computing Institute,,\"12 Harbour Road, Singapore, SG\",89 FR 1 01/02/24,"
         "2024-01-02,,,For all items subject to the EAR.,Presumption of denial.,\n";
}

nlohmann::json decide_with(const std::string& dir, const std::string& source) {
  test::write_file(dir + "/csl.csv", csl_file(source));
  // 8 H100 to Singapore for the listed institute, on 2026-11-25: Singapore is in no destination group
  // of the 3A090 licence requirements, so only the party can require a licence.
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country\n"
                   "PO-L,1,2026-11-25,nvidia-h100-sxm5-80gb,8,240000,SG,Northwind Quantum Computing Institute,"
                   "Northwind Quantum Computing Institute,SG\n");
  const auto r = test::run_cli("decide --format jsonl --orders " + dir + "/orders.csv --catalog " +
                               test::source_path("data/sample-catalog.csv") + " --lists " + dir + "/csl.csv");
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  auto j = nlohmann::json::parse(line);
  // Exit 3 exactly when the line needs attention (a licence required, or open).
  EXPECT_EQ(r.exit_code, j["license_required"] == false ? 0 : 3) << r.err;
  return j;
}

TEST(ListPublications, EntityListRowsOfTheConsolidatedListRequireALicence) {
  const auto d = decide_with(test::temp_dir(), "Entity List (EL) - Bureau of Industry and Security");
  EXPECT_EQ(d["license_required"], true) << d.dump(2);
  // The reason cites the Entity List provision of the rule files (15 CFR 744.11).
  bool cited = false;
  for (const auto& r : d["reasons"]) cited = cited || r.get<std::string>().find("744.11") != std::string::npos;
  EXPECT_TRUE(cited) << d["reasons"].dump(2);
}

TEST(ListPublications, UnverifiedListRowsAreReportedWithoutALicenceRequirement) {
  const auto d = decide_with(test::temp_dir(), "Unverified List (UVL) - Bureau of Industry and Security");
  EXPECT_EQ(d["license_required"], false) << d.dump(2);
  EXPECT_EQ(d["screening"]["status"], "screened") << d.dump(2);
}

}  // namespace
}  // namespace chipgate
