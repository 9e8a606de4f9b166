#pragma once
// Serves the web UI: the files of one directory, read once at start-up (a few small files; no
// path from a request ever reaches the filesystem). HTML gets a Content-Security-Policy that
// forbids inline scripts.
//
// Caching: every file is sent with "Cache-Control: no-cache" and a strong ETag (a hash of its
// content, computed once at load), and a request whose If-None-Match names that ETag gets 304
// without a body. The UI is many ES module files under fixed (not content-hashed) names: if a
// browser kept any of them for a while, after an upgrade it could run new modules with old ones
// and break in ways no version ever did. Revalidating every file costs one small 304 each.
#include <map>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace dchat::http {

// Whether an If-None-Match header value ("*" or a comma-separated list of entity tags, weak or
// strong) names `etag` (quoted). Weak comparison, as RFC 9110 13.1.2 asks for If-None-Match.
bool if_none_match_names(std::string_view header, std::string_view etag);

// The strong ETag of `content`: a quoted hex BLAKE2b-128 hash.
std::string content_etag(std::string_view content);

class StaticFiles {
 public:
  // Loads the regular files directly in `dir` whose names are made of [A-Za-z0-9._-]; an empty
  // or missing directory serves nothing (the API still works).
  explicit StaticFiles(const std::string& dir);
  size_t size() const noexcept { return files_.size(); }
  // "/" serves index.html; "/<name>" the file of that name.
  void install(Router& router);

 private:
  struct File {
    std::string content;
    std::string content_type;
    std::string etag;  // strong, quoted: "<hash of content>"
  };
  asio::awaitable<Outcome> serve(RequestContext& ctx, const File& file, bool html);
  std::map<std::string, File> files_;
};

}  // namespace dchat::http
