#include "socketio/packet.hpp"

#include "core/json_parse.hpp"
#include "core/utf8.hpp"
#include <boost/json/serialize.hpp>

namespace dchat::socketio {

namespace json = boost::json;

bool placeholders_valid(const json::value& value, size_t attachments) {
  if (value.is_array()) {
    for (const auto& v : value.as_array())
      if (!placeholders_valid(v, attachments)) return false;
    return true;
  }
  if (!value.is_object()) return true;
  const auto& obj = value.as_object();
  if (const auto* marker = obj.if_contains("_placeholder"); marker && marker->is_bool() && marker->as_bool()) {
    // As socket.io-parser's reconstruction: a placeholder must name an attachment that exists.
    const auto* num = obj.if_contains("num");
    if (!num || !num->is_number()) return false;
    json::error_code ec;
    const double n = num->to_number<double>(ec);
    return !ec && n >= 0 && n < static_cast<double>(attachments);
  }
  for (const auto& kv : obj)
    if (!placeholders_valid(kv.value(), attachments)) return false;
  return true;
}

bool is_reserved_event(std::string_view name) {
  return name == "connect" || name == "connect_error" || name == "disconnect" ||
         name == "disconnecting" || name == "newListener" || name == "removeListener";
}

namespace {

bool is_binary(PacketType t) { return t == PacketType::binary_event || t == PacketType::binary_ack; }

bool payload_valid(PacketType type, const json::value& data, bool has_data) {
  switch (type) {
    case PacketType::connect:
      return !has_data || data.is_object();
    case PacketType::disconnect:
      return !has_data;
    case PacketType::connect_error:
      return has_data && (data.is_object() || data.is_string());
    case PacketType::event:
    case PacketType::binary_event: {
      if (!data.is_array() || data.as_array().empty()) return false;
      // socket.io-parser accepts numeric event names too (EventEmitter turns them into strings).
      const auto& first = data.as_array().front();
      return (first.is_string() && !is_reserved_event(first.as_string())) || first.is_int64() || first.is_uint64();
    }
    case PacketType::ack:
    case PacketType::binary_ack:
      return data.is_array();
  }
  return false;
}

}  // namespace

DecodeResult decode(std::string_view text) {
  if (text.empty()) return {std::nullopt, "empty packet"};
  Packet p;
  const char t = text[0];
  if (t < '0' || t > '6') return {std::nullopt, "unknown packet type"};
  p.type = static_cast<PacketType>(t - '0');
  size_t i = 1;

  if (is_binary(p.type)) {
    const size_t dash = text.find('-', i);
    if (dash == std::string_view::npos || dash == i || dash - i > 3)
      return {std::nullopt, "invalid attachment count"};
    size_t n = 0;
    for (size_t k = i; k < dash; ++k) {
      if (text[k] < '0' || text[k] > '9') return {std::nullopt, "invalid attachment count"};
      n = n * 10 + size_t(text[k] - '0');
    }
    if (n > kMaxAttachments) return {std::nullopt, "too many attachments"};
    p.attachments = n;
    i = dash + 1;
  }

  if (i < text.size() && text[i] == '/') {
    const size_t comma = text.find(',', i);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    p.nsp.assign(text.substr(i, end - i));
    // A namespace name is echoed back (CONNECT_ERROR "Invalid namespace"): it must be text that
    // can go into a WebSocket text frame, and of a sane length.
    if (p.nsp.size() > kMaxNamespaceBytes || !core::is_valid_utf8(p.nsp)) return {std::nullopt, "invalid namespace"};
    i = comma == std::string_view::npos ? text.size() : comma + 1;
  }

  if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    uint64_t id = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      // 15 digits keeps ids exactly representable as JavaScript numbers.
      if (++digits > 15) return {std::nullopt, "invalid ack id"};
      id = id * 10 + uint64_t(text[i] - '0');
      ++i;
    }
    p.id = id;
  }

  const bool has_data = i < text.size();
  if (has_data) {
    json::error_code ec;
    p.data = core::parse_json(text.substr(i), ec);
    if (ec) return {std::nullopt, "invalid payload"};
  }
  if (!payload_valid(p.type, p.data, has_data)) return {std::nullopt, "invalid payload"};
  if ((p.type == PacketType::ack || p.type == PacketType::binary_ack) && !p.id)
    return {std::nullopt, "invalid ack id"};
  return {std::move(p), nullptr};
}

namespace {

void append_prefix(std::string& out, PacketType type, size_t attachments, std::string_view nsp,
                   std::optional<uint64_t> id) {
  out.push_back(static_cast<char>('0' + static_cast<uint8_t>(type)));
  if (is_binary(type)) {
    out.append(std::to_string(attachments));
    out.push_back('-');
  }
  if (!nsp.empty() && nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
  if (id) out.append(std::to_string(*id));
}

}  // namespace

std::string encode(const Packet& packet) {
  std::string out;
  append_prefix(out, packet.type, packet.attachments, packet.nsp, packet.id);
  if (!packet.data.is_null()) out.append(json::serialize(packet.data));
  return out;
}

std::string encode_event(std::string_view nsp, std::string_view event, const json::array& args,
                         size_t attachments, std::optional<uint64_t> ack_id) {
  std::string out;
  append_prefix(out, attachments ? PacketType::binary_event : PacketType::event, attachments, nsp, ack_id);
  out.push_back('[');
  out.append(json::serialize(json::string_view(event.data(), event.size())));
  for (const auto& arg : args) {
    out.push_back(',');
    out.append(json::serialize(arg));
  }
  out.push_back(']');
  return out;
}

}  // namespace dchat::socketio
