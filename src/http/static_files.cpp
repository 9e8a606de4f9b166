#include "http/static_files.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/api_responses.hpp"

namespace dchat::http {

namespace bhttp = beast::http;
namespace fs = std::filesystem;

namespace {

constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

std::string content_type_for(const std::string& name) {
  auto ends = [&](const char* ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".webp")) return "image/webp";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json") || ends(".map")) return "application/json";
  return "application/octet-stream";
}

bool safe_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool if_none_match_names(std::string_view header, std::string_view etag) {
  if (trim(header) == "*") return true;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string content_etag(std::string_view content) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(content.data()), content.size(),
                     nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string("\"") + hex + "\"";
}

StaticFiles::StaticFiles(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) {
    spdlog::warn("web: no UI directory at \"{}\": only the API is served", dir);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !safe_name(name)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    std::string bytes = content.str();
    std::string etag = content_etag(bytes);
    files_["/" + name] = File{std::move(bytes), content_type_for(name), std::move(etag)};
  }
  spdlog::info("web: serving {} file(s) from {}", files_.size(), dir);
}

void StaticFiles::install(Router& router) {
  for (const auto& [path, file] : files_) {
    const bool html = path.ends_with(".html");
    router.exact(path, [this, &file, html](RequestContext& ctx) { return serve(ctx, file, html); });
  }
  if (auto index = files_.find("/index.html"); index != files_.end())
    router.exact("/", [this, &file = index->second](RequestContext& ctx) { return serve(ctx, file, true); });
}

asio::awaitable<Outcome> StaticFiles::serve(RequestContext& ctx, const File& file, bool html) {
  const auto& req = ctx.parser.get();
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
    co_return co_await reply_error(ctx, bhttp::status::method_not_allowed, "bad_request", "use GET");
  // Unchanged since the browser's copy: 304 without a body (see the header for why every file
  // is revalidated).
  const bool unchanged = if_none_match_names(req[bhttp::field::if_none_match], file.etag);
  const bool no_body = unchanged || req.method() == bhttp::verb::head;
  auto res = make_response(req, unchanged ? bhttp::status::not_modified : bhttp::status::ok,
                           no_body ? "" : file.content, file.content_type);
  if (html) {
    res.set("Content-Security-Policy", kContentSecurityPolicy);
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "same-origin");
  }
  res.set(bhttp::field::cache_control, "no-cache");
  res.set(bhttp::field::etag, file.etag);
  const bool ok = co_await write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

}  // namespace dchat::http
