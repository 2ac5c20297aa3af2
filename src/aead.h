/*
 * aead: the record layer's bulk cipher, ChaCha20-Poly1305 (IETF, 96-bit nonce),
 * AES-256-GCM or AEGIS-256X4, with detached 16-byte tags.
 *
 * Two backends, chosen at build time: OpenSSL's libcrypto when configure found it
 * (HAVE_OPENSSL), libsodium otherwise or when AEAD_SODIUM is defined (a second build of the
 * unit test keeps that path compiled and tested). Both compute the standard constructions,
 * so they put the same bytes on the wire; libcrypto is two to three times faster on CPUs
 * with vector AES and AVX-512 (doc/security.md). The handshake never comes here (noise.c).
 *
 * On a CPU with VAES, VPCLMULQDQ and AVX-512, AES-256-GCM bypasses both for gcm_vaes, about
 * twice as fast again (the libsodium build, AEAD_SODIUM, keeps the library's AES).
 * AEGIS-256X4 exists only there (aegis.h, neither library has it): its 256-bit nonce is the
 * 96-bit one here followed by zeros.
 *
 * A struct aead holds one key, expanded: with libcrypto an EVP_CIPHER_CTX that aead_init
 * allocates, with libsodium the key itself or its AES state; for gcm_vaes its own expanded
 * key, allocated. aead_wipe frees and wipes it.
 * A struct aead in use must not be copied: the copy would share the context. Sealing and
 * opening allocate nothing.
 */
#ifndef MPTUN_AEAD_H
#define MPTUN_AEAD_H

#include <stddef.h>
#include <stdint.h>

#if defined(HAVE_OPENSSL) && !defined(AEAD_SODIUM)
#define AEAD_LIBCRYPTO 1
#include <openssl/types.h>
#else
#include <sodium.h>
#endif

#define AEAD_KEY_LEN   32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN   16

enum aead_cipher {
	AEAD_CHACHA20POLY1305,
	AEAD_AES256GCM,
	AEAD_AEGIS256X4, /* only where vaes_usable() */
};

struct gcm_vaes;

struct aead {
	struct gcm_vaes *vaes; /* AES-256-GCM on VAES (gcm_vaes.h) when the CPU has it, or NULL */
	int aegis;		       /* AEGIS-256X4 (aegis.h): the key is aegis_key */
	uint8_t aegis_key[AEAD_KEY_LEN];
#ifdef AEAD_LIBCRYPTO
	EVP_CIPHER_CTX *ctx; /* cipher and expanded key; NULL when empty */
#else
	union {
		crypto_aead_aes256gcm_state aes; /* AES-256-GCM, expanded; first (aligned) */
		uint8_t key[AEAD_KEY_LEN];	 /* ChaCha20-Poly1305 */
	} u;
	enum aead_cipher cipher;
#endif
};

/* The library that does the work, "libcrypto" or "libsodium", and its version. */
const char *aead_backend(void);
const char *aead_backend_version(void);
/* What seals AES-256-GCM here: "vaes" (gcm_vaes.h), or the library's name. */
const char *aead_aes_impl(void);

/*
 * Expand key for cipher into a, whose previous contents are overwritten, not released (wipe
 * first). 0, or -1 when the library fails (libcrypto: out of memory).
 */
int aead_init(struct aead *a, enum aead_cipher cipher, const uint8_t key[AEAD_KEY_LEN]);
/*
 * Encrypt len bytes of in to out (the same pointer, or not overlapping at all) and write the
 * tag that covers ad and the ciphertext. 0, or -1 when the library fails.
 */
int aead_seal(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	      const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[AEAD_TAG_LEN]);
/*
 * Verify tag over ad and the len bytes of buf, decrypting buf in place. 0, or -1 when
 * the record does not authenticate: buf is then zeroed, so no unauthenticated plaintext
 * is ever left behind.
 */
int aead_open(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	      uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN]);
/* Free the context and wipe a; a is then empty (all zero). Safe on an empty struct aead. */
void aead_wipe(struct aead *a);

#endif
