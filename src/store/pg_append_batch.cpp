// PgStore::append_messages: message:send for a batch (Store::append_messages).
//
// Why a batch: append_message behind an is_member check is about nine round trips per message
// (savepoints, membership, name, seq, insert), and the room's seq row stays locked from its
// bump to the group's commit, so with several replicas writing one room those round trips were
// the ceiling (BENCHMARKS.md, "The chat path": about 1,200 msgs/s). Here a batch is two
// statements, whatever its size:
//   1. lock the batch's rooms in id order and read, per request, membership, the author's name
//      and whether it is a resend;
//   2. bump each room's last_seq once by its count of new messages and insert them all, in
//      (author, client_id) order.
// Locks are always taken rooms first, in id order, then idempotency keys, in order: writers on
// several replicas never wait for each other in a cycle (no deadlock). The requests travel as
// one JSON parameter (json_to_recordset): Boost.JSON does the quoting, so no value is ever
// spliced into SQL text.
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/message_rows.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_result.hpp"
#include "store/pg_store.hpp"
#include "store/pg_transaction.hpp"

namespace dchat::store {

namespace {

namespace json = boost::json;
using Status = AppendOutcome::Status;

// A request checked by statement 1 that will be stored: its rank among the batch's new
// messages of its room (1, 2, ...), so that its seq is the room's old last_seq + rank.
struct Fresh {
  size_t index = 0;
  int64_t rank = 0;
};

std::string checks_json(const std::vector<AppendRequest>& batch) {
  json::array rows;
  rows.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const AppendRequest& r = batch[i];
    rows.push_back(json::object{{"o", i}, {"r", r.room_id}, {"a", r.author_id}, {"c", r.client_id}});
  }
  return json::serialize(rows);
}

std::string inserts_json(const std::vector<AppendRequest>& batch, const std::vector<Fresh>& fresh) {
  json::array rows;
  rows.reserve(fresh.size());
  for (const Fresh& f : fresh) {
    const AppendRequest& r = batch[f.index];
    rows.push_back(json::object{
        {"r", r.room_id}, {"k", f.rank}, {"a", r.author_id}, {"t", r.text}, {"c", r.client_id}, {"at", r.created_at},
        {"p", r.reply_to}});
  }
  return json::serialize(rows);
}

// Statement 1. count(*) reads the `locked` CTE to its end, so every room of the batch is locked,
// in id order, before the statement returns. FOR NO KEY UPDATE, the lock an UPDATE of last_seq
// takes: it serialises the room's writers but not the foreign-key checks of new memberships.
// Every read here uses the statement's snapshot, taken before any wait for a lock: a resend that
// another connection committed meanwhile is not seen here, and statement 2 finds it instead.
// The resend check is a LATERAL lookup with LIMIT 1, which can only run as one index probe per
// request: as a correlated EXISTS, the planner (which expects a function to return 100 rows)
// hashed the whole messages table for every batch, and PostgreSQL's CPU per batch grew with the
// table.
constexpr const char* kCheckAndLock =
    "WITH locked AS (SELECT id FROM rooms WHERE id IN (SELECT j.r FROM json_to_recordset($1::json) AS j(r bigint)) "
    "ORDER BY id FOR NO KEY UPDATE) "
    "SELECT j.o, u.name IS NOT NULL, COALESCE(u.name, ''), m.user_id IS NOT NULL, x.id IS NOT NULL, "
    "d.id IS NOT NULL, (SELECT count(*) FROM locked), COALESCE(x.last_seq, 0) "
    "FROM json_to_recordset($1::json) AS j(o int, r bigint, a bigint, c text) "
    "LEFT JOIN users u ON u.id = j.a "
    "LEFT JOIN room_members m ON m.room_id = j.r AND m.user_id = j.a "
    "LEFT JOIN rooms x ON x.id = j.r "
    "LEFT JOIN LATERAL (SELECT y.id FROM messages y WHERE y.author_id = j.a AND y.client_id = j.c "
    "AND y.client_id <> '' LIMIT 1) d ON true "
    "ORDER BY j.o";

// Statement 2. ON CONFLICT DO NOTHING: a resend stored by another connection after statement 1's
// snapshot (a client retrying on two replicas at once) returns fewer rows instead of failing;
// the caller then takes the batch back, seq bumps included, and tries again. Rows go in in
// (author, client_id) order, so two batches that share keys take them in the same order.
constexpr const char* kBumpAndInsert =
    "WITH j AS (SELECT * FROM json_to_recordset($1::json) AS j(r bigint, k bigint, a bigint, t text, c text, at bigint, p bigint)), "
    "counts AS (SELECT r, count(*) AS n FROM j GROUP BY r), "
    "bumped AS (UPDATE rooms SET last_seq = rooms.last_seq + counts.n FROM counts WHERE rooms.id = counts.r "
    "RETURNING rooms.id, rooms.last_seq - counts.n AS base) "
    "INSERT INTO messages (room_id, seq, author_id, text, created_at, client_id, reply_to) "
    "SELECT j.r, bumped.base + j.k, j.a, j.t, j.at, j.c, j.p FROM j JOIN bumped ON bumped.id = j.r ORDER BY j.a, j.c "
    "ON CONFLICT (author_id, client_id) WHERE client_id <> '' DO NOTHING RETURNING room_id, seq, id";

}  // namespace

std::optional<std::vector<AppendOutcome>> PgStore::try_append_batch(const std::vector<AppendRequest>& batch) {
  std::vector<AppendOutcome> outcomes(batch.size());
  std::vector<Fresh> fresh;
  std::map<int64_t, int64_t> new_in_room;                            // room -> new messages so far
  std::map<std::pair<int64_t, std::string>, size_t> first_of_key;    // (author, client_id) -> index
  std::vector<std::pair<size_t, size_t>> resent_in_batch;            // (index, index of the first)
  std::vector<std::string> claimed;  // attachments an earlier request of this batch sends
  {
    const PgResult r = db_->query(kCheckAndLock, {checks_json(batch)});
    if (r.rows() != static_cast<int>(batch.size()))
      throw StoreError(StoreError::Kind::unavailable, "postgres: the batch check returned too few rows");
    for (int row = 0; row < r.rows(); ++row) {
      const auto i = static_cast<size_t>(r.int64(row, 0));
      const AppendRequest& request = batch.at(i);
      AppendOutcome& outcome = outcomes[i];
      // Membership first, as for every other request about a room; a resend comes second.
      if (r.text(row, 3) != "t") {
        outcome.status = r.text(row, 4) == "t" ? Status::not_member : Status::no_room;
        continue;
      }
      if (r.text(row, 5) == "t") {
        auto existing = find_message_by_client_id(request.author_id, request.client_id);
        if (!existing) throw StoreError(StoreError::Kind::unavailable, "a resent message cannot be read back");
        outcome.status = Status::duplicate;
        outcome.message = std::move(*existing);
        continue;
      }
      if (r.text(row, 1) != "t")
        throw StoreError(StoreError::Kind::not_found, "no user " + std::to_string(request.author_id));
      // Seqs are gap-free and messages are never removed: 1..last_seq (this batch's new ones
      // included) is every message there is. Statement 1's snapshot was taken after the client
      // could see the message it answers (a message is broadcast only after its commit).
      if (request.reply_to < 0 || request.reply_to > r.int64(row, 7) + new_in_room[request.room_id]) {
        outcome.status = Status::no_reply_target;
        continue;
      }
      if (!request.client_id.empty()) {
        auto [first, inserted] = first_of_key.try_emplace({request.author_id, request.client_id}, i);
        if (!inserted) {
          resent_in_batch.emplace_back(i, first->second);
          continue;
        }
      }
      // Only for sends with attachments (most have none): checked before a seq is taken.
      if (!request.attachments.empty()) {
        auto refused = check_attachments(request);
        const bool taken = std::any_of(request.attachments.begin(), request.attachments.end(), [&](const auto& id) {
          return std::find(claimed.begin(), claimed.end(), id) != claimed.end();
        });
        if (refused || taken) {
          if (!request.client_id.empty()) first_of_key.erase(std::make_pair(request.author_id, request.client_id));
          outcome.status = refused ? *refused : Status::attachment_unusable;
          continue;
        }
        claimed.insert(claimed.end(), request.attachments.begin(), request.attachments.end());
      }
      Message& message = outcome.message;
      message.room_id = request.room_id;
      message.reply_to = request.reply_to;
      message.author_id = request.author_id;
      message.author_name = r.text(row, 2);
      message.text = request.text;
      message.created_at = request.created_at;
      message.client_id = request.client_id;
      fresh.push_back(Fresh{i, ++new_in_room[request.room_id]});
    }
  }
  if (!fresh.empty()) {
    const PgResult r = db_->query(kBumpAndInsert, {inserts_json(batch, fresh)});
    if (r.rows() != static_cast<int>(fresh.size())) return std::nullopt;
    // Each room's new seqs are its old last_seq + 1 ... + n: the lowest one gives the base.
    std::map<std::pair<int64_t, int64_t>, int64_t> id_of;  // (room, seq) -> id
    std::map<int64_t, int64_t> base_of;                    // room -> old last_seq
    for (int row = 0; row < r.rows(); ++row) {
      const int64_t room = r.int64(row, 0);
      const int64_t seq = r.int64(row, 1);
      id_of[{room, seq}] = r.int64(row, 2);
      auto [base, inserted] = base_of.try_emplace(room, seq - 1);
      if (!inserted && seq - 1 < base->second) base->second = seq - 1;
    }
    for (const Fresh& f : fresh) {
      Message& message = outcomes[f.index].message;
      message.seq = base_of.at(message.room_id) + f.rank;
      message.id = id_of.at({message.room_id, message.seq});
    }
    for (const Fresh& f : fresh) complete_stored(batch[f.index], outcomes[f.index].message);
  }
  for (const auto& [i, first] : resent_in_batch) {
    outcomes[i].status = Status::duplicate;
    outcomes[i].message = outcomes[first].message;
  }
  return outcomes;
}

void PgStore::complete_stored(const AppendRequest& request, Message& message) {
  if (message.reply_to > 0)
    if (auto original = find_message(message.room_id, message.reply_to)) message.quote = quote_of(*original);
  if (!request.attachments.empty())
    message.attachments = link_attachments(message.room_id, message.seq, request.attachments);
  // A few statements, only for the messages that mention someone (most mention nobody).
  if (!request.mentions.empty())
    message.mentions = write_mentions(message.room_id, message.seq, message.author_id, request.mentions, true);
}

std::vector<AppendOutcome> PgStore::append_messages(const std::vector<AppendRequest>& batch) {
  if (batch.empty()) return {};
  const bool in_group = db_->in_transaction();
  // A resend that raced with its first send on another connection: that send has committed by the
  // time statement 2 returns (its insert waited for it), so the next try's statement 1 sees it as
  // a resend. More tries than that only if keys keep racing; then the clients retry.
  constexpr int kTries = 3;
  for (int attempt = 1; attempt <= kTries; ++attempt) {
    // A connection lost while taking a try back reconnects outside the group: a next try there
    // would commit on its own, so the group fails instead.
    if (db_->in_transaction() != in_group)
      throw StoreError(StoreError::Kind::unavailable, "postgres: the group's transaction was lost");
    PgTransaction tx(*db_);
    if (auto outcomes = try_append_batch(batch)) {
      tx.commit();
      return std::move(*outcomes);
    }
  }
  throw StoreError(StoreError::Kind::unavailable, "postgres: resends kept racing with this batch, try again");
}

}  // namespace dchat::store
