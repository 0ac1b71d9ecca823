// The matcher: normalisation, abbreviations and legal forms, Chinese script, word order, typos,
// joined words, qualifiers, bad input, the OFAC-style score. Expected values are worked out by hand
// from the rules in data/screening/terms.toml (weights quoted in the comments).
#include <gtest/gtest.h>

#include <memory>

#include "screen/screener.h"
#include "screen/similarity.h"
#include "test_support.h"

namespace chipgate::screen {
namespace {

std::shared_ptr<const Terms> terms() {
  static auto t = load_terms(test::source_path("data/screening/terms.toml"));
  EXPECT_TRUE(t) << t.message();
  return t.value();
}

// All the nsfreg lists and the OFAC SDN list (about 25,000 entries), built once.
const Screener& real() {
  static std::unique_ptr<Screener> s = [] {
    auto r = Screener::load(
        {test::shared_data("lists/bis-and-others_nsfreg"), test::shared_data("lists/ofac-sdn_kindrat86/ofac-sdn.json")},
        terms());
    EXPECT_TRUE(r) << r.message();
    return std::move(r).value();
  }();
  return *s;
}

const Screener& mini() {
  static std::unique_ptr<Screener> s = [] {
    auto r = Screener::load({test::source_path("tests/screen/data/mini_entity_list.json")}, terms());
    EXPECT_TRUE(r) << r.message();
    return std::move(r).value();
  }();
  return *s;
}

// The best hit's entry name, or "" when nothing matched.
std::string best(const ScreenResult& r) { return r.match ? r.hits.front().name : std::string(); }

bool hits_entry(const ScreenResult& r, const std::string& name, const std::string& list = "bis-entity-list") {
  if (!r.match) return false;
  for (const auto& h : r.hits)
    if (h.name == name && h.list == list && h.score >= r.threshold) return true;
  return false;
}

TEST(ScreenMatcher, Similarity) {
  // Textbook values: Jaro("MARTHA","MARHTA") = (6/6 + 6/6 + (6-1)/6)/3 = 0.9444; prefix MAR (3) ->
  // 0.9444 + 3*0.1*(1-0.9444) = 0.9611.
  EXPECT_NEAR(jaro_winkler("MARTHA", "MARHTA"), 0.9611, 1e-4);
  EXPECT_DOUBLE_EQ(jaro_winkler("ABC", "XYZ"), 0.0);
  EXPECT_EQ(soundex("ROBERT"), "R163");
  EXPECT_EQ(soundex("RUPERT"), "R163");
  EXPECT_EQ(soundex("ASHCRAFT"), "A261");  // H does not separate S and C
  EXPECT_EQ(soundex("TYMCZAK"), "T522");
  EXPECT_EQ(soundex("PFISTER"), "P236");  // F has P's code: skipped
  EXPECT_EQ(edit_distance("HAIGE", "HAIG", 2), 1u);
  EXPECT_EQ(edit_distance("HUAWIE", "HUAWEI", 2), 1u);   // adjacent transposition
  EXPECT_EQ(edit_distance("KITTEN", "SITTING", 1), 2u);  // 3 > limit 1: limit + 1
  // OFAC-style: identical names 1.0; first letters differ (whole-name JW gated) and every part
  // pair under 0.5 -> 0.
  EXPECT_DOUBLE_EQ(ofac_score({"VLADIMIR", "PUTIN"}, {"PUTIN", "VLADIMIR"}), 1.0);
  EXPECT_DOUBLE_EQ(ofac_score({"ABC"}, {"XYZ"}), 0.0);
}

TEST(ScreenMatcher, NormalisationCanonicalFormsAndScripts) {
  const Screener& s = mini();
  EXPECT_EQ(s.tokens("Huawei Tech. Co., Ltd."), (std::vector<std::string>{"HUAWEI", "TECHNOLOGY", "CO", "LTD"}));
  EXPECT_EQ(s.tokens("GUANGZHOU HAIGE COMM GRP"),
            (std::vector<std::string>{"GUANGZHOU", "HAIGE", "COMMUNICATION", "GROUP"}));
  EXPECT_EQ(s.tokens("Société Générale S.A."), (std::vector<std::string>{"SOCIETE", "GENERALE", "SA"}));
  EXPECT_EQ(s.tokens("Xi'an"), std::vector<std::string>{"XIAN"});
  EXPECT_EQ(s.tokens("ＨＵＡＷＥＩ"), std::vector<std::string>{"HUAWEI"});  // full-width letters (NFKC)
  // Chinese: 技术 -> TECHNOLOGY and 有限公司 -> CO LTD from the [han] table; 华为 -> pinyin HUA WEI.
  EXPECT_EQ(s.tokens("华为技术有限公司"), (std::vector<std::string>{"HUA", "WEI", "TECHNOLOGY", "CO", "LTD"}));
  EXPECT_EQ(s.tokens("Путин"), std::vector<std::string>{"PUTIN"});  // Cyrillic
}

TEST(ScreenMatcher, LegalFormsNeitherCreateNorPreventHits) {
  const Screener& s = mini();
  // Weights (terms.toml): an unknown ordinary token 1.0, a legal form 0.02.
  // ACME CO vs ACME LTD: ACME pairs exactly; query covered 1/1.02, name covered 1/1.02 -> 0.98039.
  EXPECT_NEAR(s.compare("ACME CO", "ACME LTD").first, 1.0 / 1.02, 1e-4);
  // CO LTD vs CORP LIMITED: only LTD pairs (LIMITED -> LTD); coverage 0.02/0.04 = 0.5 on both sides,
  // and no distinctive word matched, so capped at weak_only_cap 0.55 anyway -> 0.5.
  EXPECT_NEAR(s.compare("CO LTD", "CORP LIMITED").first, 0.5, 1e-4);
}

TEST(ScreenMatcher, PhrasesInitialsAndTransliteratedSyllables) {
  const Screener& s = mini();
  // JOINT STOCK COMPANY -> JSC ([phrases]); OAO -> OJSC ([abbreviations]).
  EXPECT_EQ(s.tokens("Joint Stock Company Ratep"), (std::vector<std::string>{"JSC", "RATEP"}));
  EXPECT_EQ(s.tokens("OAO Gazprom"), (std::vector<std::string>{"OJSC", "GAZPROM"}));
  // compare() uses class weights (name token 1.0, weak 0.35, business 0.30, legal 0.02).
  // J SMITH vs JOHN SMITH: SMITH exact, J~JOHN an initial (0.75): (1 + 0.75) / 2 on both sides.
  EXPECT_NEAR(s.compare("J Smith", "John Smith").first, 0.875, 1e-9);
  // ZHUANG vs CHUANG in Latin script: one substitution in a 6-letter word -> 0.90 on both sides.
  EXPECT_NEAR(s.compare("ZHUANG", "CHUANG").first, 0.9, 1e-9);
  // 庄 transliterates to ZHUANG, but a syllable from Chinese script is another character, not a typo.
  EXPECT_EQ(s.compare("庄", "CHUANG").first, 0.0);
  // Only weak/business words and legal forms, but every one matched except the legal form LTD:
  // not capped. Query covered 1; name covered (0.35 + 0.3 + 0.3 + 0.02) / (0.99) -> 0.5 + 0.5 * 0.9798.
  EXPECT_NEAR(s.compare("CHINA NATIONAL CHEMICAL CORP", "China National Chemical Corporation Ltd.").first,
              0.5 + 0.5 * 0.97 / 0.99, 1e-6);
}

TEST(ScreenMatcher, ListedNamesInTheirAbbreviatedAndRewrittenForms) {
  const Screener& s = real();
  EXPECT_TRUE(hits_entry(s.query("HUAWEI TECHNOLOGIES CO., LTD."), "Huawei Technologies Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("HUAWEI TECH CO"), "Huawei Technologies Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("GUANGZHOU HAIGE COMM GRP"), "Guangzhou Haige Communication Group Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("HAIGE GUANGZHOU COMMUNICATIONS GROUP"),  // word order
                         "Guangzhou Haige Communication Group Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("Guangzhou Haige Communication Group"),  // legal form dropped
                         "Guangzhou Haige Communication Group Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("Huawie Technologies Co Ltd"), "Huawei Technologies Co., Ltd."));  // typo
  EXPECT_TRUE(hits_entry(s.query("HUAWEITECHNOLOGIES CO LTD"), "Huawei Technologies Co., Ltd."));   // no space
  EXPECT_TRUE(hits_entry(s.query("SMIC"), "Semiconductor Manufacturing International Corporation (SMIC)"));
  EXPECT_TRUE(hits_entry(s.query("Semiconductor Mfg Intl Corp"),
                         "Semiconductor Manufacturing International Corporation (SMIC)"));
  // Chinese script, transliterated: HUA WEI joins into HUAWEI.
  auto zh = s.query("华为技术有限公司");
  EXPECT_TRUE(hits_entry(zh, "Huawei Technologies Co., Ltd.")) << (zh.hits.empty() ? "" : zh.hits[0].name);
  EXPECT_TRUE(hits_entry(s.query("华为 Technologies"), "Huawei Technologies Co., Ltd."));  // mixed scripts
  // OFAC SDN, "LAST, First" against "First Last".
  EXPECT_TRUE(hits_entry(s.query("Vladimir Putin"), "PUTIN, Vladimir Vladimirovich", "ofac-sdn"));
}

TEST(ScreenMatcher, GenericBusinessNamesDoNotHit) {
  const Screener& s = real();
  // Every word is a weak token (CHINA), business word (TECHNOLOGY, ELECTRONICS, INTERNATIONAL,
  // GROUP, TRADING) or legal form: scores are capped at 0.55 < threshold 0.80.
  for (const char* name : {"CHINA TECHNOLOGY CORP", "SHENZHEN ELECTRONICS CO LTD", "INTERNATIONAL TRADING GROUP LLC",
                           "BEIJING TECHNOLOGY DEVELOPMENT CO LTD"}) {
    auto r = s.query(name);
    EXPECT_FALSE(r.match) << name << " -> " << best(r);
  }
  EXPECT_FALSE(s.query("ACME WIDGETS LLC").match);
}

TEST(ScreenMatcher, ExplanationNamesTheAliasTokensAndParts) {
  const Screener& s = mini();
  auto r = s.query("Haige Communications");
  ASSERT_TRUE(r.match);
  const Hit& h = r.hits.front();
  EXPECT_EQ(h.name, "Guangzhou Haige Communication Group Co., Ltd.");
  EXPECT_EQ(h.matched_name, "Haige Communications");
  EXPECT_TRUE(h.explanation.alias);
  EXPECT_DOUBLE_EQ(h.score, 1.0);  // both tokens equal after canonical forms
  ASSERT_EQ(h.explanation.pairs.size(), 2u);
  EXPECT_EQ(h.explanation.pairs[0].query, "HAIGE");
  EXPECT_EQ(h.explanation.pairs[0].how, "exact");
  EXPECT_EQ(h.explanation.pairs[1].how, "exact");
  EXPECT_NE(h.explanation.text().find("alias \"Haige Communications\""), std::string::npos);
  EXPECT_GT(h.ofac_score, 0.99);
}

TEST(ScreenMatcher, CountryIsAQualifierAndAHardFilterOnlyOnRequest) {
  const Screener& s = mini();
  QueryOptions o;
  o.country = "CN";
  auto same = s.query("Huawei Technologies Co Ltd", o);
  ASSERT_TRUE(same.match);
  EXPECT_DOUBLE_EQ(same.hits.front().score, 1.0);
  EXPECT_EQ(same.hits.front().explanation.country_factor, 1.0);
  o.country = "DE";  // Germany vs the entry's China: x country_mismatch_factor 0.85
  auto other = s.query("Huawei Technologies Co Ltd", o);
  ASSERT_TRUE(other.match);
  EXPECT_NEAR(other.hits.front().score, 0.85, 1e-9);
  EXPECT_NE(other.hits.front().explanation.text().find("different country"), std::string::npos);
  o.country = "HK";  // Hong Kong counts as China (terms.toml same_as)
  EXPECT_DOUBLE_EQ(s.query("Huawei Technologies Co Ltd", o).hits.front().score, 1.0);
  o.country = "DE";
  o.country_filter = true;
  EXPECT_FALSE(s.query("Huawei Technologies Co Ltd", o).match);
}

TEST(ScreenMatcher, BadInputIsRefusedClearly) {
  const Screener& s = mini();
  EXPECT_EQ(s.query("").error, "empty name");
  EXPECT_EQ(s.query("   ").error, "empty name");
  EXPECT_EQ(s.query("!!! ---").error, "name has no letters or digits to match");
  EXPECT_EQ(s.query("Huawei \xff\xfe").error, "name is not valid UTF-8");
  const auto long_name = s.query(std::string(10000, 'A'));
  EXPECT_NE(long_name.error.find("too long: 10000 characters (limit 1000"), std::string::npos) << long_name.error;
  EXPECT_FALSE(long_name.match);
  EXPECT_TRUE(long_name.hits.empty());
}

TEST(ScreenMatcher, PartyScreenerInterfaceForDecisions) {
  const license::PartyScreener& ps = mini();
  auto hits = ps.screen("HUAWEI TECH CO", "CN");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].name, "Huawei Technologies Co., Ltd.");
  EXPECT_TRUE(hits[0].fdp);
  EXPECT_EQ(hits[0].federal_register, "84 FR 22963, 5/21/19");
  EXPECT_EQ(hits[0].country, "China");
  EXPECT_TRUE(ps.screen("Acme Widgets Inc", "US").empty());
  EXPECT_EQ(ps.snapshot_id().size(), 64u);
}

TEST(ScreenMatcher, BatchKeepsInputOrderAndRescreeningReportsChanges) {
  const Screener& s = mini();
  std::vector<Party> parties = {{"p1", "Huawei Tech Co", "CN", "", 2},
                                {"p2", "Innocent Bakery Ltd", "FR", "", 3},
                                {"p3", "", "", "", 4},
                                {"p4", "Acme Robotics", "DE", "", 5}};
  auto r = s.batch(parties, {}, 2);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].match);
  EXPECT_FALSE(r[1].match);
  EXPECT_EQ(r[2].error, "empty name");
  EXPECT_TRUE(r[3].match);
  // The new lists lack Acme Robotics GmbH: p4 no longer matches; the others are unchanged.
  auto smaller = load_lists({test::source_path("tests/screen/data/mini_entity_list.json")});
  ASSERT_TRUE(smaller);
  Snapshot snap = smaller.value();
  snap.entries.pop_back();
  finalise_snapshot(snap);
  auto after = Screener::build(std::move(snap), terms());
  ASSERT_TRUE(after);
  auto changes = rescreen(parties, s, *after.value(), {}, 2);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].party->id, "p4");
  EXPECT_EQ(changes[0].what, "no longer matches");
}

// Normalisation rules added for the OpenSanctions pairs analysis (docs/screening.md, section 2).
TEST(ScreenMatcher, DigitsPossessivesNumbersAndWrittenOutLegalForms) {
  const Screener& s = mini();
  using V = std::vector<std::string>;
  // A digit between two letters is the letter it looks like: 0 -> O, 1 -> I, 9 -> G.
  EXPECT_EQ(s.tokens("Ig0r Sech1n"), (V{"IGOR", "SECHIN"}));
  EXPECT_EQ(s.tokens("I9or"), (V{"IGOR"}));
  EXPECT_EQ(s.tokens("54th Institute"), (V{"54TH", "INSTITUTE"}));  // digits not between letters stay
  // A possessive 's is dropped; the apostrophe of XI'AN still joins.
  EXPECT_EQ(s.tokens("Deutsche Bank's AG"), (V{"DEUTSCHE", "BANK", "AG"}));
  // OPEN JOINT STOCK COMPANY is one phrase (OJSC), the same as OAO, not OPEN + JSC.
  EXPECT_EQ(s.tokens("Open Joint Stock Company Gazprom"), (V{"OJSC", "GAZPROM"}));
  // A legal form written out and misspelt (one letter missing from AKTIENGESELLSCHAFT, 17 letters).
  EXPECT_EQ(s.tokens("Siemens Aktiengeselschaft"), (V{"SIEMENS", "AG"}));
  // Polish and Romanian legal forms written out ([phrases]); EUROPE is a weak region word.
  EXPECT_EQ(s.tokens("FABERLIC EUROPE Sp. z o.o."), (V{"FABERLIC", "EUROPE", "SPZOO"}));
  EXPECT_EQ(s.tokens("Societatea cu Răspundere Limitată PRO TRAFFIC"), (V{"SRL", "PRO", "TRAFFIC"}));
  // Number words: FORTY FOUR and FORTY 4 are 44; ordinals 1ST = FIRST.
  EXPECT_EQ(s.tokens("Brigade Forty-Four"), (V{"BRIGADE", "44"}));
  EXPECT_EQ(s.tokens("Brigade Forty 4"), (V{"BRIGADE", "44"}));
  EXPECT_EQ(s.tokens("1st International Bank"), (V{"FIRST", "INTERNATIONAL", "BANK"}));
  // A Roman numeral after two name words, before legal forms only, is a number; XI of XI JINPING is not.
  EXPECT_EQ(s.tokens("KKR Asian Fund XIV L.P."), (V{"KKR", "ASIAN", "FUND", "14", "LP"}));
  EXPECT_EQ(s.tokens("Xi Jinping"), (V{"XI", "JINPING"}));

  // Scores with class weights (name word 1.0, weak token and number 0.35, legal form 0.02, stopword 0).
  EXPECT_DOUBLE_EQ(s.compare("Ig0r Sech1n", "Igor Sechin").first, 1.0);
  EXPECT_DOUBLE_EQ(s.compare("OAO Gazprom", "Open Joint Stock Company Gazprom").first, 1.0);
  EXPECT_DOUBLE_EQ(s.compare("Siemens Aktiengeselschaft", "Siemens AG").first, 1.0);
  // SNOW and STORM match, the numbers 1 and 2 (weak, 0.35) do not: 2 / 2.35 on both sides.
  EXPECT_NEAR(s.compare("Snow Storm 1", "Snow Storm 2").first, 2.0 / 2.35, 1e-6);  // weights are floats
  // KKR ASIAN FUND LP match, 3 and 4 do not: (3 + 0.02) / (3 + 0.35 + 0.02) on both sides.
  EXPECT_NEAR(s.compare("KKR Asian Fund III L.P.", "KKR Asian Fund IV L.P.").first, 3.02 / 3.37, 1e-6);
}

TEST(ScreenMatcher, PersonNamesShortTyposTitlesAndLeftOutParts) {
  const Screener& s = mini();
  // A 4-letter word with one substitution and the same first letter is a typo (0.90): (1 + 0.9) / 2.
  EXPECT_NEAR(s.compare("Elon Mosk", "Elon Musk").first, 0.95, 1e-9);
  // ... but not when the first letter differs (MALA / NALA): two different name words remain, one on
  // each side: KHAN covers 1/2 of each side, times different_names_factor 0.9 -> 0.45.
  EXPECT_NEAR(s.compare("Mala Khan", "Nala Khan").first, 0.45, 1e-9);
  // AL is the Arabic article (stopword); RAWI / ANI (3 letters, no typo rule) differ on both sides:
  // 2/3 covered on each side x 0.9 = 0.6.
  EXPECT_NEAR(s.compare("ADIB SHABAN AL-RAWI", "ADIB SHABAN AL-ANI").first, 0.6, 1e-9);
  // A person's name with two middle parts left out, the rest exact: the fully covered side weighs
  // person_subset_weight 0.75: 0.75 * 1 + 0.25 * 2/4 = 0.875 (instead of 0.5 * 1 + 0.5 * 0.5).
  EXPECT_NEAR(s.compare("ANJEM CHOUDARY", "ANJEM IFTIKHAR CHOUDARY MAHMOOD").first, 0.875, 1e-9);
  // With a typo as well (CHOUDRY ~ CHOUDARY, 0.9) no boost: 0.5 * 1.9/2 + 0.5 * 1.9/4 = 0.7125.
  EXPECT_NEAR(s.compare("ANJEM CHOUDRY", "ANJEM IFTIKHAR CHOUDARY MAHMOOD").first, 0.7125, 1e-9);
  // Not for a company name (TRADING is a business word, 0.3): 0.5 * 1.3/1.3 + 0.5 * 1.3/3.3.
  EXPECT_NEAR(s.compare("ANJEM TRADING", "ANJEM IFTIKHAR TRADING MAHMOOD").first, 0.5 + 0.5 * 1.3 / 3.3, 1e-6);
  // A title weighs nothing: PRESIDENT ERDOGAN covers the query fully, 1 of 3 name words:
  // 0.5 + 0.5 / 3 (one matched word is too few for the left-out-parts rule).
  EXPECT_NEAR(s.compare("President Erdoğan", "Recep Tayyip Erdoğan").first, 0.5 + 0.5 / 3, 1e-9);
  // An acronym of three letters against the initials of three words (PEOPLE'S -> PEOPLE): 0.9 both sides.
  EXPECT_NEAR(s.compare("PLA", "People’s Liberation Army").first, 0.9, 1e-9);
  // A left-over word that starts the other's left-over word may abbreviate it (MEAS / MEASURING):
  // no different-names factor, ACME covers half of each side -> 0.5 (not 0.45).
  EXPECT_NEAR(s.compare("ACME MEAS", "ACME MEASURING").first, 0.5, 1e-6);
  // A Roman series number keeps its written form for joined words: YORKII = YORK + II (joined, 0.97).
  // Weights: TINDAYA, PROPERTIES, YORK(II) 1; NEW (business) 0.3; OF 0; CORP 0.02; II (number) 0.35.
  // Query: (1 + 1 + 0.3 + 0.97 + 0.02) / 3.32; name: (1 + 1 + 0.3 + 0.97 * 1.35 + 0.02) / 3.67.
  EXPECT_NEAR(s.compare("TINDAYA PROPERTIES OF NEW YORKII CORP.", "TINDAYA PROPERTIES OF NEW YORK II CORP.").first,
              0.5 * 3.29 / 3.32 + 0.5 * (2.32 + 0.97 * 1.35) / 3.67, 1e-6);
  // Two letters are too few to be an acronym (KA against KATHY AGUIRRE): nothing pairs.
  EXPECT_EQ(s.compare("KA", "Kathy Aguirre").first, 0.0);
}

// Chinese names of entities listed only in English (data/screening/zh-aliases.toml).
TEST(ScreenMatcher, ReviewedChineseAliasesFindTranslatedListNames) {
  const Screener& s = real();
  const std::string smic = "Semiconductor Manufacturing International Corporation (SMIC)";
  auto r = s.query("中芯国际");
  ASSERT_TRUE(hits_entry(r, smic)) << best(r);
  const Hit& h = r.hits.front();
  EXPECT_EQ(h.matched_name, "中芯国际");
  EXPECT_TRUE(h.explanation.alias);
  EXPECT_NE(h.explanation.alias_source.find("zh-aliases.toml: smics.com"), std::string::npos)
      << h.explanation.alias_source;
  EXPECT_NE(h.explanation.text().find("zh-aliases.toml"), std::string::npos);
  EXPECT_TRUE(hits_entry(s.query("中芯国际集成电路制造有限公司"), smic));
  EXPECT_TRUE(hits_entry(s.query("长江存储科技有限责任公司"), "Yangtze Memory Technologies Co., Ltd."));
  EXPECT_TRUE(
      hits_entry(s.query("杭州海康威视数字技术股份有限公司"), "Hangzhou Hikvision Digital Technology Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("壁仞科技"), "Shanghai Biren Intelligent Technology Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("摩尔线程"), "Moore Thread Intelligent Technology (Beijing) Co., Ltd."));
  EXPECT_TRUE(hits_entry(s.query("中科曙光"), "Sugon"));
  EXPECT_TRUE(hits_entry(s.query("科大讯飞"), "IFLYTEK"));
  EXPECT_TRUE(hits_entry(s.query("长鑫存储"), "ChangXin Memory Technologies, Inc.", "dow-1260h"));
  // The alias is added to every list carrying the English name (Hikvision is on 1260H too).
  EXPECT_TRUE(hits_entry(s.query("海康威视"), "Hangzhou Hikvision Digital Technology Co., Ltd.", "dow-1260h"));
  // "(北京)" in an alias is not an acronym variant, and 北京 is the weak place word BEIJING ([han]),
  // not two name syllables: 北京 (Beijing) alone hits nothing (not SMIC Beijing, not 北京航空航天大学).
  EXPECT_FALSE(s.query("北京").match) << best(s.query("北京"));
  // A person 张鑫 (ZHANG XIN) against the alias 长鑫存储 (ZHANG XIN CUN CHU): both Chinese script, so
  // both sides count alike: 0.5 * 1 + 0.5 * 2/4 = 0.75 < 0.80.
  for (const auto& hit : s.query("张鑫").hits) EXPECT_NE(hit.name, "ChangXin Memory Technologies, Inc.");
}

TEST(ScreenMatcher, AliasFileErrorsNameTheFileAndLine) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/terms.toml", "[words]\nlegal_forms = [\"LTD\"]\n[aliases]\nzh_file = \"zh.toml\"\n");
  test::write_file(dir + "/zh.toml", "[[entity]]\nnames = [\"Acme Ltd\"]\nzh = [\"阿克米\"]\n");
  auto t = load_terms(dir + "/terms.toml");
  ASSERT_FALSE(t);
  EXPECT_NE(t.message().find(dir + "/zh.toml:1: an [[entity]] needs names, zh and source"), std::string::npos)
      << t.message();
  test::write_file(dir + "/terms.toml", "[words]\n[aliases]\nzh_file = \"missing.toml\"\n");
  auto missing = load_terms(dir + "/terms.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("aliases.zh_file"), std::string::npos) << missing.message();
}

}  // namespace
}  // namespace chipgate::screen
