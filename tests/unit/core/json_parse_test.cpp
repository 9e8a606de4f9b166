// core::parse_json: Boost.JSON's parser with exact number conversion, lone-surrogate repair and
// a depth limit.
#include "core/json_parse.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <string>

namespace {

using dchat::core::parse_json;
namespace json = boost::json;

json::value Parse(std::string_view text, bool expect_ok = true) {
  boost::system::error_code ec;
  auto v = parse_json(text, ec);
  EXPECT_EQ(!ec, expect_ok) << text << ": " << ec.message();
  return v;
}

TEST(JsonParse, DoublesAreTheNearestValue) {
  EXPECT_EQ(Parse("2.5e33").as_double(), 2.5e33);
  EXPECT_EQ(Parse("123456789.12345679").as_double(), 123456789.12345679);
  EXPECT_EQ(json::serialize(Parse("[2.5e33,-0.1]")), "[2.5E33,-1E-1]");
}

TEST(JsonParse, OutOfRangeNumbersAreErrors) {
  Parse("1e400", false);
  Parse("[-1E309]", false);
  EXPECT_EQ(Parse("1e-400").as_double(), 0.0);  // underflow to zero is what JavaScript does too
}

TEST(JsonParse, IntegersKeepTheirType) {
  EXPECT_TRUE(Parse("9007199254740993").is_int64());
  EXPECT_TRUE(Parse("18446744073709551615").is_uint64());
}

TEST(JsonParse, LoneSurrogatesBecomeReplacementCharacters) {
  EXPECT_EQ(Parse(R"("a\ud83c")").as_string(), "a\xEF\xBF\xBD");
  EXPECT_EQ(Parse(R"("\udc00b")").as_string(), "\xEF\xBF\xBD" "b");
  EXPECT_EQ(Parse(R"("\ud83c\udf89")").as_string(), "\xF0\x9F\x8E\x89");  // a pair is kept
  EXPECT_EQ(Parse(R"("\\ud83c")").as_string(), "\\ud83c");                // an escaped backslash
  EXPECT_EQ(Parse(R"(["\ud83c","\u00e9"])").as_array()[1].as_string(), "\xC3\xA9");
}

TEST(JsonParse, NestingIsLimitedTo128Levels) {
  std::string ok(128, '['), too_deep(129, '[');
  ok += std::string(128, ']');
  too_deep += std::string(129, ']');
  Parse(ok);
  Parse(too_deep, false);
}

TEST(JsonParse, TrailingDataIsAnError) {
  Parse("[1] x", false);
  Parse("{} {}", false);
  Parse("", false);
}

}  // namespace
