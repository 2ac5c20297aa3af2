/*
 * aegis: AEGIS-256X4 (RFC 10032), the AES-based authenticated cipher, four AEGIS-256 lanes
 * wide, on vector AES with AVX-512: one 512-bit register holds the four lanes of each of
 * the six state blocks, so a 64-byte block of the message costs six vector AES rounds.
 * About three times as fast as AES-256-GCM on the same instructions (doc/security.md).
 *
 * 256-bit key, 256-bit nonce, 128-bit tag. Call vaes_usable() (vaes.h) first: these
 * functions execute those instructions. Keys are not expanded: the state is set up from
 * key and nonce for each message, and lives in registers only.
 */
#ifndef MPTUN_AEGIS_H
#define MPTUN_AEGIS_H

#include <stddef.h>
#include <stdint.h>

#define AEGIS_KEY_LEN	32
#define AEGIS_NONCE_LEN 32
#define AEGIS_TAG_LEN	16

/* Encrypt len bytes of in to out (the same pointer, or not overlapping) and compute tag. */
void aegis_seal(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
		const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
		uint8_t tag[AEGIS_TAG_LEN]);

/*
 * Decrypt buf in place and check tag over ad and the ciphertext: 0. When the tag does not
 * match, -1 and buf is zeroed, so no unauthenticated plaintext is left behind.
 */
int aegis_open(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
	       const uint8_t *ad, size_t adlen, uint8_t *buf, size_t len,
	       const uint8_t tag[AEGIS_TAG_LEN]);

#endif
