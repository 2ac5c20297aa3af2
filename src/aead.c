/*
 * aead: the record cipher on libsodium (see aead.h).
 */
#include "config.h"

#include <string.h>

#include "aead.h"

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

int
aead_init(struct aead *a, enum aead_cipher cipher, const uint8_t key[AEAD_KEY_LEN])
{
	a->cipher = cipher;
	if (cipher == AEAD_AES256GCM)
		return crypto_aead_aes256gcm_beforenm(&a->u.aes, key) == 0 ? 0 : -1;
	memcpy(a->u.key, key, AEAD_KEY_LEN);
	return 0;
}

int
aead_seal(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
	  const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[AEAD_TAG_LEN])
{
	unsigned long long taglen;

	if (a->cipher == AEAD_AES256GCM)
		return crypto_aead_aes256gcm_encrypt_detached_afternm(
			out, tag, &taglen, in, len, ad, adlen, NULL, nonce, &a->u.aes);
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, &taglen, in, len, ad,
								  adlen, NULL, nonce, a->u.key);
}

int
aead_open(struct aead *a, const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *ad, size_t adlen,
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

void
aead_wipe(struct aead *a)
{
	sodium_memzero(a, sizeof(*a));
}
