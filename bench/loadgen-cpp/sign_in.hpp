// The chat scenario's sign-in on the wire: POST /api/session {"name","password"} (the first
// sign-in with an unused name creates the account), and the answer's status, session cookie
// and error code. HTTP/1.1 with "Connection: close": one request per connection, the
// WebSocket comes on a new one.
#pragma once

#include <cstddef>
#include <string>

std::string sign_in_request(const std::string& host, int port, const std::string& name, const std::string& password);

struct SignInAnswer {
  enum Kind { INCOMPLETE, DONE, BAD } kind = INCOMPLETE;
  int status = 0;
  std::string cookie;        // "chat_session=<token>" when the answer sets it
  std::string error;         // the body's "error" code (or, BAD, what could not be read)
  double retry_after_s = 0;  // Retry-After, seconds (0 when absent)
};
// Reads the answer from the n bytes received so far; eof: the server has closed (an answer
// without Content-Length or chunks ends there).
SignInAnswer read_sign_in_answer(const char* d, size_t n, bool eof);
