#pragma once
// Certificates made by the test itself (OpenSSL 3 API): a P-256 key and an
// X.509 certificate for "localhost" / 127.0.0.1, self-signed or signed by
// another generated certificate, valid for one day.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace hyphae::test {

struct Certificate {
    std::string cert_pem;
    std::string key_pem;
    std::shared_ptr<X509> cert;
    std::shared_ptr<EVP_PKEY> key;
};

namespace detail {

inline void check(int ok, const char* what) {
    if (ok <= 0) throw std::runtime_error(std::string("test certificate: ") + what);
}

inline std::string pem_of(const std::function<int(BIO*)>& write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    check(write(bio.get()), "PEM write");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    check(extension != nullptr, "extension");
    check(X509_add_ext(cert, extension, -1), "add extension");
    X509_EXTENSION_free(extension);
}

}  // namespace detail

// `issuer` null: self-signed. `is_ca`: may sign other certificates.
inline Certificate make_certificate(const std::string& common_name,
                                    const Certificate* issuer = nullptr, bool is_ca = false) {
    using detail::check;
    Certificate out;
    out.key.reset(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    check(out.key != nullptr, "key generation");
    out.cert.reset(X509_new(), &X509_free);
    X509* cert = out.cert.get();
    check(X509_set_version(cert, 2), "version");
    static long serial = 1;
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++), "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert), -60) != nullptr, "not before");
    check(X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600) != nullptr, "not after");
    check(X509_set_pubkey(cert, out.key.get()), "public key");
    X509_NAME* name = X509_get_subject_name(cert);
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     -1, -1, 0),
          "common name");
    X509* signer = issuer ? issuer->cert.get() : cert;
    check(X509_set_issuer_name(cert, X509_get_subject_name(signer)), "issuer");
    detail::add_extension(cert, signer, NID_basic_constraints,
                          is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (!is_ca)
        detail::add_extension(cert, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    check(X509_sign(cert, issuer ? issuer->key.get() : out.key.get(), EVP_sha256()), "sign");
    out.cert_pem = detail::pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
    out.key_pem = detail::pem_of([&](BIO* bio) {
        return PEM_write_bio_PrivateKey(bio, out.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

}  // namespace hyphae::test
