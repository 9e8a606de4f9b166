#include "sign_in.hpp"

#include <strings.h>

#include <cstdlib>
#include <cstring>

namespace {

// The value of the first header `name` (lower case, with the colon) in the head [d, d + n),
// or an empty view. `from` is where to start looking (for repeated headers).
const char* header_line(const char* d, size_t n, const char* name, size_t from = 0) {
  size_t nn = strlen(name);
  for (size_t i = from; i + nn + 2 <= n; i++)
    if (d[i] == '\r' && d[i + 1] == '\n' && strncasecmp(d + i + 2, name, nn) == 0) return d + i + 2;
  return nullptr;
}

std::string header_value(const char* line, const char* head_end, size_t name_len) {
  const char* v = line + name_len;
  while (v < head_end && (*v == ' ' || *v == '\t')) v++;
  const char* e = v;
  while (e < head_end && *e != '\r') e++;
  return std::string(v, size_t(e - v));
}

// "error":"<code>" in the body (both servers answer errors as {"error":"<code>",...}).
std::string error_code(const char* b, size_t n) {
  const char* k = static_cast<const char*>(memmem(b, n, "\"error\":\"", 9));
  if (!k) return "";
  const char* v = k + 9;
  const char* e = static_cast<const char*>(memchr(v, '"', size_t(b + n - v)));
  return e && e - v <= 40 ? std::string(v, size_t(e - v)) : "";
}

}  // namespace

std::string sign_in_request(const std::string& host, int port, const std::string& name, const std::string& password) {
  // Names and passwords are made by the load generator: letters, digits and '-', no escaping.
  std::string body = "{\"name\":\"" + name + "\",\"password\":\"" + password + "\"}";
  return "POST /api/session HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

SignInAnswer read_sign_in_answer(const char* d, size_t n, bool eof) {
  SignInAnswer a;
  const char* e = static_cast<const char*>(memmem(d, n, "\r\n\r\n", 4));
  if (!e) {
    if (eof) return {SignInAnswer::BAD, 0, "", "sign-in: connection closed before the answer", 0};
    if (n > 16384) return {SignInAnswer::BAD, 0, "", "sign-in: answer head too long", 0};
    return a;
  }
  const size_t hlen = size_t(e - d) + 2;  // up to and including the last header's CRLF
  const char* body = e + 4;
  const size_t have = n - size_t(body - d);
  if (hlen < 14 || (memcmp(d, "HTTP/1.1 ", 9) != 0 && memcmp(d, "HTTP/1.0 ", 9) != 0))
    return {SignInAnswer::BAD, 0, "", "sign-in: not an HTTP answer", 0};
  a.status = atoi(d + 9);
  // Complete? Content-Length, chunked (ends with the zero-length chunk) or, else, at close.
  size_t body_len = have;
  if (const char* cl = header_line(d, hlen, "content-length:")) {
    size_t want = size_t(strtoul(header_value(cl, e, 15).c_str(), nullptr, 10));
    if (have < want) {
      if (eof) return {SignInAnswer::BAD, a.status, "", "sign-in: connection closed in the answer's body", 0};
      return a;
    }
    body_len = want;
  } else if (const char* te = header_line(d, hlen, "transfer-encoding:");
             te && strcasestr(header_value(te, e, 18).c_str(), "chunked")) {
    bool last = (have >= 5 && memcmp(body, "0\r\n\r\n", 5) == 0) || memmem(body, have, "\r\n0\r\n\r\n", 7);
    if (!last) {
      if (eof) return {SignInAnswer::BAD, a.status, "", "sign-in: connection closed in the answer's body", 0};
      return a;
    }
  } else if (!eof) {
    return a;
  }
  a.kind = SignInAnswer::DONE;
  a.error = error_code(body, body_len);
  if (const char* ra = header_line(d, hlen, "retry-after:")) a.retry_after_s = atof(header_value(ra, e, 12).c_str());
  // Every Set-Cookie; only chat_session is sent back (chatd's chat_device is for later sign-ins).
  for (const char* sc = header_line(d, hlen, "set-cookie:"); sc;
       sc = header_line(d, hlen, "set-cookie:", size_t(sc - d))) {
    std::string v = header_value(sc, e, 11);
    if (v.compare(0, 13, "chat_session=") == 0) {
      a.cookie = v.substr(0, v.find(';'));
      break;
    }
  }
  return a;
}
