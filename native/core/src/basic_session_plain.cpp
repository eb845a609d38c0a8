// BasicSession over plain TCP, and the factory that picks the transport.
#include "basic_session_impl.hpp"

namespace hyphae {

// Instantiated in basic_session_tls.cpp.
extern template class BasicSession<TlsStream>;
template class BasicSession<Stream>;

std::shared_ptr<Session> make_session(Worker& owner, ConnectionId id, Socket socket) {
    if (owner.context().tls) {
        return std::make_shared<BasicSession<TlsStream>>(owner, id, std::move(socket));
    }
    return std::make_shared<BasicSession<Stream>>(owner, id, std::move(socket));
}

}  // namespace hyphae
