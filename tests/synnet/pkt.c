/*
 * pkt: the frame buffer pool (see pkt.h).
 */
#include "config.h"

#include <stdlib.h>

#include "pkt.h"

int
pool_init(struct pool *pl, size_t n)
{
	size_t i;

	/* calloc of this size maps fresh zero pages: untouched buffers cost no memory */
	pl->mem = calloc(n, sizeof(*pl->mem));
	pl->free = calloc(n, sizeof(*pl->free));
	if (pl->mem == NULL || pl->free == NULL) {
		pool_free(pl);
		return -1;
	}
	/* the lowest buffers on top, so a light load keeps reusing the same few */
	for (i = 0; i < n; i++)
		pl->free[i] = &pl->mem[n - 1 - i];
	pl->n = n;
	pl->nfree = n;
	return 0;
}

void
pool_free(struct pool *pl)
{
	free(pl->mem);
	free(pl->free);
	pl->mem = NULL;
	pl->free = NULL;
	pl->n = pl->nfree = 0;
}

struct pkt *
pool_get(struct pool *pl)
{
	if (pl->nfree == 0)
		return NULL;
	return pl->free[--pl->nfree];
}

void
pool_put(struct pool *pl, struct pkt *p)
{
	pl->free[pl->nfree++] = p;
}
