#include "store/message_rows.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace dchat::store {

static_assert(kReactorsShown == 10, "DCHAT_REACTION_ROWS_SQL reads the first 10 users of each emoji");

std::string quote_excerpt(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.size() <= kQuoteBytes) return std::string(line);
  // Back off to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
  size_t cut = kQuoteBytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return std::string(line.substr(0, cut)) + "\u2026";
}

Quote make_quote(int64_t seq, int64_t author_id, std::string author_name, std::string_view text, bool deleted) {
  return Quote{seq, author_id, std::move(author_name), deleted ? std::string() : quote_excerpt(text), deleted};
}

Quote quote_of(const Message& original) {
  return make_quote(original.seq, original.author_id, original.author_name, original.text, original.deleted_at != 0);
}

std::string mentions_text(const Mentions& mentions) {
  std::string text = mentions.room ? "room" : "";
  for (int64_t id : mentions.users) {
    if (!text.empty()) text += ',';
    text += std::to_string(id);
  }
  return text;
}

Mentions mentions_from_text(std::string_view text) {
  Mentions mentions;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item == "room") {
      mentions.room = true;
      continue;
    }
    int64_t id = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (error == std::errc() && end == item.data() + item.size()) mentions.users.push_back(id);
  }
  return mentions;
}

std::string attachments_text(const std::vector<MessageAttachment>& attachments) {
  std::string text;
  for (const MessageAttachment& a : attachments) {
    if (!text.empty()) text += ',';
    text += a.id;
    for (int64_t v : {a.width, a.height, a.thumb_width, a.thumb_height, a.bytes}) {
      text += ':';
      text += std::to_string(v);
    }
  }
  return text;
}

std::vector<MessageAttachment> attachments_from_text(std::string_view text) {
  std::vector<MessageAttachment> attachments;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t colon = item.find(':');
    if (colon == 0 || colon == std::string_view::npos) continue;
    MessageAttachment a;
    a.id = std::string(item.substr(0, colon));
    item.remove_prefix(colon + 1);
    int64_t* fields[] = {&a.width, &a.height, &a.thumb_width, &a.thumb_height, &a.bytes};
    bool ok = true;
    for (size_t i = 0; i < 5 && ok; ++i) {
      const size_t end_of = item.find(':');
      const std::string_view number = item.substr(0, end_of);
      const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), *fields[i]);
      ok = error == std::errc() && end == number.data() + number.size() && (i == 4) == (end_of == std::string_view::npos);
      item = end_of == std::string_view::npos ? std::string_view() : item.substr(end_of + 1);
    }
    if (ok) attachments.push_back(std::move(a));
  }
  return attachments;
}

std::vector<int64_t> rooms_in(const std::vector<Message>& messages) {
  std::vector<int64_t> rooms;
  for (const auto& m : messages)
    if (std::find(rooms.begin(), rooms.end(), m.room_id) == rooms.end()) rooms.push_back(m.room_id);
  return rooms;
}

void attach_reactions(std::vector<Message>& messages, int64_t room, const std::vector<ReactionRow>& rows) {
  std::unordered_map<int64_t, Message*> by_seq;
  for (auto& m : messages)
    if (m.room_id == room) by_seq[m.seq] = &m;
  for (const ReactionRow& row : rows) {
    const auto found = by_seq.find(row.seq);
    if (found == by_seq.end()) continue;
    auto& reactions = found->second->reactions;
    auto reaction = std::find_if(reactions.begin(), reactions.end(), [&](const Reaction& r) { return r.emoji == row.emoji; });
    if (reaction == reactions.end()) reaction = reactions.insert(reactions.end(), Reaction{row.emoji, row.count, {}});
    if (reaction->users.size() < kReactorsShown) reaction->users.push_back(Reaction::Reactor{row.user_id, row.user_name});
  }
}

namespace {

std::string joined(const std::vector<int64_t>& ids, char open, char close) {
  std::string text(1, open);
  for (int64_t id : ids) {
    if (text.size() > 1) text += ',';
    text += std::to_string(id);
  }
  return text + close;
}

}  // namespace

std::vector<int64_t> seqs_in(const std::vector<Message>& messages, int64_t room) {
  std::vector<int64_t> seqs;
  for (const auto& m : messages)
    if (m.room_id == room) seqs.push_back(m.seq);
  return seqs;
}

std::string json_array(const std::vector<int64_t>& ids) { return joined(ids, '[', ']'); }

std::string pg_bigint_array(const std::vector<int64_t>& ids) { return joined(ids, '{', '}'); }

std::string pg_text_array(const std::vector<std::string>& items) {
  std::string text = "{";
  for (const std::string& item : items) {
    if (text.size() > 1) text += ',';
    text += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  return text + '}';
}

}  // namespace dchat::store
