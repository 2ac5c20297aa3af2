/*
 * aegis: AEGIS-256X4 on VAES and AVX-512 (see aegis.h).
 *
 * The state is six blocks V[0..5] of four 128-bit lanes, one __m512i each; lane i of a
 * 64-byte message block is its bytes 16i .. 16i+15, which is how a vector load lays them
 * out. Update(M) turns every V[j] into AESRound(V[j-1], V[j]) at once (V[0] takes V[5] and
 * absorbs M), which is VAESENC with the old V[j] as the round key. Encrypting a block
 * xors it with V[1] ^ V[4] ^ V[5] ^ (V[2] & V[3]) and then absorbs the plaintext.
 * Partial blocks are zero-padded (masked loads); the tag is the xor of all six blocks,
 * folded over the four lanes.
 */
#include "config.h"

#include <sodium.h>

#include "aegis.h"
#include "vaes.h"

#ifdef VAES_X86

/* The Fibonacci sequence mod 256, and its continuation: the specification's C0 and C1. */
static const uint8_t C0[16] = {0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
			       0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62};
static const uint8_t C1[16] = {0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
			       0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd};

VAES_TARGET static inline void
update(__m512i v[6], __m512i m)
{
	__m512i last = v[5];

	v[5] = _mm512_aesenc_epi128(v[4], v[5]);
	v[4] = _mm512_aesenc_epi128(v[3], v[4]);
	v[3] = _mm512_aesenc_epi128(v[2], v[3]);
	v[2] = _mm512_aesenc_epi128(v[1], v[2]);
	v[1] = _mm512_aesenc_epi128(v[0], v[1]);
	v[0] = _mm512_aesenc_epi128(last, _mm512_xor_si512(v[0], m));
}

/* The keystream of the next block: V[1] ^ V[4] ^ V[5] ^ (V[2] & V[3]). */
VAES_TARGET static inline __m512i
keystream(const __m512i v[6])
{
	return _mm512_xor_si512(_mm512_ternarylogic_epi64(v[1], v[4], v[5], 0x96),
				_mm512_and_si512(v[2], v[3]));
}

VAES_TARGET static inline __m512i
broadcast(const uint8_t b[16])
{
	return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)b));
}

/* Init: key and nonce in, and each lane told apart by its context (lane, degree - 1). */
VAES_TARGET static void
start(__m512i v[6], const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN])
{
	__m512i k0 = broadcast(key), k1 = broadcast(key + 16);
	__m512i k0n0 = _mm512_xor_si512(k0, broadcast(nonce));
	__m512i k1n1 = _mm512_xor_si512(k1, broadcast(nonce + 16));
	__m512i c0 = broadcast(C0), c1 = broadcast(C1);
	__m512i ctx = _mm512_set_epi64(0, 0x0303, 0, 0x0302, 0, 0x0301, 0, 0x0300);
	__m512i m[4] = {k0, k1, k0n0, k1n1};

	v[0] = k0n0;
	v[1] = k1n1;
	v[2] = c1;
	v[3] = c0;
	v[4] = _mm512_xor_si512(k0, c0);
	v[5] = _mm512_xor_si512(k1, c1);
	for (int i = 0; i < 16; i++) {
		v[3] = _mm512_xor_si512(v[3], ctx);
		v[5] = _mm512_xor_si512(v[5], ctx);
		update(v, m[i % 4]);
	}
}

/* The associated data, zero-padded to whole blocks. */
VAES_TARGET static void
absorb(__m512i v[6], const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t take = n < 64 ? n : 64;

		update(v, _mm512_maskz_loadu_epi8(vaes_mask(take), p));
		p += take;
		n -= take;
	}
}

/* Finalize: the lengths in bits absorbed seven times, then the tag from every lane. */
VAES_TARGET static __m128i
finish(__m512i v[6], size_t adlen, size_t len)
{
	__m512i t = _mm512_xor_si512(
		v[3], _mm512_broadcast_i32x4(_mm_set_epi64x((long long)((uint64_t)len * 8),
							    (long long)((uint64_t)adlen * 8))));
	__m512i x;
	__m256i y;

	for (int i = 0; i < 7; i++)
		update(v, t);
	x = _mm512_xor_si512(_mm512_ternarylogic_epi64(v[0], v[1], v[2], 0x96),
			     _mm512_ternarylogic_epi64(v[3], v[4], v[5], 0x96));
	y = _mm256_xor_si256(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));
	return _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
}

VAES_TARGET void
aegis_seal(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
	   const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
	   uint8_t tag[AEGIS_TAG_LEN])
{
	__m512i v[6];
	size_t i;

	start(v, key, nonce);
	absorb(v, ad, adlen);
	for (i = 0; len - i >= 64; i += 64) {
		__m512i x = _mm512_loadu_si512(in + i);

		_mm512_storeu_si512(out + i, _mm512_xor_si512(x, keystream(v)));
		update(v, x);
	}
	if (i < len) {
		__mmask64 m = vaes_mask(len - i);
		__m512i x = _mm512_maskz_loadu_epi8(m, in + i);

		_mm512_mask_storeu_epi8(out + i, m, _mm512_xor_si512(x, keystream(v)));
		update(v, x);
	}
	_mm_storeu_si128((__m128i *)tag, finish(v, adlen, len));
}

VAES_TARGET int
aegis_open(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
	   const uint8_t *ad, size_t adlen, uint8_t *buf, size_t len,
	   const uint8_t tag[AEGIS_TAG_LEN])
{
	__m512i v[6];
	__m128i d;
	size_t i;

	start(v, key, nonce);
	absorb(v, ad, adlen);
	for (i = 0; len - i >= 64; i += 64) {
		__m512i x = _mm512_xor_si512(_mm512_loadu_si512(buf + i), keystream(v));

		_mm512_storeu_si512(buf + i, x);
		update(v, x);
	}
	if (i < len) {
		/* the plaintext's padding must be zero, not keystream */
		__mmask64 m = vaes_mask(len - i);
		__m512i x = _mm512_maskz_mov_epi8(
			m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, buf + i), keystream(v)));

		_mm512_mask_storeu_epi8(buf + i, m, x);
		update(v, x);
	}
	d = _mm_xor_si128(finish(v, adlen, len), _mm_loadu_si128((const __m128i *)tag));
	if (!_mm_testz_si128(d, d)) {
		sodium_memzero(buf, len);
		return -1;
	}
	return 0;
}

#else /* not x86-64 with GCC or clang: vaes_usable() says 0, so nothing calls these */

void
aegis_seal(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
	   const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
	   uint8_t tag[AEGIS_TAG_LEN])
{
	(void)key, (void)nonce, (void)ad, (void)adlen, (void)in, (void)len, (void)out, (void)tag;
}

int
aegis_open(const uint8_t key[AEGIS_KEY_LEN], const uint8_t nonce[AEGIS_NONCE_LEN],
	   const uint8_t *ad, size_t adlen, uint8_t *buf, size_t len,
	   const uint8_t tag[AEGIS_TAG_LEN])
{
	(void)key, (void)nonce, (void)ad, (void)adlen, (void)buf, (void)len, (void)tag;
	return -1;
}

#endif
