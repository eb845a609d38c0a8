#pragma once
// wss: the OpenSSL context built from the PEM material in the options. One
// context serves every connection of a server (OpenSSL allows sharing a
// configured SSL_CTX between threads).
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "hyphae/asio.hpp"
#include "hyphae/server_options.hpp"

namespace hyphae {

using TlsStream = beast::ssl_stream<Stream>;

// Bad key, certificate or passphrase: the message says which part failed.
class TlsConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::shared_ptr<net::ssl::context> make_tls_context(const TlsOptions& options);

}  // namespace hyphae
