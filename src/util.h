/*
 * util: the two small helpers every module would otherwise write again.
 */
#ifndef MPTUN_UTIL_H
#define MPTUN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The struct that embeds member p (libev watchers live inside their owners). */
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* The smallest power of two >= n (ring sizes, so seq % size is a mask). */
static inline uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

#define CACHE_LINE 64

/* n rounded up to whole cache lines: where the byte rings (sendq, reorder) place frames. */
static inline size_t
cache_align(size_t n)
{
	return (n + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

#endif
