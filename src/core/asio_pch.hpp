#pragma once
// Precompiled header for the files that use Asio/Beast (see toolchain notes: one such
// translation unit costs 20-30 s to compile without it).
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>
