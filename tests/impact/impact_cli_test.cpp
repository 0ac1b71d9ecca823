// `chipgate impact` through the real binary, and its HTML page rendered by headless Chromium.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "test_support.h"

namespace chipgate::test {
namespace {

// Order parties are screened only against lists given explicitly (unscreened, a line naming parties
// is never "no licence"): these tests give the bundled sample list.
const std::string kLists = " --lists " + source_path("data/sample-parties.json");

// See impact_test.cpp for why each row classifies as it does (TPP = rate x bits).
const char* kCatalog =
    "id,vendor,name,kind,datacenter,dense_tops_int8,dense_tflops_fp8,dense_tflops_fp16_bf16,die_area_mm2,memory_gb,"
    "memory_bw_gbs,hbm_stacks,hbm_stack_area_mm2,interconnect_bw_gbs\n"
    "nvidia-h20,NVIDIA,H20,gpu,yes,296,296,148,814,96,4000,,,900\n"
    "nvidia-h100-sxm5-80gb,NVIDIA,H100 SXM5 <80GB>,gpu,yes,1979,1979,989.4,814,80,3350,,,900\n"
    "test-hbm,ExampleMem,Test HBM stack,hbm_stack,unknown,,,,,24,1000,1,100,\n"
    "no-params,ExampleCo,Announced chip,asic,yes,,,,,,,,,\n";

const char* kOrders =
    "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
    "end_user_hq_country,end_uses,exporter\n"
    "A,1,2026-11-25,test-hbm,100,500000,CN,Cons,User,CN,CN,,ExampleMem\n"
    "B,1,2026-11-25,nvidia-h100-sxm5-80gb,8,240000,CN,Cons,User,CN,CN,,NVIDIA\n"
    "C,1,2026-11-25,test-hbm,10,50000,DE,Cons,User,DE,DE,,ExampleMem\n";

struct Files {
  std::string dir, catalog, orders;
};
Files files() {
  Files f;
  f.dir = temp_dir();
  f.catalog = f.dir + "/catalog.csv";
  f.orders = f.dir + "/orders.csv";
  write_file(f.catalog, kCatalog);
  write_file(f.orders, kOrders);
  return f;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json product(const nlohmann::json& doc, const std::string& id) {
  for (const auto& p : doc["products"])
    if (p["id"] == id) return p;
  ADD_FAILURE() << "no product " << id;
  return {};
}

// The report screens order parties with the same fuzzy screener as `decide`: "HUAWEI TECH CO" is the
// Entity List's "Huawei Technologies Co., Ltd." (data/sample-parties.json) abbreviated (TECH =
// TECHNOLOGIES; CO, LTD legal forms), and an Entity List hit needs a licence for any item subject to
// the EAR, so the HBM order to Germany needs one before and after the rollback. An exact-name screen
// would miss the hit and show no licence on either side (as order C of the test below).
TEST(ImpactCli, OrderPartiesAreScreenedFuzzilyAsInDecide) {
  Files f = files();
  write_file(f.orders,
             "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
             "end_user_hq_country,end_uses,exporter\n"
             "D,1,2026-11-25,test-hbm,5,25000,DE,Cons,HUAWEI TECH CO,DE,DE,,ExampleMem\n");
  const auto r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " +
                         f.orders + kLists + " --format json --orders-detail all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["orders"].size(), 1u);
  EXPECT_EQ(doc["orders"][0]["before"]["license_required"], true);
  EXPECT_EQ(doc["orders"][0]["after"]["license_required"], true);
  EXPECT_EQ(doc["orders"][0]["transition"], "unchanged");
}

TEST(ImpactCli, JsonContractWithOrders) {
  const auto f = files();
  const auto r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " +
                         f.orders + kLists + " --destination CN --format json --html " + f.dir + "/r.html");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["products"].size(), 4u);
  const auto hbm = product(doc, "test-hbm");
  EXPECT_EQ(hbm["before"]["status"], "controlled");
  EXPECT_EQ(hbm["before"]["eccn"], nlohmann::json::array({"3A090.c"}));
  EXPECT_EQ(hbm["before"]["license_required"], true);
  EXPECT_EQ(hbm["after"]["status"], "not_controlled");
  EXPECT_EQ(hbm["after"]["license_required"], false);
  EXPECT_EQ(hbm["changed"], true);
  EXPECT_EQ(hbm["capability"]["memory_bw_gbs"], 1000);
  // The chip with no parameters is listed as not assessed, with what is missing; nothing invented.
  const auto np = product(doc, "no-params");
  EXPECT_EQ(np["capability"]["assessed"], false);
  EXPECT_TRUE(np["capability"]["tpp"].is_null());
  EXPECT_FALSE(np["capability"]["missing"].empty());
  // Orders: A (HBM to China) unlocked; B (H100) unchanged; C (HBM to Germany) ECCN changes only.
  ASSERT_EQ(doc["orders"].size(), 3u);
  EXPECT_EQ(doc["orders"][0]["transition"], "unlocked");
  EXPECT_EQ(doc["orders"][0]["quantity"], 100);
  EXPECT_EQ(doc["orders"][1]["changed"], false);
  EXPECT_EQ(doc["orders"][2]["changed"], true);
  EXPECT_EQ(doc["orders"][2]["transition"], "unchanged");
  const auto& t = doc["totals"];
  EXPECT_EQ(t["products_changed"], 1);
  EXPECT_EQ(t["order_lines_changed"], 2);
  EXPECT_EQ(t["order_lines_unlocked"], 1);
  EXPECT_EQ(t["value_unlocked_usd"], 500000);
  EXPECT_EQ(t["units_unlocked"], 100);
  // 100 stacks x 1000 GB/s = 100000 GB/s; 100 x 24 GB = 2400 GB.
  EXPECT_EQ(t["capability_unlocked"]["memory_bw_gbs"], 100000);
  EXPECT_EQ(t["capability_unlocked"]["memory_gb"], 2400);
  EXPECT_NE(doc["disclaimer"].get<std::string>().find("Not legal advice"), std::string::npos);
  EXPECT_EQ(doc["scenario"]["name"], "hbm-rollback");
  EXPECT_EQ(doc["base"]["version"], "2026-11-10");  // in force on 2026-11-25 (the Affiliates rule back)
  // The HTML page was written and escapes the product name.
  const std::string html = slurp(f.dir + "/r.html");
  EXPECT_NE(html.find("H100 SXM5 &lt;80GB&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<80GB>"), std::string::npos);
}

TEST(ImpactCli, ChangedOnlyOrdersAndCsv) {
  const auto f = files();
  auto r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " + f.orders +
                   kLists + " --orders-detail changed --orders-csv " + f.dir + "/orders-out.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["orders"].size(), 2u);  // A and C change; B does not
  const std::string csv = slurp(f.dir + "/orders-out.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);  // header + 3 lines
  EXPECT_NE(csv.find("A,1,2,test-hbm,CN,100,500000,3A090.c,required,,not required,yes,unlocked"), std::string::npos)
      << csv;

  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --format csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5);  // header + 4 products
  EXPECT_EQ(r.out.rfind("id,name,kind,before_status", 0), 0u);
  EXPECT_NE(
      r.out.find("test-hbm,Test HBM stack,hbm,controlled,3A090.c,required,not_controlled,,not required,yes,unlocked"),
      std::string::npos)
      << r.out;
}

// --format table for people; --date is --base under the name every other command uses, and
// --products / --decode-batch are the unambiguous names of --compare / --batch (old names still work).
TEST(ImpactCli, TableFormatAndUnifiedFlagNames) {
  const auto f = files();
  const auto t = run_cli("impact --date 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " +
                         f.orders + kLists + " --format table --products test-hbm --decode-batch 4");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("PRODUCT"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("required (3A090.c)"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("unlocked"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Order lines: 3, changed 2"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Not legal advice"), std::string::npos) << t.out;
  // The same report through the old names and the new ones.
  const auto by_base = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog +
                               " --compare test-hbm --batch 4");
  const auto by_date = run_cli("impact --date 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog +
                               " --products test-hbm --decode-batch 4");
  ASSERT_EQ(by_base.exit_code, 0) << by_base.err;
  EXPECT_EQ(by_base.out, by_date.out);
  EXPECT_EQ(nlohmann::json::parse(by_date.out)["comparison"].size(), 1u) << by_date.out.substr(0, 2000);
}

TEST(ImpactCli, ErrorsExitTwoAndNameTheOption) {
  const auto f = files();
  auto r = run_cli("impact --base 2026-11-25 --scenario nope --catalog " + f.catalog);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("scenario"), std::string::npos) << r.err;
  r = run_cli("impact --base 2026-11-25 --catalog " + f.catalog);  // --scenario missing
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --precision fp12");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("precision"), std::string::npos) << r.err;
  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --units -3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--units"), std::string::npos) << r.err;
  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --destination ZZ");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("destination"), std::string::npos) << r.err;
  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.dir + "/absent.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--catalog"), std::string::npos) << r.err;
  // An order line for an unknown product: reported, the rest still analysed, exit 1.
  write_file(f.dir + "/bad.csv", std::string(kOrders) + "D,1,2026-11-25,ghost,1,1,CN,C,U,CN,CN,,X\n");
  r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " + f.dir +
              "/bad.csv" + kLists);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("row 5, column product_id"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["orders"].size(), 3u);
}

TEST(ImpactCli, EveryBundledScenarioProducesAReportOnTheSharedCatalog) {
  const std::string dir = temp_dir();
  for (const char* s : {"hbm-rollback", "return-to-2022", "h20-class-allowed", "tpp-threshold-raised"}) {
    const auto r = run_cli(std::string("impact --base 2026-11-25 --scenario ") + s + " --catalog " +
                           shared_data("accelerators.csv") + " --letters " + source_path("data/sample-letters.toml") +
                           " --html " + dir + "/" + s + ".html");
    ASSERT_EQ(r.exit_code, 0) << s << ": " << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["products"].size(), 80u) << s;  // the 80 rows of accelerators.csv
    EXPECT_GT(doc["totals"]["products_changed"].get<int>(), 0) << s;
  }
}

// Headless Chromium opens the page and dumps the DOM it built: the tables and SVG charts must be
// there, parsed as elements (an unescaped '<' or a broken tag would change the element counts).
TEST(ImpactHtml, RendersInHeadlessChromium) {
  const char* candidates[] = {"chromium", "chromium-browser", "google-chrome"};
  std::string browser;
  for (const char* c : candidates)
    if (std::system((std::string("command -v ") + c + " >/dev/null 2>&1").c_str()) == 0) {
      browser = c;
      break;
    }
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (scripts/install-deps.sh installs it)";
  const auto f = files();
  const std::string html = f.dir + "/report.html";
  auto r = run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " + f.catalog + " --orders " + f.orders +
                   kLists + " --compare nvidia-h20,nvidia-h100-sxm5-80gb --html " + html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dom = f.dir + "/dom.html", err = f.dir + "/chromium.err";
  const std::string cmd = "HOME=" + f.dir + " timeout 120 " + browser +
                          " --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir=" + f.dir +
                          "/profile --dump-dom file://" + html + " >" + dom + " 2>" + err;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(err);
  const std::string d = slurp(dom);
  auto count = [&d](const std::string& pattern) {
    const std::regex re(pattern);
    return std::distance(std::sregex_iterator(d.begin(), d.end(), re), std::sregex_iterator());
  };
  for (const char* id :
       {"changed-products", "capability-unlocked", "comparison", "orders-by-product", "changed-orders", "all-products"})
    EXPECT_EQ(count(std::string("<table id=\"") + id + "\""), 1) << id;
  for (const char* id : {"plane", "capability-chart", "comparison-chart"})
    EXPECT_EQ(count(std::string("<svg id=\"") + id + "\""), 1) << id;
  // Plane: one marker per product with a TPP (H20, H100; the stack and the bare chip have none).
  EXPECT_EQ(count("<g class=\"product\">"), 2);
  // 3A090.a/.b prongs of the base and of the scenario (3A090.c is not on this plane).
  EXPECT_GE(count("<g class=\"region base\">"), 4);
  EXPECT_GE(count("<g class=\"region scenario\">"), 4);
  EXPECT_NE(d.find("H100 SXM5 &lt;80GB&gt;"), std::string::npos);
  // "products whose outcome changes", "all products", and twice in "orders by product" (line A
  // unlocked, line C changed ECCN only).
  EXPECT_EQ(count("<tr><td>test-hbm</td>"), 4);
  EXPECT_EQ(count("<tr><td>no-params</td>"), 1);  // unchanged: only in "all products"
  // No parse error page, no script.
  EXPECT_EQ(d.find("<script"), std::string::npos);
  EXPECT_NE(d.find("Rollback impact"), std::string::npos);
}

}  // namespace
}  // namespace chipgate::test
