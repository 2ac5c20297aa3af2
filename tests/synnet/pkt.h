/*
 * pkt: preallocated frame buffers for the emulator.
 *
 * All buffers are allocated once at start-up; a frame is received straight into one and
 * stays in it until it is sent or dropped, so nothing allocates per packet. The free
 * buffers sit on a stack of pointers, so memory of buffers never used is never touched.
 */
#ifndef SYNNET_PKT_H
#define SYNNET_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame carried: Ethernet + an IP MTU of 1500 fits with room to spare. */
#define PKT_DATA_MAX 2048

struct dir;

struct pkt {
	uint64_t t;	 /* departure time (ns, monotonic) while in the delay heap */
	uint64_t seq;	 /* admission order: equal departure times leave in this order */
	struct dir *dir; /* the link direction carrying it */
	uint32_t len;
	uint8_t data[PKT_DATA_MAX];
};

struct pool {
	struct pkt *mem;
	struct pkt **free; /* stack of free buffers */
	size_t n;
	size_t nfree;
};

/* Allocate n buffers; -1 on ENOMEM. */
int pool_init(struct pool *pl, size_t n);
void pool_free(struct pool *pl);
/* A free buffer, or NULL when all are in use. */
struct pkt *pool_get(struct pool *pl);
void pool_put(struct pool *pl, struct pkt *p);

#endif
