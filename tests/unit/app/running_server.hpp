#pragma once
// A whole chatd (app::Server) started in-process for a test: SQLite and uploads in a fresh
// temporary directory, any free port on loopback, its event loops on a thread of their own;
// plus a blocking HTTP/1.1 client to talk to it.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/server.hpp"
#include "config/config.hpp"

namespace dchat::testing {

// A directory removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("chatd-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A chat-mode configuration living in `dir`: the web UI is dir/web (absent unless the test
// makes it).
inline config::Config chat_config(const std::filesystem::path& dir) {
  config::Config c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.threads = 2;
  c.database_url = "sqlite:" + (dir / "chat.db").string();
  c.upload_dir = (dir / "uploads").string();
  c.web_dir = (dir / "web").string();
  c.store_threads = 1;
  c.hash_threads = 1;
  c.shutdown_grace_ms = 2000;
  return c;
}

// Constructs the server and runs it on a thread; the destructor drains it (unless the test did)
// and waits for its loops to end before destroying it.
class RunningServer {
 public:
  explicit RunningServer(const config::Config& config)
      : server_(std::make_unique<app::Server>(config, std::string())), loops_([this] { server_->run(); }) {}
  ~RunningServer() {
    if (!loops_.joinable()) return;
    server_->drain();
    loops_.join();
  }
  app::Server& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  // Waits for the event loops to end (after a drain or a stop).
  void wait_stopped() {
    if (loops_.joinable()) loops_.join();
  }

 private:
  std::unique_ptr<app::Server> server_;
  std::thread loops_;
};

struct Reply {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
};

// GET `target` on 127.0.0.1:`port` with `headers`, on a connection of its own.
inline Reply http_get(uint16_t port, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  namespace bhttp = boost::beast::http;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  bhttp::write(stream, req);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  Reply reply;
  reply.status = res.result_int();
  reply.body = res.body();
  for (const auto& field : res) reply.headers.insert(field.name_string(), field.value());
  boost::system::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return reply;
}

}  // namespace dchat::testing
