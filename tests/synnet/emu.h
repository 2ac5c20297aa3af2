/*
 * emu: the emulator as a whole: the frame pool, the delay heap and its timer, the links.
 *
 * Frames enter through a link (link.c), get their fate and departure time there and are
 * pushed here; emu_run sends every frame that is due, in batches per port, and arms a
 * timerfd (nanosecond resolution, unlike the millisecond poll timeout of the event loop)
 * for the next one. One libev loop drives everything; nothing here blocks.
 */
#ifndef SYNNET_EMU_H
#define SYNNET_EMU_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "pkt.h"
#include "port.h"

/* Links one process serves. */
#define EMU_MAX_LINKS 64
/* Link numbers are 1..EMU_MAX_LINK_ID. */
#define EMU_MAX_LINK_ID 65535
/* Default frame pool: 32 MB, 100 ms of 1 Gbit/s in flight with room to spare. */
#define EMU_DEFAULT_PKTS 16384

struct link;

struct emu {
	struct ev_loop *loop;
	struct pool pool;
	struct heap heap;
	int tfd; /* timerfd for the heap's earliest departure */
	ev_io timer_w;
	uint64_t armed; /* departure the timerfd is set for; 0: disarmed */
	uint64_t seed;
	uint64_t seq;	    /* admission counter */
	const char *config; /* file re-read by "reload", or NULL */
	struct link *links[EMU_MAX_LINKS];
	int nlinks;
	struct pkt scratch[PORT_BATCH]; /* receive target when the pool is empty */
};

/* Set up with a pool of npkt frames; -1 on failure (logged). */
int emu_init(struct emu *e, struct ev_loop *loop, size_t npkt, uint64_t seed);
/* Delete every link and free everything. */
void emu_free(struct emu *e);
/* Monotonic time in nanoseconds. */
uint64_t emu_now(void);
/* Hold p (p->t, p->dir set) until its departure. */
void emu_push(struct emu *e, struct pkt *p);
/* Send every frame that is due, flush the ports and arm the timer for the next one. */
void emu_run(struct emu *e);
/* The link with number id, or NULL. */
struct link *emu_link(struct emu *e, int id);
/* Bridge interfaces a and b as link id; -1 with a message in err. */
int emu_link_add(struct emu *e, int id, const char *a, const char *b, char *err, size_t errlen);
/* Delete a link, dropping its frames still in the delay heap. */
void emu_link_del(struct emu *e, struct link *l);
/* Set the global seed and restart every direction's stream from it. */
void emu_reseed(struct emu *e, uint64_t seed);

#endif
