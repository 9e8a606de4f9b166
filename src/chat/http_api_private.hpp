#pragma once
// Private to HttpApi's files (http_api.cpp, http_api_sign_in.cpp, http_api_avatar.cpp): the
// short names they all use. Include it from those .cpp files only: it puts these aliases into
// dchat::chat.
#include <boost/beast/http/status.hpp>
#include <boost/json.hpp>

#include "chat/http_api.hpp"

namespace dchat::chat {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using http::Outcome;
using store::Store;
using store::StoreResult;
using Status = bhttp::status;

}  // namespace dchat::chat
