// Fuzzes the HTTP request path: the raw bytes a client sends on one connection.
//
// The input is exactly what arrives on the socket (seeds are plain HTTP requests). It is read
// the way src/http/http_connection.cpp reads it: a Beast request_parser<string_body> per request,
// header_limit 16 KiB and no body limit while reading the header, the next request parsed from
// what is left in the same buffer (pipelining). Each request is routed on its target (split at
// '?') by a real http::Router holding the server's route table (src/app/main.cpp, chat_app.cpp,
// http_api.cpp, static_files.cpp, operations.cpp), and the pure functions the routes run are run
// on what was parsed: query_param / query_int (Boost.URL), cookie_value, is_websocket_upgrade /
// websocket_accept_response, same_origin, origin_allowed, path_segment, is_blob_id,
// make_response / make_json_response and the CORS headers. Routes that read a body read it like
// http::read_body (refused by Content-Length first, then the parser's body_limit) and hand it to
// what the server hands it to: engineio::decode_payload, core::parse_json, or the avatar
// upload's MultipartParser (limits scaled down so the fuzzer reaches them). A route that does not
// read the body closes the connection (write_response), so an unread body is never parsed as a
// request.
//
// The stream is read twice: with reads as large as Beast asks for, and in small reads (sizes
// from a hash of the input); everything observed must be identical (for inputs shorter than the
// header limit: see the end). Properties:
//  - no sanitizer finding, no exception escaping, whatever the bytes;
//  - what the parser accepts has no CR, LF or NUL in the method, target, field names or values
//    (values are reflected into responses: Origin, Access-Control-Request-Headers), never both
//    Content-Length and chunked, and a Content-Length that agrees with every such field;
//  - a header is accepted only within the 16 KiB limit (Beast 1.81 lets the whole header reach
//    about 3 times that: it checks what it has not parsed yet);
//  - a body read is within its limit and as long as its Content-Length says;
//  - the responses the server builds from a request (with Origin and requested headers
//    reflected) serialize to exactly one response that parses back to the same values;
//  - a 101 answer is well formed; origin_allowed is monotonic in the allowed list, and
//    same_origin agrees with it when there is no Sec-Fetch-Site;
//  - query_int finds a value only where query_param finds the key; cookie values are
//    substrings of the Cookie header without ';'.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "blob/blob_store.hpp"
#include "core/json_parse.hpp"
#include "engineio/packet.hpp"
#include "fuzz_check.hpp"
#include "http/api_responses.hpp"
#include "http/cookies.hpp"
#include "http/multipart.hpp"
#include "http/request_checks.hpp"
#include "http/responses.hpp"
#include "http/router.hpp"
#include "http/ws_handshake.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace http = dchat::http;
using beast::error_code;

// src/http/http_connection.cpp
constexpr size_t kHeaderLimit = 16 * 1024;
// Body limits of the routes that read one. /api/session is the server's own (8 KiB); the
// Engine.IO payload (1 MB by default) and the avatar (5 MiB + 64 KiB) are scaled down to sizes
// the fuzzer reaches, keeping their shape (file limit, plus headroom for the form's framing).
constexpr uint64_t kSessionBodyLimit = 8 * 1024;
constexpr uint64_t kEngineIoMaxPayload = 4096;
constexpr uint64_t kAvatarFileLimit = 4096;
constexpr uint64_t kAvatarBodyLimit = kAvatarFileLimit + 1024;
constexpr size_t kMaxRequests = 32;  // per connection, so a flood of tiny pipelined requests stays cheap

// A SyncReadStream over the input that hands it out in reads of scripted sizes (seed 0: as much
// as the reader asks for, as a socket with everything already received would).
class ScriptedStream {
 public:
  ScriptedStream(std::string_view data, uint32_t seed) : data_(data), rng_(seed) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    if (pos_ == data_.size()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    size_t want = data_.size() - pos_;
    if (rng_ != 0) {
      rng_ ^= rng_ << 13, rng_ ^= rng_ >> 17, rng_ ^= rng_ << 5;
      want = std::min<size_t>(want, (rng_ & 7) == 0 ? 1 + (rng_ >> 8) % 2000 : 1 + (rng_ >> 8) % 7);
    }
    const size_t n = asio::buffer_copy(buffers, asio::buffer(data_.data() + pos_, want));
    pos_ += n;
    return n;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  size_t delivered() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  uint32_t rng_;
};

// The routes, in the order the server registers them. Handlers are tags: they are only found,
// never run.
enum class Route { engineio, session, me, rooms, room_messages, avatar, avatars, static_file, healthz, readyz, metrics };

struct Tag {
  Route route;
  asio::awaitable<http::Outcome> operator()(http::RequestContext&) const { co_return http::Outcome::close; }
};

const http::Router& router() {
  static const http::Router r = [] {
    http::Router r;
    r.prefix("/socket.io/", Tag{Route::engineio});  // main.cpp
    r.exact("/api/session", Tag{Route::session});    // HttpApi::install
    r.exact("/api/me", Tag{Route::me});
    r.exact("/api/rooms", Tag{Route::rooms});
    r.prefix("/api/rooms/", Tag{Route::room_messages});
    r.exact("/api/avatar", Tag{Route::avatar});
    r.prefix("/avatars/", Tag{Route::avatars});
    for (const char* file : {"/index.html", "/app.js", "/app.css", "/socket.io.min.js", "/"})  // StaticFiles
      r.exact(file, Tag{Route::static_file});
    r.exact("/healthz", Tag{Route::healthz});  // Operations::install
    r.exact("/readyz", Tag{Route::readyz});
    r.exact("/metrics", Tag{Route::metrics});
    return r;
  }();
  return r;
}

bool clean(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

// Collects what the avatar upload keeps (AvatarSink in src/chat/http_api.cpp).
class AvatarSink : public http::MultipartSink {
 public:
  void on_part_begin(const http::MultipartPart& part) override {
    in_avatar_ = part.name == "avatar" && part.has_filename && !found_;
    if (in_avatar_) found_ = true;
  }
  void on_part_data(std::string_view bytes) override {
    if (in_avatar_) data_.append(bytes);
  }
  void on_part_end() override { in_avatar_ = false; }
  bool found_ = false;
  std::string data_;

 private:
  bool in_avatar_ = false;
};

// Serializes `res` as the server writes it and parses it back: exactly one response, the same
// status, fields and body (nothing a request reflected can split it).
void check_response_round_trip(http::Response& res, std::vector<std::string>& log) {
  res.prepare_payload();
  std::ostringstream os;
  os << res;
  const std::string wire = os.str();
  bhttp::response_parser<bhttp::string_body> back;
  back.eager(true);
  error_code ec;
  const size_t used = back.put(asio::buffer(wire), ec);
  FUZZ_CHECK(!ec && back.is_done() && used == wire.size());
  const auto& r = back.get();
  FUZZ_CHECK(r.result() == res.result() && r.body() == res.body());
  size_t fields = 0;
  for (const auto& f : res) {
    ++fields;
    FUZZ_CHECK(r[f.name_string()] == res[f.name_string()]);
  }
  size_t back_fields = 0;
  for (auto it = r.begin(); it != r.end(); ++it) ++back_fields;
  FUZZ_CHECK(back_fields == fields);
  log.push_back("R" + wire);
}

void check_request(const http::Request& req) {
  FUZZ_CHECK(clean(req.method_string()) && !req.method_string().empty());
  FUZZ_CHECK(clean(req.target()) && !req.target().empty());
  for (const auto& f : req) {
    FUZZ_CHECK(clean(f.name_string()) && !f.name_string().empty());
    FUZZ_CHECK(clean(f.value()));
  }
}

void run_pure_functions(const http::Parser& parser, std::string_view path, std::string_view query, Route route,
                        std::vector<std::string>& log) {
  const http::Request& req = parser.get();

  // Query strings: Engine.IO parameters and the history page (query_param / query_int).
  for (std::string_view key : {"transport", "sid", "EIO", "before", "limit"}) {
    const auto s = http::query_param(query, key);
    const auto n = http::query_int(query, key);
    if (n) FUZZ_CHECK(s.has_value());
    log.push_back("Q" + std::string(key) + "=" + (s ? "v" + *s : "-") + "/" + (n ? std::to_string(*n) : "-"));
  }

  // The session cookie (HttpApi::current_user, ChatService on the Socket.IO handshake).
  const std::string_view cookies = req[bhttp::field::cookie];
  if (const auto token = http::cookie_value(cookies, "chat_session")) {
    FUZZ_CHECK(token->find(';') == std::string::npos);
    FUZZ_CHECK(cookies.find(*token) != std::string_view::npos);
    log.push_back("C" + *token);
  }

  // Origins: same_origin (HttpApi), origin_allowed (Engine.IO, with CHAT_ALLOWED_ORIGINS).
  const bool same = http::same_origin(req);
  const bool allowed_none = http::origin_allowed(req, {});
  const bool allowed_one = http::origin_allowed(req, {"http://localhost:8888", "https://chat.example"});
  const bool allowed_any = http::origin_allowed(req, {"*"});
  FUZZ_CHECK(allowed_any);
  if (allowed_none) FUZZ_CHECK(allowed_one);
  if (req["Sec-Fetch-Site"].empty()) FUZZ_CHECK(same == allowed_none);
  log.push_back(std::string("O") + (same ? "s" : "-") + (allowed_none ? "n" : "-") + (allowed_one ? "o" : "-"));

  // WebSocket upgrade (Engine.IO handshake and upgrade).
  const bool upgrade = http::is_websocket_upgrade(req);
  if (upgrade) FUZZ_CHECK(req.method() == bhttp::verb::get);
  if (const auto accept = http::websocket_accept_response(req)) {
    FUZZ_CHECK(accept->starts_with("HTTP/1.1 101 Switching Protocols\r\n") && accept->ends_with("\r\n\r\n"));
    // The accept value is base64 of a SHA-1: 28 characters.
    const size_t at = accept->find("Sec-WebSocket-Accept: ");
    FUZZ_CHECK(at != std::string::npos && accept->size() - at == 22 + 28 + 4);
    log.push_back("W" + *accept);
  }
  log.push_back(std::string("U") + (upgrade ? "1" : "0"));

  // The route's own view of its path.
  if (route == Route::room_messages) {
    const std::string_view id = http::path_segment(path, "/api/rooms/");
    FUZZ_CHECK(id.find('/') == std::string_view::npos && path.find(id) != std::string_view::npos);
    log.push_back("P" + std::string(id));
  }
  if (route == Route::avatars) {
    // HttpApi::avatar_image: the path may be "/avatars" itself (prefix routes match it).
    constexpr std::string_view kPrefix = "/avatars/";
    const std::string_view file = path.starts_with(kPrefix) ? path.substr(kPrefix.size()) : std::string_view{};
    const bool blob = file.ends_with(".webp") && dchat::blob::is_blob_id(file.substr(0, file.size() - 5));
    log.push_back(std::string("A") + (blob ? "1" : "0"));
  }

  // Responses built from the request as Engine.IO builds them (Server::fail, Server::preflight):
  // the CORS headers reflect the Origin, a preflight reflects Access-Control-Request-Headers.
  http::Response res =
      req.method() == bhttp::verb::options
          ? http::make_response(req, bhttp::status::no_content, "", "text/plain")
          : http::make_json_response(req, bhttp::status::bad_request, {{"code", 3}, {"message", "Bad request"}});
  if (const auto origin = req[bhttp::field::origin]; !origin.empty() && allowed_none) {
    res.set(bhttp::field::access_control_allow_origin, origin);
    res.set(bhttp::field::access_control_allow_credentials, "true");
    res.set(bhttp::field::vary, "Origin");
  }
  if (req.method() == bhttp::verb::options) {
    res.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
    if (auto h = req[bhttp::field::access_control_request_headers]; !h.empty())
      res.set(bhttp::field::access_control_allow_headers, h);
    res.set(bhttp::field::access_control_max_age, "600");
  }
  FUZZ_CHECK(res.keep_alive() == req.keep_alive());
  check_response_round_trip(res, log);
}

// The body limit of the route, or 0 when the route does not read the body.
uint64_t body_limit_of(Route route, const http::Request& req, std::string_view query) {
  switch (route) {
    case Route::engineio:
      // Server::post: a polling POST to an existing session.
      return req.method() == bhttp::verb::post && http::query_param(query, "sid") ? kEngineIoMaxPayload : 0;
    case Route::session:
      return req.method() == bhttp::verb::post &&
                     std::string_view(req[bhttp::field::content_type]).starts_with("application/json")
                 ? kSessionBodyLimit
                 : 0;
    case Route::avatar:
      return req.method() == bhttp::verb::post ? kAvatarBodyLimit : 0;
    default:
      return 0;
  }
}

void use_body(Route route, const http::Request& req, std::vector<std::string>& log) {
  const std::string& body = req.body();
  if (route == Route::engineio) {
    const auto packets = dchat::engineio::decode_payload(body);
    if (packets) FUZZ_CHECK(!packets->empty());
    log.push_back("E" + std::to_string(packets ? packets->size() : 0));
  } else if (route == Route::session) {
    error_code ec;
    const boost::json::value v = dchat::core::parse_json(body, ec);
    log.push_back(ec ? "J!" : "J" + boost::json::serialize(v));
  } else if (route == Route::avatar) {
    http::MultipartLimits limits;
    limits.max_file_bytes = kAvatarFileLimit;
    limits.max_body_bytes = kAvatarBodyLimit;
    AvatarSink sink;
    http::MultipartParser parser(req[bhttp::field::content_type], sink, limits);
    const bool parsed = parser.feed(body) && parser.finish();
    FUZZ_CHECK(parsed == (parser.error() == http::MultipartError::none));
    if (parsed) FUZZ_CHECK(parser.complete());
    FUZZ_CHECK(sink.data_.size() <= kAvatarFileLimit);
    log.push_back("M" + std::to_string(static_cast<int>(parser.error())) + (sink.found_ ? "f" : "-") + sink.data_);
  }
}

// Every Content-Length field is all digits (leading zeros allowed) and says the same.
void check_content_length_fields(const http::Parser& parser) {
  if (!parser.content_length()) return;
  const std::string n = std::to_string(*parser.content_length());
  for (const auto& f : parser.get()) {
    if (f.name() != bhttp::field::content_length) continue;
    std::string_view v = f.value();
    FUZZ_CHECK(!v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos);
    while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
    FUZZ_CHECK(v == n);
  }
}

// The request line and every field as parsed, for comparing runs with different read patterns.
std::string describe_head(const http::Request& req, size_t header_bytes) {
  std::string head = std::string(req.method_string()) + " " + std::string(req.target()) + " " +
                     std::to_string(req.version()) + "|" + std::to_string(header_bytes);
  for (const auto& f : req) head += "|" + std::string(f.name_string()) + ":" + std::string(f.value());
  return head;
}

// What the server does with a routed request's body, as write_response and read_body do;
// false when the connection ends here.
bool handle_body(http::Parser& parser, ScriptedStream& stream, beast::flat_buffer& buffer, Route route,
                 std::string_view query, std::vector<std::string>& log) {
  const http::Request& req = parser.get();
  const uint64_t limit = body_limit_of(route, req, query);
  if (limit == 0) {
    // write_response: an unread body closes the connection.
    if (parser.is_done()) return true;
    log.push_back("unread body");
    return false;
  }
  // read_body: refused by Content-Length before reading, then the parser's limit.
  if (parser.content_length() && *parser.content_length() > limit) {
    log.push_back("413 by length");
    return false;
  }
  parser.body_limit(limit);
  error_code ec;
  bhttp::read(stream, buffer, parser, ec);
  if (ec) {
    // read_body: a 413 over the limit, else the connection just closes.
    log.push_back(ec == bhttp::error::body_limit ? "B413" : "Bclose");
    return false;
  }
  FUZZ_CHECK(parser.is_done());
  FUZZ_CHECK(req.body().size() <= limit);
  if (parser.content_length()) FUZZ_CHECK(req.body().size() == *parser.content_length());
  log.push_back("D" + req.body());
  use_body(route, req, log);
  return true;
}

// One connection: reads and handles requests until the input ends, an error, or a close.
std::vector<std::string> serve(std::string_view input, uint32_t seed) {
  std::vector<std::string> log;
  ScriptedStream stream(input, seed);
  beast::flat_buffer buffer;
  for (size_t i = 0; i < kMaxRequests; ++i) {
    http::Parser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
    const size_t start = stream.delivered() - buffer.size();
    error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    if (ec) {
      // The server answers a 400 (and closes) unless the client just went away. Which error
      // Beast reports may depend on the reads (a bare LF start line is "bad version" when the
      // whole line is there, "partial message" when the input ends first): only the server's
      // answer is compared.
      const bool quiet = ec == bhttp::error::end_of_stream || ec == asio::error::eof;
      log.push_back(quiet ? "X" : "X400");
      break;
    }
    FUZZ_CHECK(parser.is_header_done());
    // Beast 1.81 applies header_limit to the part of the header not yet parsed, not to the whole
    // of it (newer Beast subtracts what it parsed): the start line, the fields parsed from the
    // first read and the rest may each take up to the limit.
    const size_t header_bytes = stream.delivered() - buffer.size() - start;
    FUZZ_CHECK(header_bytes <= 3 * kHeaderLimit);

    const http::Request& req = parser.get();
    check_request(req);
    FUZZ_CHECK(!(parser.chunked() && parser.content_length()));
    check_content_length_fields(parser);
    log.push_back("H" + describe_head(req, header_bytes));

    const std::string_view target = req.target();
    const size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    const http::RouteHandler& handler = router().find(path);
    const Tag* tag = handler.target<Tag>();
    if (!tag) {
      // The 404 handler: closes when a body was announced, else keeps the connection.
      log.push_back("N");
      auto res = http::make_json_response(req, bhttp::status::not_found, {{"error", "not found"}});
      check_response_round_trip(res, log);
      if (!parser.is_done() || !req.keep_alive()) break;
      continue;
    }
    log.push_back("T" + std::to_string(static_cast<int>(tag->route)));
    run_pure_functions(parser, path, query, tag->route, log);

    if (!handle_body(parser, stream, buffer, tag->route, query, log)) break;
    if (!req.keep_alive()) break;
  }
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // RFC 6455 section 1.3's example.
  http::Request req{bhttp::verb::get, "/chat", 11};
  req.set(bhttp::field::upgrade, "websocket");
  req.set(bhttp::field::connection, "Upgrade");
  req.set(bhttp::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(bhttp::field::sec_websocket_version, "13");
  FUZZ_CHECK(http::is_websocket_upgrade(req));
  const auto accept = http::websocket_accept_response(req);
  FUZZ_CHECK(accept && accept->find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  uint32_t hash = 2166136261u;  // FNV-1a: the read sizes depend on the bytes, reproducibly
  for (unsigned char c : input) hash = (hash ^ c) * 16777619u;
  const auto at_once = serve(input, 0);
  const auto in_pieces = serve(input, hash | 1);
  // A header just over the limit may be accepted or refused depending on how it arrived (see
  // above), so inputs that long are not compared; shorter ones never reach the limit.
  if (size > kHeaderLimit) return 0;
  if (at_once != in_pieces) {
    // For triage: the first difference.
    size_t i = 0;
    while (i < at_once.size() && i < in_pieces.size() && at_once[i] == in_pieces[i]) ++i;
    std::fprintf(stderr, "read at once: %s\nin pieces:    %s\n",
                 i < at_once.size() ? at_once[i].substr(0, 300).c_str() : "(end)",
                 i < in_pieces.size() ? in_pieces[i].substr(0, 300).c_str() : "(end)");
  }
  FUZZ_CHECK(at_once == in_pieces);
  return 0;
}
