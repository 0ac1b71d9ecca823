// Ownership rows in the store (migration 0004, both backends): each import is one audit record in
// the same transaction as its rows; a later row of the same (party, owner) pair replaces the
// earlier; an unknown share is kept as unknown (NULL), not as 0; a bad row writes nothing.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace chipgate::store {
namespace {

using testing::StoreTest;

class OwnershipStoreTest : public StoreTest {};

OwnershipRow row(const std::string& party, const std::string& owner, std::optional<std::string> percent,
                 const std::string& source = "register extract") {
  OwnershipRow r;
  r.party = party;
  r.owner = owner;
  r.party_key = party + "-key";
  r.owner_key = owner + "-key";
  r.percent = std::move(percent);
  r.source = source;
  return r;
}

TEST_P(OwnershipStoreTest, RowsAndTheirAuditRecordAreWrittenTogether) {
  auto a = store_->record_ownership("k-admin", {row("B Corp", "A Listed", "60"), row("C Ltd", "B Corp", std::nullopt)},
                                    {{"file", "owners.csv"}});
  ASSERT_TRUE(a) << a.message();
  auto rows = store_->ownership();
  ASSERT_TRUE(rows) << rows.message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].party, "B Corp");
  EXPECT_EQ((*rows)[0].percent, std::optional<std::string>("60"));
  EXPECT_EQ((*rows)[0].audit_id, a.value());
  EXPECT_EQ((*rows)[0].actor, "k-admin");
  EXPECT_EQ((*rows)[1].percent, std::nullopt) << "an unknown share stays unknown";
  auto recs = store_->audit_records(a.value(), 1);
  ASSERT_TRUE(recs && recs->size() == 1u);
  EXPECT_EQ(recs->front().kind, "ownership.import");
  const auto inputs = nlohmann::json::parse(recs->front().inputs);
  EXPECT_EQ(inputs["details"]["file"], "owners.csv");
  ASSERT_EQ(inputs["records"].size(), 2u);
  EXPECT_EQ(inputs["records"][0]["percent"], 60.0);
  EXPECT_TRUE(inputs["records"][1]["percent"].is_null());
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

TEST_P(OwnershipStoreTest, ALaterRowOfTheSamePairReplacesTheEarlier) {
  ASSERT_TRUE(store_->record_ownership("k-1", {row("B Corp", "A Listed", "60")}));
  auto second = store_->record_ownership("k-2", {row("B Corp", "A Listed", "40", "annual report 2026")});
  ASSERT_TRUE(second) << second.message();
  auto rows = store_->ownership();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().percent, std::optional<std::string>("40"));
  EXPECT_EQ(rows->front().source, "annual report 2026");
  EXPECT_EQ(rows->front().audit_id, second.value());
  EXPECT_EQ(count("audit_log"), 2);  // both imports stay in the chain
}

TEST_P(OwnershipStoreTest, ABadRowWritesNothing) {
  auto bad = row("C Ltd", "B Corp", "10");
  bad.source = std::string("bad \xff utf-8");
  auto r = store_->record_ownership("k-1", {row("B Corp", "A Listed", "60"), bad});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("ownership[1].source"), std::string::npos) << r.message();
  EXPECT_EQ(count("ownership"), 0);
  EXPECT_EQ(count("audit_log"), 0);
  EXPECT_FALSE(store_->record_ownership("k-1", {}));
}

INSTANTIATE_TEST_SUITE_P(Backends, OwnershipStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::store
