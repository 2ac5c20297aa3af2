/*
 * gcm_vaes: AES-256-GCM (96-bit nonce, 16-byte tag) on vector AES and vector carry-less
 * multiply with AVX-512 (VAES, VPCLMULQDQ, AVX512F/BW/VL), four blocks per instruction.
 *
 * The record layer's fast path for aes256gcm on CPUs that have these instructions; aead.c
 * falls back to its library elsewhere. It computes the standard construction (NIST SP
 * 800-38D), so the bytes on the wire are the library's: test_gcm_vaes checks it against
 * libcrypto or libsodium over random keys, nonces, lengths and associated data, and against
 * published test vectors. Every instruction it uses runs in time independent of the data.
 *
 * Call vaes_usable() (vaes.h) first: these functions execute those instructions.
 */
#ifndef MPTUN_GCM_VAES_H
#define MPTUN_GCM_VAES_H

#include <stddef.h>
#include <stdint.h>

#define GCM_VAES_KEY_LEN   32
#define GCM_VAES_NONCE_LEN 12
#define GCM_VAES_TAG_LEN   16

/*
 * An expanded key: the 15 round keys and the hash key's powers H^32 .. H^1 in the order a
 * 32-block step multiplies them, then four zero blocks so that a shorter step can load
 * H^k .. H^1 as one vector. 64-byte aligned; wipe it (the caller's memzero) when done.
 */
struct gcm_vaes {
	uint8_t rk[15][16];
	uint8_t hp[36][16];
} __attribute__((aligned(64)));

void gcm_vaes_init(struct gcm_vaes *g, const uint8_t key[GCM_VAES_KEY_LEN]);

/* Encrypt len bytes of in to out (the same pointer, or not overlapping) and compute tag. */
void gcm_vaes_seal(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN],
		   const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
		   uint8_t tag[GCM_VAES_TAG_LEN]);

/*
 * Check tag over ad and the len bytes of buf, then decrypt buf in place: 0. When the tag
 * does not match, -1 and buf is zeroed: it was decrypted in the same pass that hashed
 * it, and no unauthenticated plaintext is left behind.
 */
int gcm_vaes_open(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN],
		  const uint8_t *ad, size_t adlen, uint8_t *buf, size_t len,
		  const uint8_t tag[GCM_VAES_TAG_LEN]);

#endif
