#include "store/pg_result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "store/store.hpp"

namespace dchat::store {

PgParam::PgParam(int64_t value) noexcept : is_number_(true) {
  const auto r = std::to_chars(number_, number_ + sizeof number_ - 1, value);
  *r.ptr = '\0';
  view_ = std::string_view(number_, static_cast<size_t>(r.ptr - number_));
}

PgParam::PgParam(std::string_view text) noexcept : view_(text), binary_(true) {}
PgParam::PgParam(const std::string& text) noexcept : view_(text), binary_(true) {}
PgParam::PgParam(const char* text) noexcept : view_(text != nullptr ? std::string_view(text) : std::string_view()),
                                               is_null_(text == nullptr), binary_(true) {}

PgParam PgParam::null() noexcept {
  PgParam p;
  p.is_null_ = true;
  return p;
}

PgParam PgParam::bytes(std::string_view data) noexcept {
  PgParam p;
  p.view_ = data;
  p.binary_ = true;
  return p;
}

PgParam PgParam::id_or_null(int64_t id) noexcept { return id == 0 ? null() : PgParam(id); }

const char* PgParam::value() const noexcept {
  if (is_null_) return nullptr;
  if (is_number_) return number_;
  // A non-NULL empty value needs a real pointer: libpq reads a null pointer as SQL NULL.
  return view_.data() != nullptr ? view_.data() : "";
}

int PgParam::length() const noexcept { return static_cast<int>(view_.size()); }

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const noexcept { return result_ != nullptr ? PQntuples(result_) : 0; }

int64_t PgResult::affected() const noexcept {
  if (result_ == nullptr) return 0;
  const char* text = PQcmdTuples(result_);
  if (text == nullptr || *text == '\0') return 0;
  int64_t n = 0;
  std::from_chars(text, text + std::strlen(text), n);
  return n;
}

bool PgResult::is_null(int row, int column) const noexcept {
  return result_ == nullptr || PQgetisnull(result_, row, column) != 0;
}

int64_t PgResult::int64(int row, int column) const {
  if (is_null(row, column)) return 0;
  const char* text = PQgetvalue(result_, row, column);
  const int size = PQgetlength(result_, row, column);
  int64_t value = 0;
  const auto r = std::from_chars(text, text + size, value);
  if (r.ec != std::errc{} || r.ptr != text + size) {
    throw StoreError(StoreError::Kind::unavailable,
                     "postgres: expected an integer, got \"" + std::string(text, static_cast<size_t>(size)) + "\"");
  }
  return value;
}

std::string PgResult::text(int row, int column) const {
  if (is_null(row, column)) return {};
  const char* data = PQgetvalue(result_, row, column);
  const int size = PQgetlength(result_, row, column);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace dchat::store
