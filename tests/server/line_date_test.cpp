// The server shares one order decider (and its classification cache) between every request and
// every client: a line's answer must not depend on which line, of which client, came first. The
// case and its reasoning are those of tests/line_date_test.cpp: an H20 to China under NVIDIA's
// is-informed letter of 9 Apr 2025 (data/sample-letters.toml) needs a licence on 2025-04-10 and none
// on 2025-04-01; both dates fall under rule version 2025-01-16.
#include <gtest/gtest.h>

#include <string>

#include "server_fixture.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h

class LineDateTest : public ServerTest {};

std::string h20_line(const std::string& line, const std::string& date) {
  return R"({"order_id":"PO-H20","line":")" + line + R"(","date":")" + date +
         R"(","product_id":"nvidia-h20","quantity":16,"value_usd":200000,"ship_to":"CN","end_user_country":"CN",)"
         R"("exporter":"NVIDIA"})";
}

void expect_line(const json& d, const std::string& date) {
  EXPECT_EQ(d["date"], date) << d.dump();
  EXPECT_EQ(d["license_required"], date == "2025-04-10") << d.dump();
}

TEST_P(LineDateTest, SeparateRequestsInEitherOrder) {
  for (const auto& [first, second] : {std::pair{"2025-04-10", "2025-04-01"}, std::pair{"2025-04-01", "2025-04-10"}}) {
    auto a = call("POST", "/v1/decide", fx().analyst, h20_line("1", first));
    auto b = call("POST", "/v1/decide", fx().analyst, h20_line("2", second));
    ASSERT_EQ(a.status, 200) << a.body;
    ASSERT_EQ(b.status, 200) << b.body;
    expect_line(a.j(), first);
    expect_line(b.j(), second);
  }
}

TEST_P(LineDateTest, OneBatchInEitherOrder) {
  for (const auto& [first, second] : {std::pair{"2025-04-10", "2025-04-01"}, std::pair{"2025-04-01", "2025-04-10"}}) {
    auto r = call("POST", "/v1/decide", fx().analyst, "[" + h20_line("1", first) + "," + h20_line("2", second) + "]");
    ASSERT_EQ(r.status, 200) << r.body;
    const json d = r.j()["decisions"];
    ASSERT_EQ(d.size(), 2u) << r.body;
    expect_line(d[0], first);
    expect_line(d[1], second);
  }
}

TEST_P(LineDateTest, QueryDateForLinesWithoutOne) {
  // ?date= decides lines that carry no date; each request on its own date.
  const std::string undated =
      R"({"order_id":"PO-H20","product_id":"nvidia-h20","quantity":16,"value_usd":200000,"ship_to":"CN",)"
      R"("end_user_country":"CN","exporter":"NVIDIA"})";
  for (const char* date : {"2025-04-10", "2025-04-01", "2025-04-10"}) {
    auto r = call("POST", std::string("/v1/decide?date=") + date, fx().analyst, undated);
    ASSERT_EQ(r.status, 200) << r.body;
    expect_line(r.j(), date);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LineDateTest, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server
