// The web UI's files: served with "Cache-Control: no-cache" and a strong ETag of their content,
// and answered 304 without a body when the browser's copy is still current, so after an
// upgrade no browser mixes old and new ES modules (see http/static_files.hpp).
#include <gtest/gtest.h>

#include <fstream>

#include "../app/running_server.hpp"
#include "http/static_files.hpp"

namespace dchat::testing {
namespace {

namespace bhttp = boost::beast::http;

TEST(StaticFilesEtag, IsAStrongHashOfTheContent) {
  const auto etag = http::content_etag("export const x = 1;\n");
  EXPECT_EQ(etag.size(), 34u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_EQ(etag, http::content_etag("export const x = 1;\n"));
  EXPECT_NE(etag, http::content_etag("export const x = 2;\n"));
}

TEST(StaticFilesEtag, IfNoneMatchComparesWeakly) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(http::if_none_match_names("\"abc\"", etag));
  EXPECT_TRUE(http::if_none_match_names("W/\"abc\"", etag));
  EXPECT_TRUE(http::if_none_match_names("\"x\", \"abc\"", etag));
  EXPECT_TRUE(http::if_none_match_names(" * ", etag));
  EXPECT_FALSE(http::if_none_match_names("", etag));
  EXPECT_FALSE(http::if_none_match_names("\"abcd\"", etag));
  EXPECT_FALSE(http::if_none_match_names("abc", etag));
  EXPECT_FALSE(http::if_none_match_names("\"x\",,", etag));
}

class StaticFilesServed : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = chat_config(dir_.path());
    std::filesystem::create_directories(config_.web_dir);
    std::ofstream(std::filesystem::path(config_.web_dir) / "index.html") << "<!doctype html><title>chat</title>";
    std::ofstream(std::filesystem::path(config_.web_dir) / "app.js") << "export const version = 1;\n";
  }
  TempDir dir_;
  config::Config config_;
};

TEST_F(StaticFilesServed, EveryFileIsRevalidatedAndUnchangedOnesGet304) {
  RunningServer running(config_);
  for (const char* path : {"/app.js", "/index.html", "/"}) {
    SCOPED_TRACE(path);
    const auto first = http_get(running.port(), path);
    ASSERT_EQ(first.status, 200u);
    EXPECT_FALSE(first.body.empty());
    EXPECT_EQ(first.headers[bhttp::field::cache_control], "no-cache");
    const std::string etag(first.headers[bhttp::field::etag]);
    ASSERT_FALSE(etag.empty());
    EXPECT_FALSE(etag.starts_with("W/")) << "a strong ETag";

    const auto again = http_get(running.port(), path, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304u);
    EXPECT_TRUE(again.body.empty());
    // RFC 9110 8.6: no Content-Length on a 304 (a cache applying the 304's fields to its stored
    // copy would otherwise take the file to be empty).
    EXPECT_EQ(again.headers.count(bhttp::field::content_length), 0u);
    EXPECT_EQ(again.headers[bhttp::field::etag], etag);
    EXPECT_EQ(again.headers[bhttp::field::cache_control], "no-cache");

    const auto other = http_get(running.port(), path, {{"If-None-Match", "\"something-else\""}});
    EXPECT_EQ(other.status, 200u);
    EXPECT_EQ(other.body, first.body);
  }
  EXPECT_NE(http_get(running.port(), "/app.js").headers[bhttp::field::etag],
            http_get(running.port(), "/index.html").headers[bhttp::field::etag]);
  // The page keeps its security headers on a 304 too.
  const auto index_etag = std::string(http_get(running.port(), "/").headers[bhttp::field::etag]);
  const auto not_modified = http_get(running.port(), "/", {{"If-None-Match", index_etag}});
  EXPECT_FALSE(not_modified.headers["Content-Security-Policy"].empty());
}

}  // namespace
}  // namespace dchat::testing
