/*
 * test_aegis: AEGIS-256X4 (src/aegis.c) against the published test vectors, and against a
 * second implementation written here lane by lane, block by block, straight from the
 * specification's pseudo-code (RFC 10032, AEGIS-256X with degree 4), over every length
 * 0-1100 and random ones up to 70 KiB, with associated data, apart and in place. Tampered
 * records (tag, body, associated data, nonce) are refused and the body zeroed. Skipped (77)
 * on a CPU without VAES and AVX-512.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>
#include <sodium.h>

#include "aegis.h"
#include "check.h"
#include "vaes.h"

#define D 4 /* lanes */

/* ---- the reference: one 16-byte block per lane, as the specification writes it ---- */

struct ref {
	__m128i v[6][D];
};

__attribute__((target("aes"))) static void
ref_update(struct ref *s, const uint8_t m[16 * D])
{
	for (int i = 0; i < D; i++) {
		__m128i t[6];

		for (int j = 0; j < 6; j++)
			t[j] = s->v[j][i];
		s->v[0][i] = _mm_aesenc_si128(
			t[5], _mm_xor_si128(t[0], _mm_loadu_si128((const __m128i *)(m + 16 * i))));
		for (int j = 1; j < 6; j++)
			s->v[j][i] = _mm_aesenc_si128(t[j - 1], t[j]);
	}
}

static __m128i
load(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)p);
}

__attribute__((target("aes"))) static void
ref_init(struct ref *s, const uint8_t key[32], const uint8_t nonce[32])
{
	static const uint8_t c0[16] = {0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
				       0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62};
	static const uint8_t c1[16] = {0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
				       0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd};
	uint8_t m[4][16 * D];
	__m128i k0 = load(key), k1 = load(key + 16), n0 = load(nonce), n1 = load(nonce + 16);

	for (int i = 0; i < D; i++) {
		s->v[0][i] = _mm_xor_si128(k0, n0);
		s->v[1][i] = _mm_xor_si128(k1, n1);
		s->v[2][i] = load(c1);
		s->v[3][i] = load(c0);
		s->v[4][i] = _mm_xor_si128(k0, load(c0));
		s->v[5][i] = _mm_xor_si128(k1, load(c1));
		_mm_storeu_si128((__m128i *)(m[0] + 16 * i), k0);
		_mm_storeu_si128((__m128i *)(m[1] + 16 * i), k1);
		_mm_storeu_si128((__m128i *)(m[2] + 16 * i), _mm_xor_si128(k0, n0));
		_mm_storeu_si128((__m128i *)(m[3] + 16 * i), _mm_xor_si128(k1, n1));
	}
	for (int r = 0; r < 4; r++)
		for (int k = 0; k < 4; k++) {
			for (int i = 0; i < D; i++) {
				/* ctx_i: the lane's index, then the degree minus one */
				__m128i ctx = _mm_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
							   D - 1, (char)i);

				s->v[3][i] = _mm_xor_si128(s->v[3][i], ctx);
				s->v[5][i] = _mm_xor_si128(s->v[5][i], ctx);
			}
			ref_update(s, m[k]);
		}
}

/* z for every lane: V1 ^ V4 ^ V5 ^ (V2 & V3) */
static void
ref_z(const struct ref *s, uint8_t z[16 * D])
{
	for (int i = 0; i < D; i++)
		_mm_storeu_si128(
			(__m128i *)(z + 16 * i),
			_mm_xor_si128(
				_mm_xor_si128(s->v[1][i], s->v[4][i]),
				_mm_xor_si128(s->v[5][i], _mm_and_si128(s->v[2][i], s->v[3][i]))));
}

static void
ref_seal(const uint8_t key[32], const uint8_t nonce[32], const uint8_t *ad, size_t adlen,
	 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	struct ref s;
	uint8_t blk[16 * D], z[16 * D], u[16 * D];
	__m128i t = _mm_setzero_si128();
	size_t off;

	ref_init(&s, key, nonce);
	for (off = 0; off < adlen; off += sizeof(blk)) {
		size_t n = adlen - off < sizeof(blk) ? adlen - off : sizeof(blk);

		memset(blk, 0, sizeof(blk));
		memcpy(blk, ad + off, n);
		ref_update(&s, blk);
	}
	for (off = 0; off < len; off += sizeof(blk)) {
		size_t n = len - off < sizeof(blk) ? len - off : sizeof(blk);

		memset(blk, 0, sizeof(blk));
		memcpy(blk, in + off, n);
		ref_z(&s, z);
		ref_update(&s, blk);
		for (size_t i = 0; i < n; i++)
			out[off + i] = blk[i] ^ z[i];
	}
	/* Finalize: u = LE64(ad bits) || LE64(message bits), xored into V3 of every lane */
	for (int i = 0; i < D; i++) {
		uint64_t b[2] = {(uint64_t)adlen * 8, (uint64_t)len * 8};

		_mm_storeu_si128((__m128i *)(u + 16 * i),
				 _mm_xor_si128(s.v[3][i], _mm_loadu_si128((const __m128i *)b)));
	}
	for (int r = 0; r < 7; r++)
		ref_update(&s, u);
	for (int i = 0; i < D; i++)
		for (int j = 0; j < 6; j++)
			t = _mm_xor_si128(t, s.v[j][i]);
	_mm_storeu_si128((__m128i *)tag, t);
}

/* ---- the tests ---- */

static size_t
unhex(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; s[0] != '\0' && s[1] != '\0'; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

/* Published vectors for AEGIS-256X4 (RFC 10032, appendix A). */
static void
test_vectors(void)
{
	static const struct {
		const char *ad, *msg, *ct, *tag;
	} tv[] = {
		{"", "", "", "3b7fee6cee7bf17888ad11ed2397beb4"},
		{"0102030401020304",
		 "04050607040506070405060704050607040506070405060704050607040506070405060704050607"
		 "04050607040506070405060704050607040506070405060704050607040506070405060704050607"
		 "04050607040506070405060704050607040506070405060704050607040506070405060704050607",
		 "bfc2085b7e8017da99b0b6d646ae4d01f4ba8f2e7dfca1d759ae48a135139b9aaac6b4f5db810d42"
		 "6be1fdaff4e1454153a34b11da78ed7e418ee2ee9853042e95536aecbb694cea1b16a478eb0d4d1b"
		 "f6509b1ce652a45af58e0e46ffccfa2d0426e702391d2ff5813808b81748a490dd656465fed61f09",
		 "b63b611b13975e2f3dc3cb6c2397bfcd"},
	};
	uint8_t key[32], nonce[32], ad[64], msg[256], ct[256], want[256], tag[16], wtag[16];

	unhex(key, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	unhex(nonce, "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f");
	for (size_t i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		size_t adlen = unhex(ad, tv[i].ad), len = unhex(msg, tv[i].msg);

		CHECK(unhex(want, tv[i].ct) == len);
		unhex(wtag, tv[i].tag);
		aegis_seal(key, nonce, ad, adlen, msg, len, ct, tag);
		CHECK(memcmp(ct, want, len) == 0);
		CHECK(memcmp(tag, wtag, 16) == 0);
		ref_seal(key, nonce, ad, adlen, msg, len, ct, tag);
		CHECK(memcmp(ct, want, len) == 0);
		CHECK(memcmp(tag, wtag, 16) == 0);
		CHECK(aegis_open(key, nonce, ad, adlen, want, len, wtag) == 0);
		CHECK(memcmp(want, msg, len) == 0);
	}
}

static void
test_random(void)
{
	enum { MAX = 70 * 1024 };
	uint8_t *in = malloc(MAX + 64), *a = malloc(MAX + 64), *b = malloc(MAX + 64);
	uint8_t key[32], nonce[32], ad[200], tag[16], rtag[16];

	if (in == NULL || a == NULL || b == NULL) {
		CHECK(!"out of memory");
		goto out;
	}
	for (int n = 0; n < 3000; n++) {
		size_t len = n <= 1100 ? (size_t)n : randombytes_uniform(MAX);
		size_t adlen = randombytes_uniform(sizeof(ad) + 1), shift = n % 7;
		int place = n % 2;

		randombytes_buf(key, sizeof(key));
		randombytes_buf(nonce, sizeof(nonce));
		randombytes_buf(ad, adlen);
		randombytes_buf(in + shift, len);
		ref_seal(key, nonce, ad, adlen, in + shift, len, b, rtag);
		if (place) {
			memcpy(a + shift, in + shift, len);
			aegis_seal(key, nonce, ad, adlen, a + shift, len, a + shift, tag);
		} else
			aegis_seal(key, nonce, ad, adlen, in + shift, len, a + shift, tag);
		CHECK(memcmp(a + shift, b, len) == 0);
		CHECK(memcmp(tag, rtag, 16) == 0);
		CHECK(aegis_open(key, nonce, ad, adlen, a + shift, len, tag) == 0);
		CHECK(memcmp(a + shift, in + shift, len) == 0);
		/* one flipped bit anywhere: refused, and the body zeroed */
		memcpy(a, b, len);
		switch (n % 4) {
		case 0:
			tag[randombytes_uniform(16)] ^= 1u << randombytes_uniform(8);
			break;
		case 1:
			if (len > 0) {
				a[randombytes_uniform((uint32_t)len)] ^= 1u
									 << randombytes_uniform(8);
				break;
			}
			/* FALLTHROUGH */
		case 2:
			if (adlen > 0) {
				ad[randombytes_uniform((uint32_t)adlen)] ^= 1;
				break;
			}
			/* FALLTHROUGH */
		default:
			nonce[randombytes_uniform(32)] ^= 0x80;
		}
		CHECK(aegis_open(key, nonce, ad, adlen, a, len, tag) == -1);
		for (size_t i = 0; i < len; i++)
			if (a[i] != 0) {
				CHECK(!"rejected body not zeroed");
				break;
			}
	}
out:
	free(in);
	free(a);
	free(b);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	if (!vaes_usable()) {
		printf("test_aegis: no VAES and AVX-512 on this CPU, skipped\n");
		return 77;
	}
	test_vectors();
	test_random();
	if (failures == 0)
		printf("test_aegis: all passed\n");
	return CHECK_RESULT();
}
