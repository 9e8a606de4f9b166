#pragma once
// Runs a hiredis async context (redisAsyncContext) on a Boost.Asio io_context.
//
// Hand-written because Debian ships no maintained Asio adapter for hiredis (hiredis 0.14 brings
// adapters for ae, libev, libevent, libuv, glib, ivykis, Qt and macOS only; the third-party Asio
// adapters are unpackaged and unmaintained). It is small: hiredis calls addRead/delRead/
// addWrite/delWrite/cleanup hooks, which switch an FdWatch (async_wait on a non-owning
// posix::stream_descriptor) on and off; readiness calls redisAsyncHandleRead/Write. The
// descriptor is released, never closed, by the watch: hiredis closes it (after calling cleanup).
struct redisAsyncContext;

namespace boost::asio {
class io_context;
}

namespace dchat::broker {

// Call right after redisAsyncConnect succeeded and before redisAsyncSetConnectCallback (which
// arms the first write wait). The adapter lives until hiredis frees the context.
void hiredis_attach_asio(redisAsyncContext* ac, boost::asio::io_context& io);

}  // namespace dchat::broker
