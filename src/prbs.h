/*
 * prbs: a deterministic pseudo-random byte stream for testing transfers end to end.
 *
 * Byte i of the stream for seed S is byte (i mod 8) of the 64-bit word W(S, i / 8),
 * least significant byte first, where W is the splitmix64 finaliser of S * PRBS_MUL_SEED
 * plus the word index: any offset can be produced or checked without the bytes before it,
 * so a receiver verifies chunks as they come, whatever their sizes. Not cryptographic;
 * the point is that a dropped, repeated, reordered or altered byte shows at its offset.
 * Pure.
 */
#ifndef MPTUN_PRBS_H
#define MPTUN_PRBS_H

#include <stddef.h>
#include <stdint.h>

#define PRBS_MUL_SEED 0x9e3779b97f4a7c15ULL

/* Write the len bytes of the stream that start at offset off. */
void prbs_fill(uint64_t seed, uint64_t off, uint8_t *p, size_t len);
/* Check len bytes that should be the stream from offset off: -1 when they are, else the
 * index in p of the first byte that differs. */
long prbs_check(uint64_t seed, uint64_t off, const uint8_t *p, size_t len);

#endif
