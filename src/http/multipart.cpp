#include "http/multipart.hpp"

#include <utility>

namespace dchat::http {

namespace {

// RFC 2046 section 5.1.1: at most 70 characters.
constexpr size_t kMaxBoundaryLength = 70;

char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 9110 tchar: what header names and parameter names are made of.
bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 2046 bchars.
bool is_bchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '\'': case '(': case ')': case '+': case '_': case ',': case '-': case '.':
    case '/': case ':': case '=': case '?': case ' ':
      return true;
    default:
      return false;
  }
}

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

// Splits "value; key=value; key="quoted"" into the leading value and its parameters, calling
// on_param(lower-case key, value) for each. Returns false on a syntax error.
//
// Quoted values: a backslash escapes only '"' and '\' and is literal otherwise. Browsers never
// backslash-escape (they percent-encode '"' per the HTML spec) and old ones send Windows paths
// like "C:\photos\me.png", which a strict quoted-pair reading would mangle; curl escapes '"'
// and '\'. This reading is right for all of them.
template <typename OnParam>
bool parse_params(std::string_view s, OnParam&& on_param) {
  size_t i = 0;
  const auto skip_ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  for (;;) {
    skip_ows();
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    skip_ows();
    if (i == s.size()) return true;  // a trailing ';' is harmless
    const size_t key_start = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    if (i == key_start) return false;
    std::string key(s.substr(key_start, i - key_start));
    for (char& c : key) c = to_lower(c);
    skip_ows();  // not allowed around '=' by the RFCs, but harmless to accept
    if (i == s.size() || s[i] != '=') return false;
    ++i;
    skip_ows();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < s.size() && (s[i] == '"' || s[i] == '\\')) {
          value.push_back(s[i++]);
          continue;
        }
        value.push_back(c);
      }
      if (!closed) return false;
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ';' && !is_ows(s[i]) && s[i] != '"') ++i;
      if (i == start) return false;
      value.assign(s.substr(start, i - start));
    }
    if (!on_param(key, std::move(value))) return false;
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 8187 ext-value ("UTF-8''na%C3%AFve.png") → its bytes; the charset is not checked because
// the result is informational only.
std::string decode_ext_value(std::string_view v) {
  const size_t q1 = v.find('\'');
  const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 != std::string_view::npos) v.remove_prefix(q2 + 1);
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && hex_value(v[i + 1]) >= 0 && hex_value(v[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2])));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

// Keeps the last path component only: the filename is shown to people, never used as a path,
// but a client that sends "../../etc/passwd" or "C:\x\y.png" gets flagged.
void set_filename(MultipartPart& part, std::string_view raw) {
  part.has_filename = true;
  const size_t sep = raw.find_last_of("/\\");
  if (sep != std::string_view::npos) {
    part.filename_had_path = true;
    raw.remove_prefix(sep + 1);
  }
  part.filename.clear();
  for (char c : raw)
    if (!is_control(c)) part.filename.push_back(c);
  if (part.filename == "." || part.filename == "..") {
    part.filename.clear();
    part.filename_had_path = true;
  }
}

// Content-Disposition: form-data; name="..."; filename="..."
bool parse_disposition(std::string_view value, MultipartPart& part) {
  const size_t semi = value.find(';');
  if (!iequals(trim_ows(value.substr(0, semi)), "form-data")) return false;
  if (semi == std::string_view::npos) return false;  // no name
  bool have_name = false, have_filename = false, have_filename_ext = false;
  std::string filename_ext;
  const bool ok = parse_params(value.substr(semi), [&](const std::string& key, std::string v) {
    // A repeated parameter is ambiguous (which one would a proxy or a scanner have looked at?).
    if (key == "name") {
      if (have_name) return false;
      have_name = true;
      part.name = std::move(v);
    } else if (key == "filename") {
      if (have_filename) return false;
      have_filename = true;
      set_filename(part, v);
    } else if (key == "filename*") {
      if (have_filename_ext) return false;
      have_filename_ext = true;
      filename_ext = std::move(v);
    }
    return true;
  });
  if (!ok || !have_name) return false;
  // RFC 7578 says not to use filename*, but when it is the only one it is still a file part.
  if (!have_filename && have_filename_ext) set_filename(part, decode_ext_value(filename_ext));
  return true;
}

// The header block of one part, without the final empty line: "Name: value\r\n" lines.
bool parse_part_headers(std::string_view block, MultipartPart& part) {
  bool have_disposition = false, have_type = false;
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");
    if (eol == std::string_view::npos) return false;
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.empty() || is_ows(line.front())) return false;  // obsolete line folding
    for (char c : line)
      if (is_control(c) && c != '\t') return false;  // bare CR or LF, NUL...
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(c)) return false;
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      if (have_disposition || !parse_disposition(value, part)) return false;
      have_disposition = true;
    } else if (iequals(name, "content-type")) {
      if (have_type) return false;
      have_type = true;
      part.content_type.assign(value);
    }
    // Other headers (Content-Transfer-Encoding is deprecated by RFC 7578) are ignored.
  }
  return have_disposition;
}

}  // namespace

const char* multipart_error_message(MultipartError e) noexcept {
  switch (e) {
    case MultipartError::none: return "no error";
    case MultipartError::not_multipart: return "the Content-Type is not multipart/form-data";
    case MultipartError::missing_boundary: return "the Content-Type has no boundary parameter";
    case MultipartError::invalid_boundary: return "the multipart boundary is invalid";
    case MultipartError::malformed: return "the multipart body is malformed";
    case MultipartError::header_too_large: return "a multipart part's headers are too large";
    case MultipartError::too_many_parts: return "the multipart body has too many parts";
    case MultipartError::too_large: return "the request body is too large";
    case MultipartError::part_too_large: return "an uploaded file or field is too large";
    case MultipartError::incomplete: return "the multipart body ended before its closing boundary";
  }
  return "unknown multipart error";
}

MultipartError MultipartParser::parse_boundary(std::string_view content_type, std::string& boundary) {
  boundary.clear();
  const size_t semi = content_type.find(';');
  if (!iequals(trim_ows(content_type.substr(0, semi)), "multipart/form-data")) return MultipartError::not_multipart;
  if (semi == std::string_view::npos) return MultipartError::missing_boundary;
  bool found = false;
  const bool ok = parse_params(content_type.substr(semi), [&](const std::string& key, std::string v) {
    if (key != "boundary") return true;
    if (found) return false;  // two boundaries: refuse rather than guess
    found = true;
    boundary = std::move(v);
    return true;
  });
  if (!ok) {
    boundary.clear();
    return MultipartError::invalid_boundary;
  }
  if (!found) return MultipartError::missing_boundary;
  bool valid = !boundary.empty() && boundary.size() <= kMaxBoundaryLength && boundary.back() != ' ';
  for (char c : boundary) valid = valid && is_bchar(c);
  if (!valid) {
    boundary.clear();
    return MultipartError::invalid_boundary;
  }
  return MultipartError::none;
}

MultipartParser::MultipartParser(std::string_view content_type, MultipartSink& sink, MultipartLimits limits)
    : sink_(sink), limits_(limits) {
  const MultipartError e = parse_boundary(content_type, boundary_);
  if (e != MultipartError::none) {
    fail(e);
    return;
  }
  delimiter_ = "\r\n--" + boundary_;
  // As if the body began with CRLF: a first boundary at offset 0 then matches like any other.
  matched_ = 2;
}

void MultipartParser::fail(MultipartError e) {
  state_ = State::failed;
  error_ = e;
}

bool MultipartParser::feed(std::string_view chunk) {
  if (state_ == State::failed) return false;
  // Cut at the exact limit so the outcome does not depend on how the body was chunked.
  const uint64_t room = limits_.max_body_bytes - total_bytes_;
  const bool over = chunk.size() > room;
  if (over) chunk = chunk.substr(0, static_cast<size_t>(room));
  total_bytes_ += chunk.size();
  process(chunk);
  if (over && state_ != State::failed) fail(MultipartError::too_large);
  return state_ != State::failed;
}

bool MultipartParser::finish() {
  if (state_ == State::failed) return false;
  if (state_ != State::epilogue) fail(MultipartError::incomplete);
  return state_ != State::failed;
}

void MultipartParser::process(std::string_view chunk) {
  size_t pos = 0;
  while (pos < chunk.size() && state_ != State::failed) {
    switch (state_) {
      case State::preamble:
      case State::data:
        pos += scan(chunk.substr(pos));
        break;
      case State::epilogue:
        pos = chunk.size();
        break;
      case State::headers:
        on_header_byte(chunk[pos++]);
        break;
      case State::boundary_end: {
        const char c = chunk[pos++];
        if (c == '-') {
          state_ = State::close_dash;
        } else if (is_ows(c)) {
          padding_bytes_ = 1;
          state_ = State::padding;
        } else if (c == '\r') {
          state_ = State::expect_lf;
        } else {
          // "--boundaryX": the boundary is a prefix of a longer line, which RFC 2046 forbids
          // (a delimiter must not occur inside a part).
          fail(MultipartError::malformed);
        }
        break;
      }
      case State::close_dash:
        if (chunk[pos++] == '-') {
          state_ = State::epilogue;
        } else {
          fail(MultipartError::malformed);
        }
        break;
      case State::padding: {
        const char c = chunk[pos++];
        if (is_ows(c)) {
          // Padding is not buffered, but an endless run of it is still not a real client.
          if (++padding_bytes_ > limits_.max_header_bytes) fail(MultipartError::header_too_large);
        } else if (c == '\r') {
          state_ = State::expect_lf;
        } else {
          fail(MultipartError::malformed);
        }
        break;
      }
      case State::expect_lf:
        if (chunk[pos++] == '\n') {
          begin_part();
        } else {
          fail(MultipartError::malformed);
        }
        break;
      case State::failed:
        return;
    }
  }
}

size_t MultipartParser::scan(std::string_view s) {
  const bool in_data = state_ == State::data;
  size_t i = 0;
  while (i < s.size()) {
    if (matched_ > 0) {
      while (matched_ < delimiter_.size() && i < s.size() && s[i] == delimiter_[matched_]) {
        ++matched_;
        ++i;
      }
      if (matched_ == delimiter_.size()) {
        matched_ = 0;
        if (in_data) sink_.on_part_end();
        state_ = State::boundary_end;
        return i;
      }
      if (i == s.size()) return i;  // a partial match, held back until the next chunk decides
      // Not a delimiter: the held bytes were data. No suffix of them can start another match,
      // because the delimiter's only CR is its first byte (bchars exclude CR); s[i] itself might
      // and is looked at again below.
      const size_t held = matched_;
      matched_ = 0;
      if (in_data) {
        emit(std::string_view(delimiter_).substr(0, held));
        if (state_ == State::failed) return s.size();
      }
      continue;
    }
    const size_t cr = s.find('\r', i);
    const size_t end = cr == std::string_view::npos ? s.size() : cr;
    if (in_data && end > i) {
      emit(s.substr(i, end - i));
      if (state_ == State::failed) return s.size();
    }
    if (cr == std::string_view::npos) return s.size();
    matched_ = 1;
    i = cr + 1;
  }
  return i;
}

void MultipartParser::emit(std::string_view bytes) {
  if (bytes.size() > part_limit_ - part_bytes_) {
    // Hand over exactly up to the limit, then stop: the same bytes whatever the chunking.
    const auto allowed = static_cast<size_t>(part_limit_ - part_bytes_);
    if (allowed > 0) sink_.on_part_data(bytes.substr(0, allowed));
    part_bytes_ = part_limit_;
    fail(MultipartError::part_too_large);
    return;
  }
  part_bytes_ += bytes.size();
  if (!bytes.empty()) sink_.on_part_data(bytes);
}

void MultipartParser::begin_part() {
  if (parts_ >= limits_.max_parts) {
    fail(MultipartError::too_many_parts);
    return;
  }
  ++parts_;
  header_block_.clear();
  state_ = State::headers;
}

void MultipartParser::on_header_byte(char c) {
  header_block_.push_back(c);
  if (header_block_.size() > limits_.max_header_bytes) {
    fail(MultipartError::header_too_large);
    return;
  }
  if (c != '\n') return;
  // The block ends at the first empty line; right after the boundary line that is "\r\n" alone.
  const size_t n = header_block_.size();
  const bool empty_block = n == 2 && header_block_[0] == '\r';
  const bool end = empty_block || (n >= 4 && std::string_view(header_block_).substr(n - 4) == "\r\n\r\n");
  if (!end) return;
  MultipartPart part;
  if (!parse_part_headers(std::string_view(header_block_).substr(0, n - 2), part)) {
    fail(MultipartError::malformed);
    return;
  }
  header_block_.clear();
  part_bytes_ = 0;
  part_limit_ = part.has_filename ? limits_.max_file_bytes : limits_.max_field_bytes;
  matched_ = 0;
  state_ = State::data;
  sink_.on_part_begin(part);
}

}  // namespace dchat::http
