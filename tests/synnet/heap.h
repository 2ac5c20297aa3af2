/*
 * heap: the delay line, a binary min-heap of frames ordered by departure time, then by
 * admission order (so frames due at the same instant leave first-in first-out).
 *
 * Its capacity equals the frame pool's, so a push never fails.
 */
#ifndef SYNNET_HEAP_H
#define SYNNET_HEAP_H

#include <stddef.h>

#include "pkt.h"

struct heap {
	struct pkt **a;
	size_t n;
	size_t cap;
};

/* Room for cap frames; -1 on ENOMEM. */
int heap_init(struct heap *h, size_t cap);
void heap_free(struct heap *h);
/* Insert p (keyed by p->t, p->seq); the caller guarantees room. */
void heap_push(struct heap *h, struct pkt *p);
/* The earliest frame, or NULL. */
struct pkt *heap_top(const struct heap *h);
/* Remove and return the earliest frame, or NULL. */
struct pkt *heap_pop(struct heap *h);
/* Remove every frame for which drop(p, arg) is true, handing each to drop's side effects. */
void heap_filter(struct heap *h, int (*drop)(struct pkt *p, void *arg), void *arg);

#endif
