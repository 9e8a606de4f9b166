#pragma once
// The two halves of one PostgreSQL statement call: PgParam (a value sent as a parameter, never
// spliced into SQL text) and PgResult (owns the libpq result, reads its cells).
//
// Parameters: integers go as decimal text, strings as binary (the exact bytes with their length:
// libpq would stop a text-format value at its first NUL byte, binary lets the server see and
// refuse it instead), bytea as raw binary bytes.
#include <cstdint>
#include <string>
#include <string_view>

struct pg_result;

namespace dchat::store {

class PgParam {
 public:
  PgParam(int64_t value) noexcept;            // NOLINT(google-explicit-constructor): {a, b, c} lists
  PgParam(std::string_view text) noexcept;    // NOLINT(google-explicit-constructor)
  PgParam(const std::string& text) noexcept;  // NOLINT(google-explicit-constructor)
  PgParam(const char* text) noexcept;         // NOLINT(google-explicit-constructor)
  static PgParam null() noexcept;
  static PgParam bytes(std::string_view data) noexcept;
  // An id that is 0 goes as NULL (Room::created_by 0: "made by the server").
  static PgParam id_or_null(int64_t id) noexcept;

  // What libpq's PQexecPrepared takes for this value.
  const char* value() const noexcept;
  int length() const noexcept;
  int format() const noexcept { return binary_ ? 1 : 0; }

 private:
  PgParam() noexcept = default;
  std::string_view view_;
  char number_[24] = {};
  bool is_number_ = false;
  bool is_null_ = false;
  bool binary_ = false;
};

class PgResult {
 public:
  PgResult() noexcept = default;
  explicit PgResult(pg_result* result) noexcept : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const noexcept;
  bool empty() const noexcept { return rows() == 0; }
  // Rows changed by INSERT/UPDATE/DELETE (PQcmdTuples), 0 when not applicable.
  int64_t affected() const noexcept;

  // Cells, row and column from 0. NULL reads as 0 / "". int64 expects a text-format column.
  bool is_null(int row, int column) const noexcept;
  int64_t int64(int row, int column) const;
  // The cell's bytes as they came (text, or the raw bytes of a binary-format bytea column).
  std::string text(int row, int column) const;

  pg_result* get() const noexcept { return result_; }

 private:
  pg_result* result_ = nullptr;
};

}  // namespace dchat::store
