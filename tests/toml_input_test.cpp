// The TOML front door (core/toml_input.h): text the TOML library could not survive is refused before
// parsing, with the input's name, the line and the limit, by every TOML reader (rule files, scenarios
// from files or over the API, is-informed letters, screening terms). A 100 KB scenario with a table
// header of 50,000 dotted parts once crashed `chipgate serve` (and `decide --letters`, exit 139)
// inside the library.
#include "core/toml_input.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/bounded_file.h"
#include "rules/registry.h"
#include "test_support.h"

namespace chipgate {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

// "[a.a.a....]\n": `parts` dotted parts, 2 x parts + 2 bytes (100,002 for 50,000 parts).
std::string dotted_header(std::size_t parts) {
  std::string s = "[a";
  for (std::size_t i = 1; i < parts; ++i) s += ".a";
  return s + "]\n";
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

const std::string kTooManyParts = "table header or key with more than 16 dotted parts";
const std::string kTooDeep =
    "nested more than 32 levels deep (table headers, dotted keys, arrays and inline tables together)";

TEST(TomlInput, FiftyThousandPartHeaderIsRefusedBeforeParsing) {
  const std::string text = dotted_header(50000);
  EXPECT_EQ(text.size(), 100002u);
  auto s = check_toml_limits(text, "scenario.toml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "scenario.toml:1: " + kTooManyParts);
  auto parsed = parse_toml(text, "scenario.toml");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.message(), "scenario.toml:1: " + kTooManyParts);
}

TEST(TomlInput, KeyPartsAreCountedInHeadersKeysAndArraysOfTables) {
  EXPECT_TRUE(check_toml_limits(dotted_header(16), "x.toml"));
  EXPECT_FALSE(check_toml_limits(dotted_header(17), "x.toml"));
  auto key = check_toml_limits("# one\n# two\n" + repeat("a.", 16) + "a = 1\n", "x.toml");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.message(), "x.toml:3: " + kTooManyParts);
  // Quoted parts are parts; whitespace around the dots does not matter.
  EXPECT_FALSE(check_toml_limits("[[" + repeat("\"q\" . ", 16) + "'z']]\n", "x.toml"));
  // Keys inside inline tables, too.
  EXPECT_FALSE(check_toml_limits("t = { " + repeat("b.", 16) + "b = 1 }\n", "x.toml"));
}

// Depth = header parts + key parts + one per array or inline table; the limit is 32.
TEST(TomlInput, DepthCountsHeadersKeysArraysAndInlineTablesTogether) {
  const std::string header = "[a.b.c.d.e.f.g.h.i.j]\n";  // 10
  const std::string key = "k.l.m.n.o.p.q.r.s.t = ";      // + 10 = 20
  EXPECT_TRUE(check_toml_limits(header + key + repeat("[", 12) + "1" + repeat("]", 12) + "\n", "x.toml"));
  auto deep = check_toml_limits(header + key + repeat("[", 13) + "1" + repeat("]", 13) + "\n", "x.toml");
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.message(), "x.toml:2: " + kTooDeep);
  // Inline tables: each inline table and the key inside it add two levels (x = 1, then 3, 5, ... 41).
  EXPECT_FALSE(check_toml_limits("x = " + repeat("{ y = ", 20) + "1" + repeat(" }", 20) + "\n", "x.toml"));
  // An array of tables is one level more than a table: 15 parts + 1 + 16 key parts = 32.
  EXPECT_TRUE(check_toml_limits("[[" + repeat("a.", 14) + "a]]\n" + repeat("b.", 15) + "b = 1\n", "x.toml"));
  EXPECT_FALSE(check_toml_limits("[[" + repeat("a.", 14) + "a]]\n" + repeat("b.", 15) + "b = [1]\n", "x.toml"));
}

TEST(TomlInput, EntriesAndSizeAreBounded) {
  TomlLimits small;
  small.max_entries = 5;
  EXPECT_TRUE(check_toml_limits("a = [1, 2, 3, 4]\n", "x.toml", small));  // a, the array, 3 more elements
  auto many = check_toml_limits("a = [1, 2, 3, 4, 5]\n", "x.toml", small);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.message(), "x.toml:1: more than 5 keys, table headers and array elements");
  TomlLimits tiny;
  tiny.max_bytes = 10;
  auto big = check_toml_limits("a = \"12345\"", "x.toml", tiny);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.message(), "x.toml: 11 bytes, over the TOML limit of 10 bytes");
  auto file = check_toml_limits(std::string(input_limits::kToml.max_bytes + 1, '#'), "x.toml");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.message(), "x.toml: 4194305 bytes, over the TOML limit of 4 MiB (4194304 bytes)");
}

TEST(TomlInput, StringsAndCommentsDoNotCount) {
  const std::string dots = repeat("a.", 40) + "[[[[{{{{";
  const std::string text = "s = \"" + dots + "\" # " + dots + "\nl = '" + dots + "'\nm = \"\"\"\n" + dots +
                           "\n\\\"\"\" still inside\n\"\"\"\nn = '''\n" + dots + "\n'''\n";
  auto s = check_toml_limits(text, "x.toml");
  EXPECT_TRUE(s) << s.message();
  auto parsed = parse_toml(text, "x.toml");
  EXPECT_TRUE(parsed) << parsed.message();
  // Line numbers continue correctly after multi-line strings: the bad key is on line 10.
  auto after = check_toml_limits(text + repeat("b.", 17) + "b = 1\n", "x.toml");
  ASSERT_FALSE(after);
  EXPECT_EQ(after.message(), "x.toml:10: " + kTooManyParts);
}

// A multi-line string may end in up to five quotes (the last three close it). Losing track there
// would hide the inline table after it from the scan while the parser reads it.
TEST(TomlInput, QuotesJustInsideAMultiLineDelimiterDoNotHideWhatFollows) {
  for (const std::string q : {"\"\"\"", "'''"}) {
    const std::string quote(1, q[0]);
    const std::string text = "a = [" + q + "x" + quote + quote + q + ", { " + repeat("b.", 20) + "b = 1 }]\n";
    auto s = check_toml_limits(text, "x.toml");
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.message(), "x.toml:1: " + kTooManyParts);
    const std::string ok = "a = [" + q + "x" + quote + quote + q + ", { b.b = 1 }]\n";
    auto parsed = parse_toml(ok, "x.toml");
    EXPECT_TRUE(parsed) << parsed.message();
  }
}

TEST(TomlInput, SyntaxErrorsNameTheInputAndLine) {
  auto parsed = parse_toml("a = 1\nb = \n", "bad.toml");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.message().rfind("bad.toml:2: ", 0), 0u) << parsed.message();
}

// The limits leave room for every TOML file chipgate ships.
TEST(TomlInput, EveryShippedTomlFileIsWithinTheLimits) {
  int checked = 0;
  for (const char* dir : {"rules", "data"}) {
    for (const auto& e : fs::recursive_directory_iterator(test::source_path(dir))) {
      if (e.path().extension() != ".toml") continue;
      auto text = read_bounded_file(e.path().string(), input_limits::kToml);
      ASSERT_TRUE(text) << text.message();
      auto parsed = parse_toml(text.value(), e.path().string());
      EXPECT_TRUE(parsed) << parsed.message();
      ++checked;
    }
  }
  EXPECT_GE(checked, 19);  // 11 versions, 4 scenarios, the ISO reference, letters, terms, aliases
}

TEST(TomlInputReaders, ScenarioTextIsRefusedAsASyntaxProblem) {
  rules::Registry::ScenarioProblem problem = rules::Registry::ScenarioProblem::kNone;
  auto reg = test::registry()->with_scenario(dotted_header(50000), "", &problem);
  ASSERT_FALSE(reg);
  EXPECT_EQ(reg.message(), "scenario:1: " + kTooManyParts);
  EXPECT_EQ(problem, rules::Registry::ScenarioProblem::kSyntax);
  auto named = test::registry()->with_scenario(dotted_header(50000), "evil", &problem);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.message(), "scenarios/evil.toml:1: " + kTooManyParts);
}

TEST(TomlInputReaders, LettersFileIsRefused) {
  const std::string path = test::temp_dir() + "/letters.toml";
  test::write_file(path, "# letters\n" + dotted_header(50000));
  auto letters = test::registry()->load_letters(path);
  ASSERT_FALSE(letters);
  EXPECT_EQ(letters.message(), "letters.toml:2: " + kTooManyParts);
}

// Through the binary: each command that reads TOML fails with exit 2 and the message; before the
// front door, `decide --letters` died of SIGSEGV (exit 139).
TEST(TomlInputCli, EveryTomlReadingCommandRefusesTheFiftyThousandPartHeader) {
  const std::string dir = test::temp_dir();
  const std::string evil = dir + "/evil.toml";
  test::write_file(evil, dotted_header(50000));
  // A rules directory: the real one plus the evil scenario.
  const std::string rules = dir + "/rules/us-ear";
  fs::create_directories(rules);
  fs::copy(test::rules_dir(), rules, fs::copy_options::recursive);
  fs::copy(test::source_path("rules/reference"), dir + "/rules/reference", fs::copy_options::recursive);
  fs::copy_file(evil, rules + "/scenarios/evil.toml");

  const std::string catalog = test::source_path("data/sample-catalog.csv");
  const std::string orders = test::source_path("data/sample-orders.csv");
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"decide --orders " + orders + " --catalog " + catalog + " --letters " + evil + " --rules " + test::rules_dir(),
       "evil.toml:1: " + kTooManyParts},
      {"rules check --rules " + rules, "scenarios/evil.toml:1: " + kTooManyParts},
      {"screen --terms " + evil + " Huawei --rules " + test::rules_dir(), evil + ":1: " + kTooManyParts},
  };
  for (const auto& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace chipgate
