/*
 * test_gcm_vaes: AES-256-GCM on VAES computes exactly what the libraries compute.
 *
 * Published vectors (the GCM specification's test cases 13 to 16, AES-256 with a 96-bit
 * IV), then random keys, nonces, associated data and lengths from 0 to 70,000 bytes at odd
 * alignments, sealed here and by libsodium (and by libcrypto when built with it), opened
 * back, and tampered with. Skipped (77) on a CPU without VAES, VPCLMULQDQ or AVX-512.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#ifdef HAVE_OPENSSL
#include <openssl/evp.h>
#endif

#include "check.h"
#include "gcm_vaes.h"
#include "vaes.h"

#define MAX (70 * 1024)

static size_t
unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	if (sodium_hex2bin(out, strlen(hex) / 2, hex, strlen(hex), NULL, &n, NULL) != 0)
		abort();
	return n;
}

static void
test_vectors(void)
{
	static const struct {
		const char *key, *iv, *plain, *ad, *cipher, *tag;
	} tc[] = {
		/* test case 13 */
		{"0000000000000000000000000000000000000000000000000000000000000000",
		 "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
		/* test case 14 */
		{"0000000000000000000000000000000000000000000000000000000000000000",
		 "000000000000000000000000", "00000000000000000000000000000000", "",
		 "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
		/* test case 15 */
		{"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		 "cafebabefacedbaddecaf888",
		 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		 "",
		 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
		 "b094dac5d93471bdec1a502270e3cc6c"},
		/* test case 16 */
		{"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		 "cafebabefacedbaddecaf888",
		 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		 "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		 "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		 "76fc6ece0f4e1768cddf8853bb2d551b"},
	};
	static struct gcm_vaes g;
	uint8_t key[32], iv[12], plain[64], ad[20], cipher[64], tag[16], out[64], t[16];

	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		size_t n, adlen;

		unhex(key, tc[i].key);
		unhex(iv, tc[i].iv);
		n = unhex(plain, tc[i].plain);
		adlen = unhex(ad, tc[i].ad);
		unhex(cipher, tc[i].cipher);
		unhex(tag, tc[i].tag);
		gcm_vaes_init(&g, key);
		gcm_vaes_seal(&g, iv, ad, adlen, plain, n, out, t);
		CHECK(memcmp(out, cipher, n) == 0);
		CHECK(memcmp(t, tag, 16) == 0);
		CHECK(gcm_vaes_open(&g, iv, ad, adlen, out, n, tag) == 0);
		CHECK(memcmp(out, plain, n) == 0);
	}
}

#ifdef HAVE_OPENSSL
static void
evp_seal(const uint8_t *key, const uint8_t *iv, const uint8_t *ad, size_t adlen, const uint8_t *in,
	 size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	CHECK(c != NULL && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	      EVP_EncryptUpdate(c, NULL, &n, ad, (int)adlen) == 1 &&
	      (len == 0 || EVP_EncryptUpdate(c, out, &n, in, (int)len) == 1) &&
	      EVP_EncryptFinal_ex(c, out + len, &n) == 1 &&
	      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
}
#endif

static void
test_random(void)
{
	static uint8_t key[32], iv[12], ad[256], in[MAX + 64], ref[MAX + 64], out[MAX + 64],
		buf[MAX + 64];
	static struct gcm_vaes g;
	crypto_aead_aes256gcm_state st;
	uint8_t rtag[16], tag[16];
	unsigned long long tl;

	for (int it = 0; it < 6000; it++) {
		/* every length up to 1,100 bytes, then random ones up to 70 KiB */
		size_t len = it < 1100 ? (size_t)it : randombytes_uniform(MAX);
		size_t adlen = randombytes_uniform(200), ioff = randombytes_uniform(64),
		       ooff = randombytes_uniform(64);
		uint8_t *src = in + ioff, *dst = out + ooff;

		randombytes_buf(key, sizeof(key));
		randombytes_buf(iv, sizeof(iv));
		randombytes_buf(ad, adlen);
		randombytes_buf(src, len);
		gcm_vaes_init(&g, key);
		crypto_aead_aes256gcm_beforenm(&st, key);
		crypto_aead_aes256gcm_encrypt_detached_afternm(ref, rtag, &tl, src, len, ad, adlen,
							       NULL, iv, &st);
		gcm_vaes_seal(&g, iv, ad, adlen, src, len, dst, tag);
		CHECK(memcmp(dst, ref, len) == 0);
		CHECK(memcmp(tag, rtag, 16) == 0);
#ifdef HAVE_OPENSSL
		if (it % 4 == 0) {
			evp_seal(key, iv, ad, adlen, src, len, buf, rtag);
			CHECK(memcmp(buf, ref, len) == 0);
			CHECK(memcmp(tag, rtag, 16) == 0);
		}
#endif
		/* in place, both ways */
		memcpy(buf, src, len);
		gcm_vaes_seal(&g, iv, ad, adlen, buf, len, buf, rtag);
		CHECK(memcmp(buf, ref, len) == 0 && memcmp(rtag, tag, 16) == 0);
		CHECK(gcm_vaes_open(&g, iv, ad, adlen, buf, len, tag) == 0);
		CHECK(memcmp(buf, src, len) == 0);

		/* one flipped bit anywhere fails, and leaves no plaintext behind */
		memcpy(buf, ref, len);
		if (it % 3 == 0)
			tag[randombytes_uniform(16)] ^= (uint8_t)(1u << randombytes_uniform(8));
		else if (it % 3 == 1 && len > 0)
			buf[randombytes_uniform((uint32_t)len)] ^=
				(uint8_t)(1u << randombytes_uniform(8));
		else if (adlen > 0)
			ad[randombytes_uniform((uint32_t)adlen)] ^=
				(uint8_t)(1u << randombytes_uniform(8));
		else
			iv[randombytes_uniform(12)] ^= 1;
		CHECK(gcm_vaes_open(&g, iv, ad, adlen, buf, len, tag) == -1);
		for (size_t i = 0; i < len; i++)
			if (buf[i] != 0) {
				CHECK(!"rejected body not zeroed");
				break;
			}
	}
	sodium_memzero(&g, sizeof(g));
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	if (!vaes_usable() || !crypto_aead_aes256gcm_is_available()) {
		printf("test_gcm_vaes: no VAES, VPCLMULQDQ and AVX-512 on this CPU, skipped\n");
		return 77;
	}
	test_vectors();
	test_random();
	if (failures == 0)
		printf("test_gcm_vaes: all passed\n");
	return CHECK_RESULT();
}
