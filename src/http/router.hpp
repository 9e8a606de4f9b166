#pragma once
// Maps request paths to handlers: exact paths, and prefixes for trees such as /socket.io/.
#include <string>
#include <vector>

#include "http/request_context.hpp"

namespace dchat::http {

class Router {
 public:
  void exact(std::string path, RouteHandler handler);
  // Matches `prefix` itself without its trailing slash too ("/socket.io" for "/socket.io/").
  void prefix(std::string prefix, RouteHandler handler);
  // The handler for `path`, or a 404 JSON handler.
  const RouteHandler& find(std::string_view path) const;

 private:
  struct Route {
    std::string path;
    bool is_prefix;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
  static const RouteHandler not_found_;
};

}  // namespace dchat::http
