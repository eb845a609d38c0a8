#include "hyphae/tls.hpp"

namespace hyphae {

namespace {

[[noreturn]] void fail(const char* part, const boost::system::system_error& error) {
    throw TlsConfigError(std::string("TLS ") + part + ": " + error.code().message());
}

}  // namespace

std::shared_ptr<net::ssl::context> make_tls_context(const TlsOptions& options) {
    auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    // TLS 1.2 and later only; no compression (CRIME), fresh ECDH keys per
    // handshake.
    context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                         net::ssl::context::no_tlsv1_1 | net::ssl::context::no_compression |
                         net::ssl::context::single_dh_use);
    if (!options.passphrase.empty()) {
        context->set_password_callback(
            [passphrase = options.passphrase](std::size_t, net::ssl::context::password_purpose) {
                return passphrase;
            });
    }
    try {
        context->use_certificate_chain(net::buffer(options.cert));
    } catch (const boost::system::system_error& error) {
        fail("certificate", error);
    }
    try {
        context->use_private_key(net::buffer(options.key), net::ssl::context::pem);
    } catch (const boost::system::system_error& error) {
        fail("private key", error);
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        throw TlsConfigError("TLS private key: does not match the certificate");
    }
    if (!options.ca.empty()) {
        try {
            context->add_certificate_authority(net::buffer(options.ca));
        } catch (const boost::system::system_error& error) {
            fail("ca", error);
        }
    }
    if (options.request_cert) {
        context->set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
    }
    return context;
}

}  // namespace hyphae
