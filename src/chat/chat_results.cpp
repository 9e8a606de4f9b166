#include "chat/chat_results.hpp"

#include <stdexcept>

namespace dchat::chat {

void throw_exception_from_error(const Refusal& refusal, const boost::source_location&) {
  throw std::logic_error("a refused chat result was used as a value: " + refusal.message);
}

}  // namespace dchat::chat
