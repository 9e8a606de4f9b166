#include "store/name_backfill.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "core/nfkc.hpp"
#include "store/name_key.hpp"
#include "store/name_skeleton.hpp"

namespace dchat::store {

namespace {

// Keys of rows that are no longer reachable by name (see plan_name_backfill): "\x01" keeps them
// apart from every real key and from the "\x02" placeholders of the two-step write.
std::string unreachable_name_key(int64_t id) { return "\x01" + std::to_string(id); }

// The first ids of a list, for a log line that stays one line.
std::string some_ids(const std::vector<int64_t>& ids) {
  constexpr size_t kShown = 20;
  if (ids.size() <= kShown) return fmt::format("{}", fmt::join(ids, ", "));
  return fmt::format("{}, ... ({} more)", fmt::join(ids.begin(), ids.begin() + kShown, ", "), ids.size() - kShown);
}

}  // namespace

std::string placeholder_name_key(int64_t id) { return "\x02" + std::to_string(id); }

NameBackfill plan_name_backfill(const std::vector<NameRow>& rows) {
  NameBackfill plan;
  plan.rows.reserve(rows.size());
  for (const NameRow& row : rows) {
    NameRowUpdate update;
    update.id = row.id;
    update.name = core::nfkc(row.name).value_or(row.name);  // invalid UTF-8 (SQLite only) stays
    update.key = name_key(update.name);
    plan.rows.push_back(std::move(update));
  }

  // Keys: rows whose key does not change keep it first (old keys are unique, so they never
  // compete with each other); then, oldest first, the others take their new key when it is free,
  // else keep their old one.
  std::set<std::string> claimed;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (plan.rows[i].key == rows[i].key) claimed.insert(rows[i].key);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    NameRowUpdate& update = plan.rows[i];
    if (update.key == rows[i].key) continue;
    if (claimed.insert(update.key).second) {
      update.key_changed = true;
      continue;
    }
    plan.kept_unnormalized.push_back(update.id);
    update.name = rows[i].name;
    if (claimed.insert(rows[i].key).second) {
      update.key = rows[i].key;
    } else {
      update.key = unreachable_name_key(update.id);
      update.key_changed = true;
      plan.unfindable.push_back(update.id);
    }
  }

  // Skeletons: the oldest row holds each one.
  std::set<std::string> held;
  for (NameRowUpdate& update : plan.rows) {
    std::string skeleton = name_skeleton(update.name);
    if (held.insert(skeleton).second) {
      update.skeleton = std::move(skeleton);
    } else {
      plan.without_skeleton.push_back(update.id);
    }
  }
  return plan;
}

void log_name_backfill(std::string_view table, const NameBackfill& plan) {
  if (!plan.kept_unnormalized.empty()) {
    spdlog::warn("schema v3 ({}): {} name(s) keep their old form, because their NFKC form is another row's name "
                 "(ids {}){}",
                 table, plan.kept_unnormalized.size(), some_ids(plan.kept_unnormalized),
                 plan.unfindable.empty() ? std::string()
                                         : fmt::format("; {} of them can no longer be found by name (ids {})",
                                                       plan.unfindable.size(), some_ids(plan.unfindable)));
  }
  if (!plan.without_skeleton.empty()) {
    spdlog::warn("schema v3 ({}): {} name(s) look like an older one (same confusable skeleton) and get no skeleton "
                 "(ids {}); they stay usable, and new names that look like them are refused",
                 table, plan.without_skeleton.size(), some_ids(plan.without_skeleton));
  }
}

}  // namespace dchat::store
