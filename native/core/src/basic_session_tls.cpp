// BasicSession over TLS (wss).
#include "basic_session_impl.hpp"

namespace hyphae {

template class BasicSession<TlsStream>;

}  // namespace hyphae
