/*
 * aead: the record cipher on libcrypto or libsodium (see aead.h). Each backend is one whole
 * block below (lib_*); they share the contract and nothing else. The public calls at the
 * end put gcm_vaes in front of both.
 *
 * libcrypto: one EVP_CIPHER_CTX per key, keyed once by aead_init; a record only sets the
 * nonce, feeds the associated data and the body, and gets or sets the tag. One context
 * serves both directions (each init names its direction). EVP_CIPHER_CTX_free cleanses the
 * key schedule.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "aead.h"
#include "aegis.h"
#include "gcm_vaes.h"
#include "vaes.h"

static void lib_wipe(struct aead *a);

#ifdef AEAD_LIBCRYPTO

#include <openssl/crypto.h>
#include <openssl/evp.h>

const char *
aead_backend(void)
{
	return "libcrypto";
}

const char *
aead_backend_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION_STRING);
}

static int
lib_init(struct aead *a, enum aead_cipher cipher, const uint8_t key[AEAD_KEY_LEN])
{
	const EVP_CIPHER *c =
		cipher == AEAD_AES256GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	a->ctx = EVP_CIPHER_CTX_new();
	if (a->ctx == NULL)
		return -1;
	/* Both ciphers default to the 12-byte nonce; the key schedule is built here, once. */
	if (EVP_EncryptInit_ex(a->ctx, c, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_get_iv_length(a->ctx) != AEAD_NONCE_LEN) {
		lib_wipe(a);
		return -1;
	}
	return 0;
}

static int
lib_seal(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[AEAD_TAG_LEN])
{
	int n;

	if (len > INT_MAX || adlen > INT_MAX)
		return -1;
	if (EVP_EncryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(a->ctx, NULL, &n, ad, (int)adlen) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(a->ctx, out, &n, in, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(a->ctx, out + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag) != 1)
		return -1;
	return 0;
}

static int
lib_open(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	 uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN])
{
	uint8_t t[AEAD_TAG_LEN];
	int n;

	if (len > INT_MAX || adlen > INT_MAX)
		return -1;
	/* The body is decrypted before the tag is checked: on failure, take it back. */
	memcpy(t, tag, sizeof(t)); /* the control call takes no const */
	if (EVP_DecryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, t) != 1 ||
	    EVP_DecryptUpdate(a->ctx, NULL, &n, ad, (int)adlen) != 1 ||
	    (len > 0 && EVP_DecryptUpdate(a->ctx, buf, &n, buf, (int)len) != 1) ||
	    EVP_DecryptFinal_ex(a->ctx, buf + len, &n) != 1) {
		OPENSSL_cleanse(buf, len);
		return -1;
	}
	return 0;
}

static void
lib_wipe(struct aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	a->ctx = NULL;
}

#else /* libsodium */

const char *
aead_backend(void)
{
	return "libsodium";
}

const char *
aead_backend_version(void)
{
	return sodium_version_string();
}

static int
lib_init(struct aead *a, enum aead_cipher cipher, const uint8_t key[AEAD_KEY_LEN])
{
	a->cipher = cipher;
	if (cipher == AEAD_AES256GCM)
		return crypto_aead_aes256gcm_beforenm(&a->u.aes, key) == 0 ? 0 : -1;
	memcpy(a->u.key, key, AEAD_KEY_LEN);
	return 0;
}

static int
lib_seal(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[AEAD_TAG_LEN])
{
	unsigned long long taglen;

	if (a->cipher == AEAD_AES256GCM)
		return crypto_aead_aes256gcm_encrypt_detached_afternm(
			out, tag, &taglen, in, len, ad, adlen, NULL, nonce, &a->u.aes);
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, &taglen, in, len, ad,
								  adlen, NULL, nonce, a->u.key);
}

static int
lib_open(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	 uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN])
{
	int rc;

	if (a->cipher == AEAD_AES256GCM)
		rc = crypto_aead_aes256gcm_decrypt_detached_afternm(buf, NULL, buf, len, tag, ad,
								    adlen, nonce, &a->u.aes);
	else
		rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf, NULL, buf, len, tag,
									ad, adlen, nonce, a->u.key);
	if (rc != 0) {
		sodium_memzero(buf, len);
		return -1;
	}
	return 0;
}

static void
lib_wipe(struct aead *a)
{
	sodium_memzero(a, sizeof(*a));
}

#endif

/*
 * The public calls: AES-256-GCM goes to gcm_vaes when the CPU has it (never in the
 * libsodium build, AEAD_SODIUM, which keeps the library's AES tested), else to the backend;
 * AEGIS-256X4 always to aegis.
 */
static int
vaes_applies(enum aead_cipher cipher)
{
#ifdef AEAD_SODIUM
	(void)cipher;
	return 0;
#else
	return cipher == AEAD_AES256GCM && vaes_usable();
#endif
}

const char *
aead_aes_impl(void)
{
	return vaes_applies(AEAD_AES256GCM) ? "vaes" : aead_backend();
}

int
aead_init(struct aead *a, enum aead_cipher cipher, const uint8_t key[AEAD_KEY_LEN])
{
	memset(a, 0, sizeof(*a));
	if (cipher == AEAD_AEGIS256X4) {
		if (!vaes_usable())
			return -1;
		a->aegis = 1;
		memcpy(a->aegis_key, key, AEAD_KEY_LEN);
		return 0;
	}
	if (!vaes_applies(cipher))
		return lib_init(a, cipher, key);
	a->vaes = aligned_alloc(_Alignof(struct gcm_vaes), sizeof(struct gcm_vaes));
	if (a->vaes == NULL)
		return -1;
	gcm_vaes_init(a->vaes, key);
	return 0;
}

/* AEGIS-256X4's nonce: ours, then zeros. */
static const uint8_t *
wide_nonce(uint8_t wide[AEGIS_NONCE_LEN], const uint8_t nonce[AEAD_NONCE_LEN])
{
	memcpy(wide, nonce, AEAD_NONCE_LEN);
	memset(wide + AEAD_NONCE_LEN, 0, AEGIS_NONCE_LEN - AEAD_NONCE_LEN);
	return wide;
}

int
aead_seal(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	  const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[AEAD_TAG_LEN])
{
	uint8_t n[AEGIS_NONCE_LEN];

	if (a->aegis) {
		aegis_seal(a->aegis_key, wide_nonce(n, nonce), ad, adlen, in, len, out, tag);
		return 0;
	}
	if (a->vaes == NULL)
		return lib_seal(a, nonce, ad, adlen, in, len, out, tag);
	gcm_vaes_seal(a->vaes, nonce, ad, adlen, in, len, out, tag);
	return 0;
}

int
aead_open(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	  uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN])
{
	uint8_t n[AEGIS_NONCE_LEN];

	if (a->aegis)
		return aegis_open(a->aegis_key, wide_nonce(n, nonce), ad, adlen, buf, len, tag);
	if (a->vaes == NULL)
		return lib_open(a, nonce, ad, adlen, buf, len, tag);
	return gcm_vaes_open(a->vaes, nonce, ad, adlen, buf, len, tag);
}

void
aead_wipe(struct aead *a)
{
	if (a->vaes != NULL) {
		sodium_memzero(a->vaes, sizeof(*a->vaes));
		free(a->vaes);
	}
	lib_wipe(a);
	sodium_memzero(a, sizeof(*a));
}
