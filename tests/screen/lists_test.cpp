// List ingestion: every published format, bad rows, files that are not lists, snapshots and the
// row-count drop check. Expected counts come from the fixture files (read them) and from the
// shared data README (../shared/data/lists/README.md), not from the program's output.
#include "screen/lists.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace chipgate::screen {
namespace {

std::string fixture(const std::string& rel) { return test::source_path("tests/screen/data/" + rel); }

const ListEntry* find(const Snapshot& s, const std::string& name) {
  for (const auto& e : s.entries)
    if (e.name == name) return &e;
  return nullptr;
}

TEST(ScreenLists, NsfregJsonEntriesAliasesFdpAndABadRowSkipped) {
  auto s = load_lists({fixture("mini_entity_list.json")});
  ASSERT_TRUE(s) << s.message();
  // 5 entities in the file, the third has no "name": 4 imported, one issue naming entities[2].
  EXPECT_EQ(s->entries.size(), 4u);
  EXPECT_EQ(s->counts.at("bis-entity-list"), 4u);
  ASSERT_EQ(s->issues.size(), 1u);
  EXPECT_EQ(s->issues[0].line, 3u);
  EXPECT_NE(s->issues[0].to_string().find("entities[2]: missing name"), std::string::npos);
  const ListEntry* huawei = find(s.value(), "Huawei Technologies Co., Ltd.");
  ASSERT_NE(huawei, nullptr);
  EXPECT_EQ(huawei->list, "bis-entity-list");
  EXPECT_EQ(huawei->entry_id, "bis-entity-list:1");
  ASSERT_EQ(huawei->aliases.size(), 1u);
  EXPECT_EQ(huawei->aliases[0], "Huawei Technology");
  EXPECT_EQ(huawei->countries, std::vector<std::string>{"China"});
  EXPECT_EQ(huawei->federal_register, "84 FR 22963, 5/21/19");
  EXPECT_TRUE(huawei->fdp);  // notes cite § 734.9(e) (footnote 1: the FDP rule)
  const ListEntry* haige = find(s.value(), "Guangzhou Haige Communication Group Co., Ltd.");
  ASSERT_NE(haige, nullptr);
  EXPECT_FALSE(haige->fdp);
  // On the Entity List the notes are the "License requirement" column, quoted as written.
  EXPECT_EQ(haige->license_requirement, "For all items subject to the EAR. (See § 744.21)");
}

// The published Entity List's "License requirement" column, e.g. "For all items subject to the EAR,
// see §§ 734.9(e)¹ and 744.11 of the EAR²" (15 CFR part 744, Supp. No. 4), reaches the nsfreg file with
// its footnote superscripts flattened to bare digits. A decision quotes that text, so the markers go;
// the digits that belong to the text stay ("supplement no. 7 to part 746", "EAR 99 items").
TEST(ScreenLists, EntityListRequirementLosesFootnoteMarkersOtherListsNotesAreRemarks) {
  const std::string dir = test::temp_dir() + "/footnotes";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/el.json") << R"({"list_id": "bis-entity-list", "entities": [
    {"name": "Alpha Co", "notes": "For all items subject to the EAR, see §§ 734.9(e) 1 and 744.11 of the EAR 2"},
    {"name": "Beta Co", "notes": "For all items subject to the EAR (See §§ 734.9(e)(2) and 744.11 of the EAR) 4"},
    {"name": "Gamma Co", "notes": "For items on the CCL and EAR 99 items listed in supplement no. 7 to part 746 of the EAR"}]})";
  std::ofstream(dir + "/1260h.json") << R"({"list_id": "dow-1260h", "entities": [
    {"name": "Delta Co", "notes": "Delta Co is indirectly owned by a state-owned group"}]})";
  auto s = load_lists({dir});
  ASSERT_TRUE(s) << s.message();
  ASSERT_NE(find(s.value(), "Alpha Co"), nullptr);
  EXPECT_EQ(find(s.value(), "Alpha Co")->license_requirement,
            "For all items subject to the EAR, see §§ 734.9(e) and 744.11 of the EAR");
  EXPECT_TRUE(find(s.value(), "Alpha Co")->fdp);
  EXPECT_EQ(find(s.value(), "Beta Co")->license_requirement,
            "For all items subject to the EAR (See §§ 734.9(e)(2) and 744.11 of the EAR)");
  EXPECT_EQ(find(s.value(), "Gamma Co")->license_requirement,
            "For items on the CCL and EAR 99 items listed in supplement no. 7 to part 746 of the EAR");
  const ListEntry* delta = find(s.value(), "Delta Co");
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(delta->license_requirement, "");  // a 1260H note is no licence requirement
  EXPECT_EQ(delta->remarks, "Delta Co is indirectly owned by a state-owned group");
}

TEST(ScreenLists, OfacLegacyCsvWithCrlfEofByteEmptyMarkersAndJoinedAltAdd) {
  auto s = load_lists({fixture("ofac")});
  ASSERT_TRUE(s) << s.message();
  // sdn.csv: 3 good rows and "not-a-number" (bad ent_num, line 4); alt.csv row 3 names ent_num 99999.
  EXPECT_EQ(s->counts.at("ofac-sdn"), 3u);
  ASSERT_EQ(s->issues.size(), 2u);
  bool bad_row = false, orphan = false;
  for (const auto& i : s->issues) {
    bad_row = bad_row || (i.line == 4 && i.file.find("sdn.csv") != std::string::npos);
    orphan = orphan || (i.file.find("alt.csv") != std::string::npos && i.problem.find("1 rows") == 0);
  }
  EXPECT_TRUE(bad_row);
  EXPECT_TRUE(orphan);
  const ListEntry* aero = find(s.value(), "AEROCARIBBEAN AIRLINES");
  ASSERT_NE(aero, nullptr);
  EXPECT_EQ(aero->entry_id, "ofac-sdn:36");
  EXPECT_EQ(aero->type, "entity");  // "-0- " type column = an entity
  EXPECT_EQ(aero->aliases, std::vector<std::string>{"AERO-CARIBBEAN"});
  EXPECT_EQ(aero->countries, std::vector<std::string>{"Cuba"});
  EXPECT_EQ(aero->addresses, std::vector<std::string>{"Havana, Cuba"});  // "-0-" street dropped
  EXPECT_TRUE(aero->remarks.empty());
  const ListEntry* putin = find(s.value(), "PUTIN, Vladimir");
  ASSERT_NE(putin, nullptr);
  EXPECT_EQ(putin->type, "individual");
  EXPECT_EQ(putin->programs, (std::vector<std::string>{"RUSSIA-EO14024", "UKRAINE-EO13660"}));
  EXPECT_EQ(putin->remarks, "DOB 07 Oct 1952.");
}

TEST(ScreenLists, CslCurrentLayout) {
  auto s = load_lists({fixture("csl_current.csv")});
  ASSERT_TRUE(s) << s.message();
  // Row 4 has an empty name: skipped with its line; two entries in two CSL sources.
  EXPECT_EQ(s->counts.at("csl-el"), 1u);
  EXPECT_EQ(s->counts.at("csl-meu"), 1u);
  ASSERT_EQ(s->issues.size(), 1u);
  EXPECT_EQ(s->issues[0].line, 4u);
  const ListEntry* haige = find(s.value(), "Guangzhou Haige Communication Group Co., Ltd.");
  ASSERT_NE(haige, nullptr);
  EXPECT_EQ(haige->entry_id, "csl-el:a1");  // no entity_number: the _id
  EXPECT_EQ(haige->aliases, (std::vector<std::string>{"Haige Communications", "Guangzhou Radio Factory"}));
  EXPECT_EQ(haige->countries, std::vector<std::string>{"CN"});  // ISO code at the end of the address
  EXPECT_EQ(haige->license_policy, "Presumption of denial.");
}

TEST(ScreenLists, FilesThatAreNotListsAreRefusedWhole) {
  for (const std::string f : {"bad/not_a_list.csv", "bad/not_a_list.json"}) {
    auto s = load_lists({fixture(f)});
    ASSERT_FALSE(s) << f;
    EXPECT_NE(s.message().find("not a list file"), std::string::npos) << s.message();
  }
  // A good file and a bad one in the same import: nothing is imported.
  auto mixed = load_lists({fixture("mini_entity_list.json"), fixture("bad/not_a_list.csv")});
  EXPECT_FALSE(mixed);
  auto empty = load_list_text("empty.json", "   \n");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.message().find("empty"), std::string::npos);
  auto missing = load_lists({fixture("no-such-file.json")});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("no such file"), std::string::npos);
}

// Found by the fuzz campaign of 2026-12-06 (screen_fuzz): a file that looks like JSON but holds a
// number too large for a double ("3E3333333") made the error-line lookup throw out_of_range through
// the loader (std::terminate). It must be refused with a message like any other bad file.
TEST(ScreenLists, AJsonNumberTooLargeIsRefusedNotACrash) {
  for (const std::string name : {"add.csv", "list.json", "snapshot.jsonl"}) {
    const std::string text = "[[33333733E3333333333-333\n{\"list\":\"te[";
    auto s = load_list_text(name, text);
    ASSERT_FALSE(s) << name;
    EXPECT_FALSE(s.message().empty()) << name;
  }
}

TEST(ScreenLists, DetectsEachPublishedFormat) {
  EXPECT_EQ(detect_format("x.csv", "uid,name,type,programs,alternate_names\n1,A,entity,X,\n").value(),
            ListFormat::kOfacSdnCsv);
  EXPECT_EQ(detect_format("SDN.CSV", "1,\"A\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n").value(),
            ListFormat::kOfacLegacySdn);
  EXPECT_EQ(detect_format("ALT.CSV", "36,12,\"aka\",\"AERO\",-0- \r\n").value(), ListFormat::kOfacLegacyAlt);
  EXPECT_EQ(detect_format("ADD.CSV", "36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n").value(), ListFormat::kOfacLegacyAdd);
  EXPECT_EQ(detect_format("x.json", R"({"list_id":"a","entities":[]})").value(), ListFormat::kNsfregJson);
  EXPECT_EQ(detect_format("x.json", R"({"entries":[]})").value(), ListFormat::kOfacSdnJson);
  EXPECT_FALSE(detect_format("x.json", "{not json"));
  EXPECT_FALSE(detect_format("x.bin", std::string("\x7f"
                                                  "ELF\0\0\x01",
                                                  7)));
}

TEST(ScreenLists, SnapshotIdIsAContentHashIndependentOfPathOrder) {
  auto a = load_lists({fixture("mini_entity_list.json"), fixture("csl_current.csv")});
  auto b = load_lists({fixture("csl_current.csv"), fixture("mini_entity_list.json")});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id.size(), 64u);
  EXPECT_EQ(a->id, b->id);
  Snapshot changed = a.value();
  changed.entries[0].aliases.push_back("Another alias");
  finalise_snapshot(changed);
  EXPECT_NE(changed.id, a->id);
}

TEST(ScreenLists, CountDropCheck) {
  const DropPolicy p{0.10, 20};
  // 100 -> 85 is a 15% drop, over the 10% limit.
  auto refused = check_counts({{"ofac-sdn", 100}}, {{"ofac-sdn", 85}}, p, false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("ofac-sdn: 100 -> 85 rows (-15.0%)"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--force"), std::string::npos);
  EXPECT_TRUE(check_counts({{"ofac-sdn", 100}}, {{"ofac-sdn", 85}}, p, true));       // forced
  EXPECT_TRUE(check_counts({{"ofac-sdn", 100}}, {{"ofac-sdn", 90}}, p, false));      // exactly 10%: allowed
  EXPECT_TRUE(check_counts({{"tiny", 10}}, {}, p, false));                           // under 20 rows: not checked
  auto vanished = check_counts({{"csl-sdn", 15000}}, {{"csl-el", 3000}}, p, false);  // the 2024 CSL incident
  ASSERT_FALSE(vanished);
  EXPECT_NE(vanished.message().find("csl-sdn: 15000 -> 0 rows (-100.0%)"), std::string::npos);
}

TEST(ScreenLists, StoredSnapshotsRefuseADropAndReloadToTheSameId) {
  const std::string dir = test::temp_dir() + "/snaps";
  auto full = load_lists({fixture("mini_entity_list.json")});
  ASSERT_TRUE(full);
  auto stored = store_snapshot(full.value(), dir, DropPolicy{0.10, 2}, false);
  ASSERT_TRUE(stored) << stored.message();
  // Drop two of the four entries: 50% fewer, refused; "latest" still names the first snapshot.
  Snapshot smaller = full.value();
  smaller.entries.resize(2);
  finalise_snapshot(smaller);
  auto refused = store_snapshot(smaller, dir, DropPolicy{0.10, 2}, false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("bis-entity-list: 4 -> 2 rows (-50.0%)"), std::string::npos);
  auto latest = stored_snapshot_path(dir, "latest");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest.value(), stored.value());
  // The stored entries load again as a list, with the same content id.
  auto again = load_lists({latest.value()});
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->id, full->id);
  EXPECT_EQ(again->entries.size(), 4u);
  // Forced, the smaller snapshot becomes the latest.
  ASSERT_TRUE(store_snapshot(smaller, dir, DropPolicy{0.10, 2}, true));
  EXPECT_NE(stored_snapshot_path(dir, "latest").value(), stored.value());
}

// The real files, with the row counts their README states.
TEST(ScreenLists, RealPublishedFiles) {
  auto el = load_lists({test::shared_data("lists/bis-and-others_nsfreg")});
  ASSERT_TRUE(el) << el.message();
  EXPECT_EQ(el->counts.at("bis-entity-list"), 3409u);
  EXPECT_EQ(el->counts.at("bis-meu"), 70u);
  EXPECT_EQ(el->counts.at("bis-dpl"), 564u);
  EXPECT_EQ(el->counts.size(), 13u);                                       // 13 lists; lists.json (metadata) is not one
  auto sdn = load_lists({test::shared_data("lists/ofac-sdn_kindrat86")});  // .json and .csv: the JSON only
  ASSERT_TRUE(sdn) << sdn.message();
  EXPECT_EQ(sdn->counts.at("ofac-sdn"), 19249u);
  EXPECT_EQ(sdn->files.size(), 1u);
  auto raw = load_lists({test::shared_data("lists/ofac-sdn-raw_jackdwyer/sdn_2024-05-03.csv")});
  ASSERT_TRUE(raw) << raw.message();
  EXPECT_EQ(raw->counts.at("ofac-sdn"), 14965u);
  EXPECT_TRUE(raw->issues.empty());
  auto cons = load_lists({test::shared_data("lists/ofac_watchman-testdata")});
  ASSERT_TRUE(cons) << cons.message();
  EXPECT_EQ(cons->counts.at("ofac-cons"), 442u);
  auto csl = load_lists({test::shared_data("lists/csl-format-samples_watchman/consolidated_sample_2025.csv")});
  ASSERT_TRUE(csl) << csl.message();
  std::size_t total = 0;
  for (const auto& [list, n] : csl->counts) total += n;
  EXPECT_EQ(total, 13u);  // 13 rows, one per CSL source
}

}  // namespace
}  // namespace chipgate::screen
