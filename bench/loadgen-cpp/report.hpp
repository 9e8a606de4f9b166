// Output helpers: a minimal JSON writer for the result line and number formatting for the
// human summary. Written out rather than taken from a JSON library: the load generator is a
// dependency-free stand-alone build, and it only ever writes one flat-ish object.
#pragma once

#include <cstdint>
#include <map>
#include <string>

struct Json {
  std::string s;
  bool first = true;
  void sep();
  void key(const char* k);
  void open(const char* k);  // nullptr: an unnamed object (the top level)
  void close();
  void num(const char* k, double v, int dec = 3);  // trailing zeros trimmed; null if not finite
  void integer(const char* k, long long v);
  void boolean(const char* k, bool v);
  void null(const char* k);
  static std::string esc(const std::string& x);
  void str(const char* k, const std::string& v);
  void raw(const char* k, const std::string& v);  // v is JSON already
};

// {"<error kind>":count,...}
std::string errors_json(const std::map<std::string, uint64_t>& errors);

std::string fmt_int(double v);  // rounded, thousands separated by ','; "n/a" if not finite
std::string fmt(double v, int d = 1);  // d decimals; "n/a" if not finite
