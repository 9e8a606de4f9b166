#include "core/json_parse.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <string>

namespace dchat::core {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// A basic_parser handler building values like Boost.JSON's own parser, except for doubles.
struct ExactNumberHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  std::string number;  // text of a number split over several parts

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view s, error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, error_code&) {
    number.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, error_code&) {
    number.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view s, error_code& ec) {
    number.append(s.data(), s.size());
    double d = 0;
    auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), d);
    number.clear();
    if (err == std::errc::result_out_of_range && std::isfinite(approximate) && std::fabs(approximate) < 1) {
      d = approximate;  // underflow (1e-400): zero, as JavaScript reads it
      err = std::errc();
    }
    if (err != std::errc() || !std::isfinite(d)) {
      ec = json::error::exponent_overflow;
      return false;
    }
    (void)end;
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The UTF-16 unit of the escape "\uXXXX" at text[i], or -1.
int escape_unit(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    if (!is_hex(text[k])) return -1;
    const char c = text[k];
    v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

// JavaScript strings may hold unpaired UTF-16 surrogates ("\ud83c", half an emoji cut by a
// client); Boost.JSON 1.81 rejects them. They are replaced by U+FFFD, as a UTF-8 decoder would,
// instead of failing the whole packet. Returns an empty string when there is nothing to fix.
std::string replace_lone_surrogates(std::string_view text) {
  std::string out;
  bool changed = false;
  size_t copied = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\') continue;
    const int unit = escape_unit(text, i);
    if (unit < 0) {
      ++i;  // some other escape: skip its second character (it may be a backslash)
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const int next = escape_unit(text, i + 6);
      if (next >= 0xDC00 && next <= 0xDFFF) {
        i += 11;  // a valid pair
        continue;
      }
    } else if (!(unit >= 0xDC00 && unit <= 0xDFFF)) {
      i += 5;
      continue;
    }
    out.append(text.substr(copied, i - copied));
    out.append("\\ufffd");
    copied = i + 6;
    i += 5;
    changed = true;
  }
  if (!changed) return {};
  out.append(text.substr(copied));
  return out;
}

}  // namespace

json::value parse_json(std::string_view text, error_code& ec) {
  std::string fixed;
  if (text.find("\\u") != std::string_view::npos) {
    fixed = replace_lone_surrogates(text);
    if (!fixed.empty()) text = fixed;
  }
  json::parse_options options;
  // Deep enough for any real payload, shallow enough that a hostile one cannot make the
  // (recursive) destruction or serialization of the value expensive.
  options.max_depth = 128;
  json::basic_parser<ExactNumberHandler> parser(options);
  parser.handler().stack.reset();
  const size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) return nullptr;
  if (used < text.size()) {
    ec = json::error::extra_data;
    return nullptr;
  }
  return parser.handler().stack.release();
}

}  // namespace dchat::core
