// The rules loader and registry: files as data, errors with file and line, patches, dates.
#include <gtest/gtest.h>

#include <filesystem>

#include "rules/registry.h"
#include "test_support.h"

namespace chipgate {
namespace {

using rules::Registry;

// A minimal but complete base version; tests write variations of it into a temp directory.
constexpr const char* kBase = R"(# line 1
[version]
id = "2000-01-01"
title = "Base"
effective = 2000-01-01
federal_register = "1 FR 1"

[conventions.bit_length]
int4 = 4
int8 = 8
fp4 = 4
fp6 = 6
fp8 = 8
fp16 = 16
bf16 = 16
fp16_bf16 = 16
tf32 = 32
fp32 = 32
fp64 = 64

[entries."X.a"]
title = "X a"
citation = "cite a"
applies_to = ["ic"]
[entries."X.a".prongs."a.1"]
text = "TPP of 100 or more"
all = [{ metric = "tpp", op = ">=", value = 100 }]
)";

std::string dir_with(std::initializer_list<std::pair<std::string, std::string>> files) {
  const std::string dir = test::temp_dir();
  std::filesystem::create_directories(dir + "/scenarios");
  for (const auto& [name, content] : files) test::write_file(dir + "/" + name, content);
  return dir;
}

TEST(RulesLoader, LoadsMinimalVersion) {
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", kBase}}));
  ASSERT_TRUE(reg) << reg.message();
  ASSERT_EQ(reg.value()->versions().size(), 1u);
  const auto& rs = *reg.value()->versions().front();
  EXPECT_EQ(rs.version.id, "2000-01-01");
  ASSERT_EQ(rs.entries.size(), 1u);
  EXPECT_EQ(rs.entries[0].prongs[0].all[0].describe(), "tpp >= 100");
  // The condition remembers where it was written: line 27 of the file above.
  EXPECT_EQ(rs.entries[0].prongs[0].all[0].source.to_string(), "2000-01-01.toml:27");
  EXPECT_EQ(rs.hash.size(), 64u);
}

TEST(RulesLoader, UnknownMetricIsAnErrorWithFileAndLine) {
  std::string bad = kBase;
  bad.replace(bad.find("metric = \"tpp\""), 14, "metric = \"tppp\"");
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", bad}}));
  ASSERT_FALSE(reg);
  EXPECT_NE(reg.message().find("2000-01-01.toml:27"), std::string::npos) << reg.message();
  EXPECT_NE(reg.message().find("unknown metric 'tppp'"), std::string::npos) << reg.message();
}

TEST(RulesLoader, SyntaxErrorNamesFileAndLine) {
  std::string bad = kBase;
  bad += "broken = [\n";  // line 29: unterminated array
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", bad}}));
  ASSERT_FALSE(reg);
  EXPECT_NE(reg.message().find("2000-01-01.toml:"), std::string::npos) << reg.message();
}

TEST(RulesLoader, RejectsUnknownKeysBadOpsAndNegativeThresholds) {
  std::string typo = kBase;
  typo.replace(typo.find("applies_to"), 10, "aplies_to");
  auto r1 = Registry::load(dir_with({{"2000-01-01.toml", typo}}));
  ASSERT_FALSE(r1);
  EXPECT_NE(r1.message().find("unknown key 'aplies_to'"), std::string::npos) << r1.message();

  std::string op = kBase;
  op.replace(op.find("op = \">=\""), 9, "op = \"=>\"");
  auto r2 = Registry::load(dir_with({{"2000-01-01.toml", op}}));
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.message().find("op must be one of"), std::string::npos) << r2.message();

  std::string neg = kBase;
  neg.replace(neg.find("value = 100"), 11, "value = -5");
  auto r3 = Registry::load(dir_with({{"2000-01-01.toml", neg}}));
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.message().find("non-negative"), std::string::npos) << r3.message();
}

// Found by the fuzz campaign of 2026-12-06 (letters_fuzz): an integer threshold a double cannot hold
// exactly (433333333333333000) threw std::bad_optional_access out of the loader (toml++ gives no
// double for it). It is a finite, non-negative number: it loads, as the nearest double.
TEST(RulesLoader, AHugeIntegerThresholdLoads) {
  std::string big = kBase;
  big.replace(big.find("value = 100"), 11, "value = 433333333333333000");
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", big}}));
  ASSERT_TRUE(reg) << reg.message();
  EXPECT_EQ(reg.value()->versions().front()->entries[0].prongs[0].all[0].value, 433333333333333000.0);
}

TEST(RulesLoader, VersionIdMustMatchFileNameAndChainMustResolve) {
  auto r1 = Registry::load(dir_with({{"2000-01-02.toml", kBase}}));
  ASSERT_FALSE(r1);
  EXPECT_NE(r1.message().find("does not match the file name"), std::string::npos) << r1.message();

  const std::string orphan =
      "[version]\nid = \"2001-01-01\"\nextends = \"1999-01-01\"\ntitle = \"t\"\n"
      "effective = 2001-01-01\nfederal_register = \"2 FR 2\"\n";
  auto r2 = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"2001-01-01.toml", orphan}}));
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.message().find("no version '1999-01-01'"), std::string::npos) << r2.message();

  // A patch may not take effect before the version it amends.
  const std::string early =
      "[version]\nid = \"1999-06-01\"\nextends = \"2000-01-01\"\ntitle = \"t\"\n"
      "effective = 1999-06-01\nfederal_register = \"2 FR 2\"\n";
  auto r3 = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"1999-06-01.toml", early}}));
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.message().find("does not take effect before"), std::string::npos) << r3.message();
}

TEST(RulesLoader, PatchesMergeReplaceAndRemove) {
  const std::string patch = R"([version]
id = "2001-01-01"
extends = "2000-01-01"
title = "Patch"
effective = 2001-01-01
federal_register = "2 FR 2"

[entries."X.a".prongs."a.1"]
all = [{ metric = "tpp", op = ">=", value = 200 }]

[entries."X.b"]
title = "X b"
citation = "cite b"
applies_to = ["ic"]
unless = ["X.a"]
[entries."X.b".prongs."b.1"]
text = "TPP of 50 or more"
all = [{ metric = "tpp", op = ">=", value = 50 }]
)";
  const std::string removal = R"([version]
id = "2002-01-01"
extends = "2001-01-01"
title = "Removal"
effective = 2002-01-01
federal_register = "3 FR 3"

[entries."X.b"]
removed = true
)";
  auto reg =
      Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"2001-01-01.toml", patch}, {"2002-01-01.toml", removal}}));
  ASSERT_TRUE(reg) << reg.message();
  const auto v2001 = reg.value()->version("2001-01-01");
  ASSERT_TRUE(v2001);
  // The patch changed only the threshold; the prong keeps its text from the base file.
  const auto* xa = v2001->find_entry("X.a");
  ASSERT_TRUE(xa);
  EXPECT_EQ(xa->prongs[0].all[0].value, 200);
  EXPECT_EQ(xa->prongs[0].text, "TPP of 100 or more");
  EXPECT_EQ(xa->prongs[0].all[0].source.file, "2001-01-01.toml");
  ASSERT_TRUE(v2001->find_entry("X.b"));
  EXPECT_EQ(v2001->files, (std::vector<std::string>{"2000-01-01.toml", "2001-01-01.toml"}));
  // The removal version drops X.b; the base still has its own X.a threshold.
  EXPECT_EQ(reg.value()->version("2002-01-01")->find_entry("X.b"), nullptr);
  EXPECT_EQ(reg.value()->version("2000-01-01")->find_entry("X.a")->prongs[0].all[0].value, 100);
  // Distinct content, distinct hashes.
  EXPECT_NE(reg.value()->version("2000-01-01")->hash, v2001->hash);
}

TEST(RulesLoader, ReplaceDropsInheritedProngs) {
  const std::string patch = R"([version]
id = "2001-01-01"
extends = "2000-01-01"
title = "Patch"
effective = 2001-01-01
federal_register = "2 FR 2"

[entries."X.a"]
replace = true
title = "X a, new text"
citation = "cite a2"
applies_to = ["ic"]
[entries."X.a".prongs."new"]
text = "PD of 1 or more"
all = [{ metric = "pd", op = ">=", value = 1 }]
)";
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"2001-01-01.toml", patch}}));
  ASSERT_TRUE(reg) << reg.message();
  const auto* xa = reg.value()->version("2001-01-01")->find_entry("X.a");
  ASSERT_EQ(xa->prongs.size(), 1u);
  EXPECT_EQ(xa->prongs[0].id, "new");
}

TEST(RulesLoader, ScenarioMustNameKnownThingsAndResolveOverEveryVersion) {
  const std::string scenario =
      "[scenario]\nname = \"drop\"\ntitle = \"t\"\ndescription = \"d\"\n\n[entries.\"X.a\"]\nremoved = true\n";
  auto reg = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"scenarios/drop.toml", scenario}}));
  ASSERT_TRUE(reg) << reg.message();
  auto rs = reg.value()->resolve(Date::from_ymd(2000, 6, 1), "drop");
  ASSERT_TRUE(rs) << rs.message();
  EXPECT_EQ(rs.value()->label(), "2000-01-01+drop");
  EXPECT_EQ(rs.value()->find_entry("X.a"), nullptr);
  EXPECT_NE(rs.value()->hash, reg.value()->version("2000-01-01")->hash);

  auto unknown = reg.value()->resolve(Date::from_ymd(2000, 6, 1), "nope");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("unknown scenario 'nope' (available: drop)"), std::string::npos);

  const std::string misnamed = "[scenario]\nname = \"other\"\ntitle = \"t\"\ndescription = \"d\"\n";
  auto bad = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"scenarios/drop.toml", misnamed}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("does not match the file name"), std::string::npos);

  // A scenario whose patch leaves an incomplete entry fails at load time, not at first use.
  const std::string partial =
      "[scenario]\nname = \"partial\"\ntitle = \"t\"\ndescription = \"d\"\n\n[entries.\"Y\"]\ntitle = \"no prongs\"\n";
  auto broken = Registry::load(dir_with({{"2000-01-01.toml", kBase}, {"scenarios/partial.toml", partial}}));
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.message().find("scenarios/partial.toml:"), std::string::npos) << broken.message();
}

// A party list's surviving exceptions must be written, never defaulted (744.16(b) allows none for the
// Entity List); `predates_versions` puts the list among the standing provisions of dates before the
// first version, and only there.
TEST(RulesLoader, PartyListsNeedTheirExceptionsAndMayPredateTheVersions) {
  const std::string list = "\n[license.party_lists.\"el\"]\ncitation = \"c\"\ntext = \"t\"\n";
  auto missing = Registry::load(dir_with({{"2000-01-01.toml", std::string(kBase) + list}}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("2000-01-01.toml:"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("license.party_lists.el"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("exceptions_allowed"), std::string::npos) << missing.message();

  auto plain = Registry::load(dir_with({{"2000-01-01.toml", std::string(kBase) + list + "exceptions_allowed = []\n"}}));
  ASSERT_TRUE(plain) << plain.message();
  EXPECT_TRUE(plain.value()->standing().party_lists.empty());

  auto standing = Registry::load(dir_with(
      {{"2000-01-01.toml", std::string(kBase) + list + "exceptions_allowed = [\"GOV\"]\npredates_versions = true\n"}}));
  ASSERT_TRUE(standing) << standing.message();
  ASSERT_EQ(standing.value()->standing().party_lists.size(), 1u);
  EXPECT_EQ(standing.value()->standing().party_lists[0].list, "el");
  EXPECT_EQ(standing.value()->standing().party_lists[0].exceptions_allowed, std::vector<std::string>{"GOV"});

  auto bad = Registry::load(
      dir_with({{"2000-01-01.toml", std::string(kBase) + list + "exceptions_allowed = []\npredates_versions = 1\n"}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("predates_versions: must be true or false"), std::string::npos) << bad.message();
}

TEST(RulesLoader, MissingDirectoryIsAClearError) {
  auto reg = Registry::load("/nonexistent/rules");
  ASSERT_FALSE(reg);
  EXPECT_NE(reg.message().find("does not exist"), std::string::npos);
}

// The repository's own rule files: the version history of ../shared/docs/regulations.md (a), with
// the Macau date per the Trade Practitioner report (effective 17 Jan 2023).
TEST(RulesRepository, VersionsAndEffectiveDates) {
  const auto reg = test::registry();
  const std::vector<std::pair<std::string, std::string>> expected = {{"2022-10-07", "87 FR 62186"},
                                                                     {"2023-01-17", "88 FR 2821"},
                                                                     {"2023-11-17", "88 FR 73458"},
                                                                     {"2024-03-15", "89 FR 18780"},
                                                                     {"2024-04-04", "89 FR 23876"},
                                                                     {"2024-05-30", "89 FR 40369"},
                                                                     {"2024-12-02", "89 FR 96790"},
                                                                     {"2025-01-13", "90 FR 4544"},
                                                                     {"2025-01-16", "90 FR 5298"},
                                                                     {"2025-09-02", "90 FR 42315"},
                                                                     {"2025-09-29", "90 FR 47201"},
                                                                     {"2025-11-07", ""},
                                                                     {"2025-11-10", "90 FR 50857"},
                                                                     {"2026-01-15", "91 FR 1684"},
                                                                     {"2026-02-03", ""},
                                                                     {"2026-07-10", "91 FR 43034"},
                                                                     {"2026-11-10", ""}};
  ASSERT_EQ(reg->versions().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& v = reg->versions()[i]->version;
    EXPECT_EQ(v.id, expected[i].first);
    EXPECT_EQ(v.effective.to_string(), expected[i].first);
    if (!expected[i].second.empty()) {
      EXPECT_EQ(v.federal_register, expected[i].second);
    }
    EXPECT_FALSE(v.sources.empty()) << v.id << " has no source";
  }
  // AI Diffusion: in the text, not enforced (BIS, 13 May 2025).
  EXPECT_FALSE(reg->version("2025-01-13")->version.enforced);
  EXPECT_EQ(reg->version("2024-12-02")->version.compliance_date->to_string(), "2024-12-31");
}

TEST(RulesRepository, VersionInForceDayBeforeAndDayOf) {
  const auto reg = test::registry();
  EXPECT_EQ(reg->in_force(Date::from_ymd(2022, 10, 6)), nullptr);
  EXPECT_EQ(reg->in_force(Date::from_ymd(2022, 10, 7))->version.id, "2022-10-07");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2023, 11, 16))->version.id, "2023-01-17");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2023, 11, 17))->version.id, "2023-11-17");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2024, 5, 29))->version.id, "2024-04-04");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2024, 12, 1))->version.id, "2024-05-30");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2024, 12, 2))->version.id, "2024-12-02");
  EXPECT_EQ(reg->in_force(Date::from_ymd(2030, 1, 1))->version.id, "2026-11-10");
}

// The Affiliates rule's three periods (90 FR 47201 effective 2025-09-29; stayed by 90 FR 50857 from
// 2025-11-10 "until November 9, 2026"; back from 2026-11-10 absent an extension), as data, with the
// extends chain through the new versions (2025-11-07, Cambodia out of D:5, sits between the first two).
TEST(RulesRepository, AffiliatesRulePeriods) {
  const auto reg = test::registry();
  auto on = [&](int y, unsigned m, unsigned d) { return reg->in_force(Date::from_ymd(y, m, d)); };
  EXPECT_FALSE(on(2025, 9, 28)->license.affiliates.has_value());
  for (auto [y, m, d, in_force] :
       {std::tuple{2025, 9u, 29u, true}, std::tuple{2025, 11u, 9u, true}, std::tuple{2025, 11u, 10u, false},
        std::tuple{2026, 11u, 9u, false}, std::tuple{2026, 11u, 10u, true}}) {
    const auto rs = on(y, m, d);
    ASSERT_TRUE(rs->license.affiliates.has_value()) << rs->version.id;
    EXPECT_EQ(rs->license.affiliates->in_force, in_force) << rs->version.id;
    EXPECT_EQ(rs->license.affiliates->threshold_percent, 50);
    EXPECT_EQ(rs->license.affiliates->lists,
              (std::vector<std::string>{"bis-entity-list", "bis-meu", "csl-el", "csl-meu"}));
  }
  EXPECT_EQ(reg->version("2025-11-07")->version.extends, "2025-09-29");
  EXPECT_EQ(reg->version("2025-11-10")->version.extends, "2025-11-07");
  EXPECT_EQ(reg->version("2026-01-15")->version.extends, "2025-11-10");
  EXPECT_EQ(reg->version("2026-11-10")->version.extends, "2026-07-10");
  EXPECT_EQ(reg->version("2026-11-10")->version.fr_doc, "2025-19846");
  // The Entity List's own requirement, in the first version file, inherited by every version.
  for (const auto& v : reg->versions()) EXPECT_NE(v->license.party_list("bis-entity-list"), nullptr) << v->version.id;
}

TEST(RulesRepository, ThresholdsComeFromTheFiles) {
  const auto v = test::registry()->version("2023-11-17");
  const auto* a = v->find_entry("3A090.a");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->prongs.size(), 2u);
  EXPECT_EQ(a->prongs[0].all[0].describe(), "tpp >= 4800");
  EXPECT_EQ(a->prongs[1].all[1].describe(), "pd >= 5.92");
  EXPECT_EQ(v->conventions.bit_length.at("tf32"), 32);
  ASSERT_EQ(v->notes.size(), 1u);
  EXPECT_EQ(v->notes[0].when[1].describe(), "tpp < 4800");
  // 3A090.c exists from 2024-12-02 only.
  EXPECT_EQ(test::registry()->version("2024-04-04")->find_entry("3A090.c"), nullptr);
  EXPECT_EQ(test::registry()->version("2024-12-02")->find_entry("3A090.c")->prongs[0].all[0].describe(), "mbd > 2");
}

TEST(Dates, ParseFormatAndReject) {
  auto d = Date::parse("2024-02-29");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_string(), "2024-02-29");
  EXPECT_EQ(d->plus_days(1).to_string(), "2024-03-01");
  EXPECT_FALSE(Date::parse("2023-02-29"));
  EXPECT_FALSE(Date::parse("2023-13-01"));
  EXPECT_FALSE(Date::parse("23-01-01"));
  EXPECT_FALSE(Date::parse("2023/01/01"));
  EXPECT_FALSE(Date::parse(""));
  EXPECT_TRUE(Date::parse("today"));
  EXPECT_LT(Date::from_ymd(2022, 10, 6), Date::from_ymd(2022, 10, 7));
}

}  // namespace
}  // namespace chipgate

namespace chipgate {
namespace {

// Country Groups as dated data (regulations.md f.4): Nicaragua joined D:1 and D:5 on 2024-03-15
// (89 FR 18780), Cyprus left D:5 on 2024-05-30, Cambodia with ITAR 126.1 on 2025-11-07 (the EAR's
// conforming change followed on 2026-02-03; stays D:1); the UAE moved from D:4 to A:5 on 2026-07-10;
// HK is treated as CN.
TEST(RulesRepository, CountryGroupsAreVersioned) {
  const auto reg = test::registry();
  auto in = [&](const char* version, const char* country, const char* group) {
    const auto groups = reg->version(version)->license.groups_of(country);
    return std::find(groups.begin(), groups.end(), group) != groups.end();
  };
  EXPECT_TRUE(in("2024-04-04", "CY", "D:5"));
  EXPECT_FALSE(in("2024-05-30", "CY", "D:5"));
  EXPECT_TRUE(in("2024-05-30", "CY", "A:6"));
  EXPECT_FALSE(in("2023-11-17", "NI", "D:5"));
  EXPECT_FALSE(in("2023-11-17", "NI", "D:1"));
  EXPECT_TRUE(in("2024-03-15", "NI", "D:5"));
  EXPECT_TRUE(in("2024-03-15", "NI", "D:1"));
  EXPECT_TRUE(in("2025-09-02", "KH", "D:5"));
  EXPECT_FALSE(in("2025-11-07", "KH", "D:5"));
  EXPECT_FALSE(in("2026-01-15", "KH", "D:5"));
  EXPECT_FALSE(in("2026-02-03", "KH", "D:5"));
  EXPECT_TRUE(in("2026-02-03", "KH", "D:1"));
  EXPECT_TRUE(in("2026-02-03", "AE", "D:4"));
  EXPECT_FALSE(in("2026-07-10", "AE", "D:4"));
  EXPECT_TRUE(in("2026-07-10", "AE", "A:5"));
  EXPECT_TRUE(in("2026-07-10", "HK", "D:5"));                                           // through the HK -> CN alias
  EXPECT_EQ(reg->version("2026-07-10")->license.country_groups.at("D:5").size(), 22u);  // the 22 of the 2026 eCFR table
  EXPECT_EQ(reg->countries().size(), 249u);
  EXPECT_EQ(reg->countries().at("MO"), "Macao");
}

TEST(RulesLoader, CountryCodesAreValidated) {
  const std::string dir = test::temp_dir();
  std::filesystem::create_directories(dir + "/us/scenarios");
  std::filesystem::create_directories(dir + "/reference");
  std::filesystem::copy_file(test::source_path("rules/reference/iso3166-1.toml"), dir + "/reference/iso3166-1.toml");
  std::string base = kBase;
  base += "\n[country_groups]\n\"D:5\" = [\"CN\", \"XX\"]\n";  // XX is no ISO code
  test::write_file(dir + "/us/2000-01-01.toml", base);
  auto reg = rules::Registry::load(dir + "/us");
  ASSERT_FALSE(reg);
  EXPECT_NE(reg.message().find("'XX' is not an ISO 3166-1 alpha-2 code"), std::string::npos) << reg.message();
}

}  // namespace
}  // namespace chipgate
