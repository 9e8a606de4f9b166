#pragma once
// Schema v3 ("names by how they look") in C++: what every user row and public room row becomes
// when a database written by an earlier release gains the name_skeleton column. SQL cannot
// compute NFKC or UTS #39 skeletons, so each store reads (id, name, name_key) in id order, asks
// plan_name_backfill, writes the result and creates the UNIQUE index on name_skeleton after it.
//
// The plan never makes the migration fail, whatever names exist:
// - names are brought into NFKC (what the name rules now store: "ｆｕｌｌ" becomes "full", an
//   NFD "José" the NFC one) with name_key recomputed, so their owners still sign in with what
//   they type, which is NFKC-normalised before lookup. A row whose new key another row already
//   has (its own name, or an older row's new one) keeps its name and key as they were;
// - skeletons are unique in the new index: the oldest row with a skeleton holds it, later rows
//   with the same skeleton get none (NULL). Those rows stay usable as before (found by name_key,
//   their sessions, rooms and messages untouched); a new name confusable with them is still
//   refused, because the older row holds that skeleton.
// Both cases are logged once per table by log_name_backfill.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dchat::store {

struct NameRow {
  int64_t id = 0;
  std::string name;
  std::string key;  // name_key as stored
};

struct NameRowUpdate {
  int64_t id = 0;
  std::string name;
  std::string key;
  std::optional<std::string> skeleton;  // nullopt: NULL, an older row holds this skeleton
  bool key_changed = false;              // needs the two-step write (see the stores' backfill)
};

struct NameBackfill {
  std::vector<NameRowUpdate> rows;          // one per input row, in the same (id) order
  std::vector<int64_t> kept_unnormalized;   // NFKC form taken by another row: name and key kept
  std::vector<int64_t> without_skeleton;    // skeleton held by an older row: NULL
  std::vector<int64_t> unfindable;          // subset of kept_unnormalized: no key left to keep
};

// `rows` in id order (oldest first: it decides who keeps a contested key or skeleton).
NameBackfill plan_name_backfill(const std::vector<NameRow>& rows);

// One warning per table when rows kept their old form or got no skeleton; nothing otherwise.
void log_name_backfill(std::string_view table, const NameBackfill& plan);

// A name_key no name can have (names never contain C0 controls), unique per row: the first of
// the two writes that let rows swap keys without tripping the UNIQUE constraint in between.
std::string placeholder_name_key(int64_t id);

}  // namespace dchat::store
