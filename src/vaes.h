/*
 * vaes: what the record ciphers on vector AES share (gcm_vaes.c, aegis.c): the CPU check
 * and, for their x86-64 code, the target attribute and a byte mask for partial vectors.
 *
 * Call vaes_usable() before any function marked VAES_TARGET: they execute VAES,
 * VPCLMULQDQ and AVX-512 (F, BW, VL) instructions.
 */
#ifndef MPTUN_VAES_H
#define MPTUN_VAES_H

#include <stddef.h>

/* 1 when this CPU (and its OS) can run the vector AES code, 0 otherwise. */
int vaes_usable(void);

#if defined(__x86_64__) && defined(__GNUC__)
#define VAES_X86 1

#include <immintrin.h>

#define VAES_TARGET                                                                                \
	__attribute__((target("aes,pclmul,sse4.1,avx2,avx512f,avx512bw,avx512vl,vaes,"             \
			      "vpclmulqdq")))

/* The first n bytes of a 64-byte vector (all of them from 64 on). */
static inline __mmask64
vaes_mask(size_t n)
{
	return n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
}
#endif

#endif
