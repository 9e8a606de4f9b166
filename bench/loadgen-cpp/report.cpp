#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

void Json::sep() {
  if (!first) s += ',';
  first = false;
}

void Json::key(const char* k) {
  sep();
  s += '"';
  s += k;
  s += "\":";
}

void Json::open(const char* k) {
  if (k) key(k);
  else sep();
  s += '{';
  first = true;
}

void Json::close() {
  s += '}';
  first = false;
}

void Json::num(const char* k, double v, int dec) {
  key(k);
  if (!std::isfinite(v)) {
    s += "null";
    return;
  }
  char b[64];
  if (dec == 0) snprintf(b, sizeof b, "%.0f", v);
  else {
    snprintf(b, sizeof b, "%.*f", dec, v);
    // trim trailing zeros
    char* d = strchr(b, '.');
    if (d) {
      char* e = b + strlen(b) - 1;
      while (e > d && *e == '0') *e-- = 0;
      if (e == d) *e = 0;
    }
  }
  s += b;
}

void Json::integer(const char* k, long long v) {
  key(k);
  s += std::to_string(v);
}

void Json::boolean(const char* k, bool v) {
  key(k);
  s += v ? "true" : "false";
}

void Json::null(const char* k) {
  key(k);
  s += "null";
}

std::string Json::esc(const std::string& x) {
  std::string o;
  for (char ch : x) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (uint8_t(ch) < 0x20) {
      char b[8];
      snprintf(b, sizeof b, "\\u%04x", ch);
      o += b;
    } else o += ch;
  }
  return o;
}

void Json::str(const char* k, const std::string& v) {
  key(k);
  s += '"' + esc(v) + '"';
}

void Json::raw(const char* k, const std::string& v) {
  key(k);
  s += v;
}

std::string errors_json(const std::map<std::string, uint64_t>& errors) {
  Json j;
  j.open(nullptr);
  for (auto& [k, v] : errors) j.integer(Json::esc(k).c_str(), (long long)v);
  j.close();
  return j.s;
}

std::string fmt_int(double v) {
  if (!std::isfinite(v)) return "n/a";
  long long x = llround(v);
  std::string d = std::to_string(x < 0 ? -x : x), o;
  int n = 0;
  for (int i = int(d.size()) - 1; i >= 0; i--) {
    o.insert(o.begin(), d[size_t(i)]);
    if (++n % 3 == 0 && i > 0) o.insert(o.begin(), ',');
  }
  return (x < 0 ? "-" : "") + o;
}

std::string fmt(double v, int d) {
  if (!std::isfinite(v)) return "n/a";
  char b[64];
  snprintf(b, sizeof b, "%.*f", d, v);
  return b;
}
