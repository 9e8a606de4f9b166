// ChatService: search (full-text, over the rooms and conversations the user may read).
#include "chat/chat_queries.hpp"
#include "chat/chat_service.hpp"
#include "chat/chat_service_detail.hpp"
#include "chat/search_words.hpp"
#include "chat/views.hpp"

namespace dchat::chat {

namespace {

inline constexpr int kSearchPage = 20;
inline constexpr int kMaxSearchPage = 50;

}  // namespace

void ChatService::search(const SocketPtr& socket, Message&& msg, Ack ack) {
  const auto args = args_object(msg);
  const auto query = string_field(args, "query");
  if (!query) return refuse(ack, ErrorCode::bad_request, "query is required");
  auto words = search_words(*query);
  if (!words)
    return refuse(ack, ErrorCode::bad_request, "a search is 1 to 200 bytes of text with at least one word in it");
  const int64_t before = int_field(args, "beforeId").value_or(0);
  const auto lookup = admit_lookup(socket, args, {kSearchPage, kMaxSearchPage}, searches_, ack, "searching");
  if (!lookup) return;
  // First the index takes in what was stored since it last did (on the writer, where the
  // messages were written; at most kIndexBeforeSearch), then the search reads it on the pool: a
  // search finds every message stored before it.
  std::function<void(StoreResult<size_t>&)> indexed =
      [this, socket, ack, uid = lookup->user, words = std::move(*words), before, limit = lookup->limit](StoreResult<size_t>& r) {
        if (!r) return refuse(ack, storage_refusal(r));
        run<Found>(
            socket,
            [uid, words, before, limit, budget = limits_.answer_budget](Store& s) {
              return chat::search(s, uid, words, before, limit, budget);
            },
            [ack](StoreResult<Found>& found) {
              found ? reply(ack, found_ack(*found.value)) : refuse(ack, storage_refusal(found));
            });
      };
  if (!store_.indexes_search_in_batches()) {
    // Nothing to take in first (PostgreSQL indexes each message as it is written).
    StoreResult<size_t> nothing;
    nothing.value = 0;
    return indexed(nothing);
  }
  store_.async_write<size_t>([](Store& s) { return s.index_search(kIndexBeforeSearch); },
                             on_shard<size_t>(socket, std::move(indexed)));
}

}  // namespace dchat::chat
