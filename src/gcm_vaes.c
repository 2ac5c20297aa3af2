/*
 * gcm_vaes: AES-256-GCM with VAES and VPCLMULQDQ on 512-bit vectors (see gcm_vaes.h).
 *
 * One pass over a record (crypt_hash): 32 blocks (eight vectors of four) at a time run
 * through the 14 rounds, and between the rounds 32 blocks of ciphertext are multiplied by
 * H^32 .. H^1 and reduced once, so the AES and the carry-less multiply units work side by
 * side. What is left (under 32 blocks) and the associated data go four blocks at a time
 * (ctr_xor, ghash).
 *
 * GHASH works on byte-reflected blocks, the method of Gueron and Kounavis ("Intel
 * Carry-Less Multiplication Instruction and its Usage for Computing the GCM Mode"): the
 * 256-bit carry-less product is shifted left by one bit and reduced modulo
 * x^128 + x^7 + x^2 + x + 1. Shifting and reducing are linear, so the products of a
 * 32-block step are summed first and reduced once.
 *
 * In byte-reflected form the 32-bit big-endian block counter is the low 32-bit lane of each
 * block, so one vector add advances four counters, wrapping mod 2^32 as GCM's inc32 does.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "gcm_vaes.h"
#include "vaes.h"

#ifdef VAES_X86

/* vectors of four blocks per step of crypt_hash */
#define STEP 8

VAES_TARGET static inline __m128i
bswap128(__m128i x)
{
	return _mm_shuffle_epi8(x,
				_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

VAES_TARGET static inline __m512i
bswap512(__m512i x)
{
	return _mm512_shuffle_epi8(x,
				   _mm512_broadcast_i32x4(_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
								       10, 11, 12, 13, 14, 15)));
}

/* Shift the 256-bit product hi:lo (with the middle terms mid) left by one and reduce it. */
VAES_TARGET static inline __m128i
reduce(__m128i lo, __m128i mid, __m128i hi)
{
	__m128i t2, t3, t4, t5, t6, t7, t8, t9;

	t3 = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	t6 = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	t7 = _mm_srli_epi32(t3, 31);
	t8 = _mm_srli_epi32(t6, 31);
	t3 = _mm_slli_epi32(t3, 1);
	t6 = _mm_slli_epi32(t6, 1);
	t9 = _mm_srli_si128(t7, 12);
	t8 = _mm_slli_si128(t8, 4);
	t7 = _mm_slli_si128(t7, 4);
	t3 = _mm_or_si128(t3, t7);
	t6 = _mm_or_si128(t6, t8);
	t6 = _mm_or_si128(t6, t9);
	t7 = _mm_slli_epi32(t3, 31);
	t8 = _mm_slli_epi32(t3, 30);
	t9 = _mm_slli_epi32(t3, 25);
	t7 = _mm_xor_si128(t7, t8);
	t7 = _mm_xor_si128(t7, t9);
	t8 = _mm_srli_si128(t7, 4);
	t7 = _mm_slli_si128(t7, 12);
	t3 = _mm_xor_si128(t3, t7);
	t2 = _mm_srli_epi32(t3, 1);
	t4 = _mm_srli_epi32(t3, 2);
	t5 = _mm_srli_epi32(t3, 7);
	t2 = _mm_xor_si128(t2, t4);
	t2 = _mm_xor_si128(t2, t5);
	t2 = _mm_xor_si128(t2, t8);
	t3 = _mm_xor_si128(t3, t2);
	return _mm_xor_si128(t6, t3);
}

VAES_TARGET static inline __m128i
gfmul(__m128i a, __m128i b)
{
	__m128i mid =
		_mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));

	return reduce(_mm_clmulepi64_si128(a, b, 0x00), mid, _mm_clmulepi64_si128(a, b, 0x11));
}

/* The four 128-bit lanes of v, added (xored) together. */
VAES_TARGET static inline __m128i
fold(__m512i v)
{
	__m256i t = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

	return _mm_xor_si128(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* Multiply-accumulate x (byte-reflected blocks) by the powers h, lane by lane. */
VAES_TARGET static inline void
mulacc(__m512i x, __m512i h, __m512i *lo, __m512i *mid, __m512i *hi)
{
	*lo = _mm512_xor_si512(*lo, _mm512_clmulepi64_epi128(x, h, 0x00));
	*hi = _mm512_xor_si512(*hi, _mm512_clmulepi64_epi128(x, h, 0x11));
	*mid = _mm512_ternarylogic_epi64(*mid, _mm512_clmulepi64_epi128(x, h, 0x01),
					 _mm512_clmulepi64_epi128(x, h, 0x10), 0x96);
}

/*
 * Absorb n bytes of p into the hash state y (byte-reflected), zero-padding the last block:
 * the associated data and what crypt_hash leaves of a record (under 32 blocks).
 */
VAES_TARGET static __m128i
ghash(const struct gcm_vaes *g, __m128i y, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t take = n < 64 ? n : 64, blocks = (take + 15) / 16;
		/* k blocks take H^k .. H^1; the zero blocks after H^1 meet zero lanes */
		__m512i h = _mm512_loadu_si512(g->hp[4 * STEP - blocks]);
		__m512i x = _mm512_xor_si512(bswap512(_mm512_maskz_loadu_epi8(vaes_mask(take), p)),
					     _mm512_zextsi128_si512(y));
		__m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;

		mulacc(x, h, &lo, &mid, &hi);
		y = reduce(fold(lo), fold(mid), fold(hi));
		p += take;
		n -= take;
	}
	return y;
}

/*
 * out = in ^ keystream from the byte-reflected counter block ctr on, four blocks at a time:
 * what crypt_hash leaves of a record.
 */
VAES_TARGET static void
ctr_xor(const struct gcm_vaes *g, __m128i ctr, const uint8_t *in, uint8_t *out, size_t len)
{
	__m512i rk[15];
	const __m512i four = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);
	__m512i c =
		_mm512_add_epi32(_mm512_broadcast_i32x4(ctr),
				 _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));

	for (int r = 0; r < 15; r++)
		rk[r] = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)g->rk[r]));
	while (len > 0) {
		size_t take = len < 64 ? len : 64;
		__mmask64 m = vaes_mask(take);
		__m512i k = _mm512_xor_si512(bswap512(c), rk[0]);

		c = _mm512_add_epi32(c, four);
		for (int r = 1; r < 14; r++)
			k = _mm512_aesenc_epi128(k, rk[r]);
		k = _mm512_aesenclast_epi128(k, rk[14]);
		_mm512_mask_storeu_epi8(out, m,
					_mm512_xor_si512(k, _mm512_maskz_loadu_epi8(m, in)));
		in += take;
		out += take;
		len -= take;
	}
}

/* Multiply-accumulate vector v of a step's ciphertext at p by its powers; acc joins block 0. */
VAES_TARGET static inline void
hash_vec(const struct gcm_vaes *g, const uint8_t *p, int v, __m128i acc, __m512i *lo, __m512i *mid,
	 __m512i *hi)
{
	__m512i x = bswap512(_mm512_loadu_si512(p + 64 * v));

	if (v == 0)
		x = _mm512_xor_si512(x, _mm512_zextsi128_si512(acc));
	mulacc(x, _mm512_loadu_si512(g->hp[4 * v]), lo, mid, hi);
}

/*
 * The bulk of a record, 512 bytes at a time: out = in ^ keystream, and the ciphertext
 * hashed into *y. The multiplies are spread over the AES rounds so that both kinds of unit
 * stay busy: when opening they hash this step's input, when sealing the previous step's
 * output (the last one is hashed after the loop). Returns the bytes done.
 */
VAES_TARGET static size_t
crypt_hash(const struct gcm_vaes *g, __m128i ctr, const uint8_t *in, uint8_t *out, size_t len,
	   __m128i *y, int seal)
{
	const __m512i four = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);
	__m512i c =
		_mm512_add_epi32(_mm512_broadcast_i32x4(ctr),
				 _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));
	__m128i acc = *y;
	const uint8_t *hashed; /* the ciphertext hashed between the rounds, if any */
	size_t done = 0;

	for (; len - done >= 64 * STEP; done += 64 * STEP) {
		__m512i k[STEP], rk, lo = _mm512_setzero_si512(), mid = lo, hi = lo;

		rk = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)g->rk[0]));
		hashed = seal ? (done > 0 ? out + done - 64 * STEP : NULL) : in + done;
#pragma GCC unroll 8
		for (int v = 0; v < STEP; v++) {
			k[v] = _mm512_xor_si512(bswap512(c), rk);
			c = _mm512_add_epi32(c, four);
		}
#pragma GCC unroll 13
		for (int r = 1; r < 14; r++) {
			rk = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)g->rk[r]));
#pragma GCC unroll 8
			for (int v = 0; v < STEP; v++)
				k[v] = _mm512_aesenc_epi128(k[v], rk);
			if (hashed != NULL && r <= STEP)
				hash_vec(g, hashed, r - 1, acc, &lo, &mid, &hi);
		}
		if (hashed != NULL)
			acc = reduce(fold(lo), fold(mid), fold(hi));
		rk = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)g->rk[14]));
#pragma GCC unroll 8
		for (int v = 0; v < STEP; v++)
			_mm512_storeu_si512(out + done + 64 * v,
					    _mm512_xor_si512(_mm512_loadu_si512(in + done + 64 * v),
							     _mm512_aesenclast_epi128(k[v], rk)));
	}
	if (seal && done > 0) {
		__m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;

#pragma GCC unroll 8
		for (int v = 0; v < STEP; v++)
			hash_vec(g, out + done - 64 * STEP, v, acc, &lo, &mid, &hi);
		acc = reduce(fold(lo), fold(mid), fold(hi));
	}
	*y = acc;
	return done;
}

VAES_TARGET static __m128i
aes_block(const struct gcm_vaes *g, __m128i x)
{
	x = _mm_xor_si128(x, _mm_load_si128((const __m128i *)g->rk[0]));
	for (int r = 1; r < 14; r++)
		x = _mm_aesenc_si128(x, _mm_load_si128((const __m128i *)g->rk[r]));
	return _mm_aesenclast_si128(x, _mm_load_si128((const __m128i *)g->rk[14]));
}

/* The next four key words from k and the word t that aeskeygenassist gave, broadcast. */
VAES_TARGET static inline __m128i
expand(__m128i k, __m128i t)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

#define EXPAND(i, rcon)                                                                            \
	do {                                                                                       \
		rk[i] = expand(                                                                    \
			rk[i - 2],                                                                 \
			_mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xff));      \
		if (i < 14)                                                                        \
			rk[i + 1] = expand(                                                        \
				rk[i - 1],                                                         \
				_mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i], 0), 0xaa));     \
	} while (0)

VAES_TARGET void
gcm_vaes_init(struct gcm_vaes *g, const uint8_t key[GCM_VAES_KEY_LEN])
{
	__m128i rk[15], h, p;

	rk[0] = _mm_loadu_si128((const __m128i *)key);
	rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
	EXPAND(2, 0x01);
	EXPAND(4, 0x02);
	EXPAND(6, 0x04);
	EXPAND(8, 0x08);
	EXPAND(10, 0x10);
	EXPAND(12, 0x20);
	EXPAND(14, 0x40);
	for (int r = 0; r < 15; r++)
		_mm_store_si128((__m128i *)g->rk[r], rk[r]);
	h = bswap128(aes_block(g, _mm_setzero_si128()));
	p = h;
	for (int i = 4 * STEP - 1; i >= 0; i--) {
		_mm_store_si128((__m128i *)g->hp[i], p);
		p = gfmul(p, h);
	}
	memset(g->hp[4 * STEP], 0, sizeof(g->hp[0]) * 4);
	/* the schedule lives on in g only */
	sodium_memzero(rk, sizeof(rk));
}

/* The byte-reflected J0 = nonce || 1 for a 96-bit nonce. */
VAES_TARGET static inline __m128i
first_block(const uint8_t nonce[GCM_VAES_NONCE_LEN])
{
	uint8_t b[16];

	memcpy(b, nonce, GCM_VAES_NONCE_LEN);
	b[12] = b[13] = b[14] = 0;
	b[15] = 1;
	return bswap128(_mm_loadu_si128((const __m128i *)b));
}

/* The tag from the hash state y after ad and len bytes of ciphertext. */
VAES_TARGET static __m128i
finish(const struct gcm_vaes *g, __m128i j, __m128i y, size_t adlen, size_t len)
{
	y = gfmul(_mm_xor_si128(y, _mm_set_epi64x((long long)(adlen * 8), (long long)(len * 8))),
		  _mm_loadu_si128((const __m128i *)g->hp[4 * STEP - 1]));
	return _mm_xor_si128(bswap128(y), aes_block(g, bswap128(j)));
}

/* Counter block number n (n >= 0) after J0, byte-reflected. */
VAES_TARGET static inline __m128i
counter(__m128i j, size_t n)
{
	return _mm_add_epi32(j, _mm_set_epi32(0, 0, 0, (int)(uint32_t)n));
}

VAES_TARGET void
gcm_vaes_seal(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN], const uint8_t *ad,
	      size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
	      uint8_t tag[GCM_VAES_TAG_LEN])
{
	__m128i j = first_block(nonce), y = ghash(g, _mm_setzero_si128(), ad, adlen);
	size_t done = crypt_hash(g, counter(j, 1), in, out, len, &y, 1);

	ctr_xor(g, counter(j, 1 + done / 16), in + done, out + done, len - done);
	y = ghash(g, y, out + done, len - done);
	_mm_storeu_si128((__m128i *)tag, finish(g, j, y, adlen, len));
}

VAES_TARGET int
gcm_vaes_open(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN], const uint8_t *ad,
	      size_t adlen, uint8_t *buf, size_t len, const uint8_t tag[GCM_VAES_TAG_LEN])
{
	__m128i j = first_block(nonce), y = ghash(g, _mm_setzero_si128(), ad, adlen), d;
	size_t done = crypt_hash(g, counter(j, 1), buf, buf, len, &y, 0);

	y = ghash(g, y, buf + done, len - done);
	ctr_xor(g, counter(j, 1 + done / 16), buf + done, buf + done, len - done);
	d = _mm_xor_si128(finish(g, j, y, adlen, len), _mm_loadu_si128((const __m128i *)tag));
	if (!_mm_testz_si128(d, d)) {
		sodium_memzero(buf, len);
		return -1;
	}
	return 0;
}

#else /* not x86-64 with GCC or clang */

void
gcm_vaes_init(struct gcm_vaes *g, const uint8_t key[GCM_VAES_KEY_LEN])
{
	(void)g;
	(void)key;
}

void
gcm_vaes_seal(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN], const uint8_t *ad,
	      size_t adlen, const uint8_t *in, size_t len, uint8_t *out,
	      uint8_t tag[GCM_VAES_TAG_LEN])
{
	(void)g, (void)nonce, (void)ad, (void)adlen, (void)in, (void)len, (void)out, (void)tag;
}

int
gcm_vaes_open(const struct gcm_vaes *g, const uint8_t nonce[GCM_VAES_NONCE_LEN], const uint8_t *ad,
	      size_t adlen, uint8_t *buf, size_t len, const uint8_t tag[GCM_VAES_TAG_LEN])
{
	(void)g, (void)nonce, (void)ad, (void)adlen, (void)buf, (void)len, (void)tag;
	return -1;
}

#endif
