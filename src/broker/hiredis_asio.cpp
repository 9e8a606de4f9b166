// The hiredis <-> Asio adapter (see hiredis_asio.hpp).
#include "broker/hiredis_asio.hpp"

#include <hiredis/async.h>

#include <memory>

#include "broker/asio_fd_watch.hpp"

namespace dchat::broker {
namespace {

struct Adapter {
  std::unique_ptr<FdWatch> watch;
};

Adapter* adapter(void* p) { return static_cast<Adapter*>(p); }

}  // namespace

void hiredis_attach_asio(redisAsyncContext* ac, boost::asio::io_context& io) {
  auto* a = new Adapter;
  // A callback may free the context (a disconnect while reading): hiredis then calls cleanup,
  // which destroys the watch; FdWatch tolerates being destroyed from its own callback.
  a->watch = std::make_unique<FdWatch>(
      io, ac->c.fd, [ac] { redisAsyncHandleRead(ac); }, [ac] { redisAsyncHandleWrite(ac); });
  ac->ev.data = a;
  ac->ev.addRead = [](void* p) { adapter(p)->watch->want_read(true); };
  ac->ev.delRead = [](void* p) { adapter(p)->watch->want_read(false); };
  ac->ev.addWrite = [](void* p) { adapter(p)->watch->want_write(true); };
  ac->ev.delWrite = [](void* p) { adapter(p)->watch->want_write(false); };
  ac->ev.cleanup = [](void* p) { delete adapter(p); };
}

}  // namespace dchat::broker
