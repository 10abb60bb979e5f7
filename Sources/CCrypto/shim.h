// OpenSSL's libcrypto (libssl-dev; its libcrypto.a makes the static build) for KexecCore's
// host SHA-256, behind KexecCore's SHA256Digest. Only the low-level SHA256_* functions are
// used: they go straight to OpenSSL's x86_64 assembly (SHA-NI or AVX2/SSSE3 by CPUID, read by
// a constructor), while the EVP interface would link in the provider machinery. OpenSSL 3
// marks them deprecated; they are still built (Debian does not set no-deprecated).
#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

// SHA256_CTX in a struct of fixed layout with three calls that cannot fail on valid
// arguments (OpenSSL returns 1); Swift sees only these.
typedef struct { SHA256_CTX ctx; } ccrypto_sha256_ctx;

static inline void ccrypto_sha256_init(ccrypto_sha256_ctx *c) { SHA256_Init(&c->ctx); }

static inline void ccrypto_sha256_update(ccrypto_sha256_ctx *c, const void *data, size_t len) {
    if (len != 0) SHA256_Update(&c->ctx, data, len);
}

static inline void ccrypto_sha256_final(ccrypto_sha256_ctx *c, unsigned char out[32]) {
    SHA256_Final(out, &c->ctx);
}
#endif
