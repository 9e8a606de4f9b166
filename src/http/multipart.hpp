#pragma once
// Streaming multipart/form-data parser (RFC 7578 on RFC 2046 framing), with no I/O.
//
// The HTTP layer feeds it the request body in whatever chunks the socket delivers; it reports
// each part's headers, then the part's bytes in pieces, to a MultipartSink, and keeps at most one
// part's header block (<= max_header_bytes) plus nothing else: part data is never buffered, so
// an upload over the limit is refused the moment the limit is passed, not after reading it all.
//
// The result depends only on the bytes, never on how they were split into chunks (the fuzzer
// checks this): every limit is enforced at an exact byte position.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace dchat::http {

enum class MultipartError {
  none = 0,
  not_multipart,     // Content-Type is not multipart/form-data
  missing_boundary,  // no boundary parameter
  invalid_boundary,  // empty, over 70 characters, characters outside RFC 2046 bchars, duplicated
  malformed,         // the body does not follow the multipart grammar
  header_too_large,  // a part's header block is over max_header_bytes
  too_many_parts,    // more than max_parts parts
  too_large,         // the body is over max_body_bytes
  part_too_large,    // a part is over max_file_bytes (file parts) or max_field_bytes (others)
  incomplete,        // the body ended before the closing boundary
};

// A short English description, for logs and the `message` of error answers.
const char* multipart_error_message(MultipartError e) noexcept;

// True for the errors that mean "the upload is too big" (HTTP 413 too_large); every other error
// is a bad request (400 bad_upload).
inline bool is_size_error(MultipartError e) noexcept {
  return e == MultipartError::too_large || e == MultipartError::part_too_large;
}

// Every limit has a default sized for the avatar upload (one 5 MiB file plus a few small fields).
struct MultipartLimits {
  // Whole body including framing, preamble and epilogue: the file plus room for small fields.
  uint64_t max_body_bytes = 5 * 1024 * 1024 + 64 * 1024;
  // One part's header block: real ones are ~200 bytes; 8 KiB matches common HTTP header limits.
  size_t max_header_bytes = 8 * 1024;
  // The avatar form has one or two parts; 16 leaves room without inviting part floods.
  size_t max_parts = 16;
  // A part with a filename (a file field): the documented 5 MiB avatar limit.
  uint64_t max_file_bytes = 5 * 1024 * 1024;
  // A part without a filename (a text field): callers usually buffer these, so keep them small.
  uint64_t max_field_bytes = 64 * 1024;
};

// What the headers of one part said.
struct MultipartPart {
  std::string name;  // Content-Disposition name (required)
  // Content-Disposition filename reduced to its last path component, with control characters
  // removed. Informational only: never use it to build a path.
  std::string filename;
  bool has_filename = false;       // a filename parameter was present (even empty): a file field
  bool filename_had_path = false;  // the client sent directory components or "."/".." (suspicious)
  std::string content_type;        // the part's Content-Type, as sent (may be empty)
};

// Receives what the parser decodes. Views are valid only during the call.
class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  virtual void on_part_begin(const MultipartPart& part) = 0;
  // Called zero or more times per part; the pieces concatenated are the part's bytes.
  virtual void on_part_data(std::string_view bytes) = 0;
  virtual void on_part_end() = 0;
};

// Collects the first part named `field` that has a filename (a file field: the upload routes'
// "avatar" and "file"); every other part is ignored. The parser already bounds its size.
class FileFieldSink : public MultipartSink {
 public:
  explicit FileFieldSink(std::string field) : field_(std::move(field)) {}
  void on_part_begin(const MultipartPart& part) override {
    in_field_ = part.name == field_ && part.has_filename && !found_;
    if (in_field_) found_ = true;
  }
  void on_part_data(std::string_view bytes) override {
    if (in_field_) data_.append(bytes);
  }
  void on_part_end() override { in_field_ = false; }
  bool found() const { return found_; }
  const std::string& field() const { return field_; }
  std::string take() { return std::move(data_); }

 private:
  std::string field_;
  bool in_field_ = false;
  bool found_ = false;
  std::string data_;
};

class MultipartParser {
 public:
  // Reads the boundary from a Content-Type header value; when it is unusable the parser starts
  // in the error state (see error()) and refuses every feed.
  MultipartParser(std::string_view content_type, MultipartSink& sink, MultipartLimits limits = {});

  // Parses the next body bytes. Returns false once an error happened (error() says which);
  // nothing more is reported to the sink after that. Bytes after the closing boundary (the
  // epilogue) are accepted and ignored, but still count against max_body_bytes.
  bool feed(std::string_view chunk);

  // Call when the body has ended: fails with `incomplete` unless the closing boundary was seen.
  bool finish();

  MultipartError error() const noexcept { return error_; }
  // True once the closing boundary has been parsed.
  bool complete() const noexcept { return state_ == State::epilogue; }
  uint64_t bytes_fed() const noexcept { return total_bytes_; }
  size_t part_count() const noexcept { return parts_; }
  const std::string& boundary() const noexcept { return boundary_; }

  // Extracts the boundary from a Content-Type value ("multipart/form-data; boundary=..."),
  // quoted or not, and validates it against RFC 2046 (1..70 bchars, not ending in a space).
  static MultipartError parse_boundary(std::string_view content_type, std::string& boundary);

 private:
  enum class State {
    preamble,      // before the first boundary: ignored
    boundary_end,  // just after "--boundary": expecting "--", padding or CRLF
    close_dash,    // after "--boundary-": expecting the second '-'
    padding,       // transport padding (spaces, tabs) after a boundary
    expect_lf,     // after the CR that ends a boundary line
    headers,       // a part's header block
    data,          // a part's bytes
    epilogue,      // after the closing boundary: ignored
    failed,
  };

  void process(std::string_view chunk);
  // Scans for the delimiter in preamble/data state; returns how many bytes were consumed.
  size_t scan(std::string_view chunk);
  void emit(std::string_view bytes);
  void on_header_byte(char c);
  void begin_part();
  void fail(MultipartError e);

  MultipartSink& sink_;
  MultipartLimits limits_;
  std::string boundary_;
  // "\r\n--" + boundary. The body is scanned as if it began with "\r\n", so the first boundary
  // needs no special case; a held-back partial match is always a prefix of this string.
  std::string delimiter_;
  size_t matched_ = 0;  // bytes of delimiter_ matched so far (not yet reported as data)
  State state_ = State::preamble;
  MultipartError error_ = MultipartError::none;
  uint64_t total_bytes_ = 0;
  uint64_t part_bytes_ = 0;
  uint64_t part_limit_ = 0;
  size_t parts_ = 0;
  size_t padding_bytes_ = 0;
  std::string header_block_;
};

}  // namespace dchat::http
