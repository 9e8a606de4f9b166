#pragma once
// Serves the web UI: the files of one directory, read once at start-up (a few small files; no
// path from a request ever reaches the filesystem). HTML gets a Content-Security-Policy that
// forbids inline scripts.
#include <map>
#include <string>

#include "http/router.hpp"

namespace dchat::http {

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
  };
  asio::awaitable<Outcome> serve(RequestContext& ctx, const File& file, bool html);
  std::map<std::string, File> files_;
};

}  // namespace dchat::http
