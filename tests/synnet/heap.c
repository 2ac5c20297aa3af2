/*
 * heap: binary min-heap of frames by (departure, admission order) (see heap.h).
 */
#include "config.h"

#include <stdlib.h>

#include "heap.h"

static int
before(const struct pkt *x, const struct pkt *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

int
heap_init(struct heap *h, size_t cap)
{
	h->a = calloc(cap ? cap : 1, sizeof(*h->a));
	h->n = 0;
	h->cap = cap;
	return h->a == NULL ? -1 : 0;
}

void
heap_free(struct heap *h)
{
	free(h->a);
	h->a = NULL;
	h->n = h->cap = 0;
}

static void
sift_up(struct heap *h, size_t i)
{
	struct pkt *p = h->a[i];

	while (i > 0 && before(p, h->a[(i - 1) / 2])) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = p;
}

static void
sift_down(struct heap *h, size_t i)
{
	struct pkt *p = h->a[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->a[c + 1], h->a[c]))
			c++;
		if (!before(h->a[c], p))
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	h->a[i] = p;
}

void
heap_push(struct heap *h, struct pkt *p)
{
	h->a[h->n] = p;
	sift_up(h, h->n++);
}

struct pkt *
heap_top(const struct heap *h)
{
	return h->n ? h->a[0] : NULL;
}

struct pkt *
heap_pop(struct heap *h)
{
	struct pkt *p;

	if (h->n == 0)
		return NULL;
	p = h->a[0];
	if (--h->n > 0) {
		h->a[0] = h->a[h->n];
		sift_down(h, 0);
	}
	return p;
}

void
heap_filter(struct heap *h, int (*drop)(struct pkt *p, void *arg), void *arg)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		if (!drop(h->a[i], arg))
			h->a[n++] = h->a[i];
	h->n = n;
	/* rebuild bottom-up */
	for (i = n / 2; i-- > 0;)
		sift_down(h, i);
}
