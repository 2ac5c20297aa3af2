/*
 * link: one emulated link, a pair of ports (side A, side B) and a direction each way.
 *
 * A frame received on side A's port goes through direction "ab" (impairments, queue,
 * delay) and out of side B's port; "ba" is the reverse. The link owns the read watchers
 * of its ports, its counters, its scheduled windows (blackhole or carrier-down, one-shot
 * or periodic) and the TCP reset injection. Timers: one, sched_w, for the windows.
 */
#ifndef SYNNET_LINK_H
#define SYNNET_LINK_H

#include <ev.h>
#include <stdint.h>
#include <stdio.h>

#include "imp.h"
#include "port.h"
#include "rst.h"

enum {
	LINK_AB,
	LINK_BA,
	LINK_NDIR,
};
enum {
	LINK_SIDE_A,
	LINK_SIDE_B,
	LINK_NSIDE,
};

enum link_window {
	LINK_WIN_NONE,
	LINK_WIN_BLACKHOLE,
	LINK_WIN_DOWN,
};

struct dir_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drop_loss;
	uint64_t drop_queue;
	uint64_t drop_blackhole;
	uint64_t drop_down;
	uint64_t drop_nobuf;
	uint64_t drop_error;
	uint64_t duplicated;
	uint64_t corrupted;
	uint64_t rst_sent;
	uint64_t loss_bursts; /* runs of consecutive random losses */
};

struct link;

struct dir {
	struct link *link;
	int idx; /* LINK_AB or LINK_BA */
	struct imp_params p;
	struct imp_state s;
	uint64_t seed;
	int seed_set; /* seed given for this direction, not derived from the global one */
	int last_lost;
	int rst_armed;
	uint64_t in_flight;
	struct dir_stats st;
};

struct link {
	struct emu *emu;
	int id;
	struct port port[LINK_NSIDE];
	ev_io rx_w[LINK_NSIDE];
	struct dir dir[LINK_NDIR];
	int down[LINK_NSIDE]; /* interface set down by carrier or a window */
	int win_blackhole;    /* inside a blackhole window */
	enum link_window win; /* scheduled window kind */
	uint64_t win_dur_ns;
	uint64_t win_period_ns; /* 0: one-shot */
	int in_window;
	uint64_t windows; /* windows opened */
	uint64_t flaps;	  /* carrier changes made */
	ev_timer sched_w;
	uint16_t rst_port; /* port to match for reset injection; 0: any */
	int rst_locked;	   /* one way is reset: the other way waits for the same flow */
	struct rst_seg rst_flow;
};

/* Open the ports on interfaces a and b and start reading; NULL with a message in err. */
struct link *link_new(struct emu *e, int id, const char *a, const char *b, char *err,
		      size_t errlen);
/* Stop, restore carrier, close; link_free(NULL) is a no-op. */
void link_free(struct link *l);
/* port_flush callback: count p as sent (err 0) or dropped, and free it. */
void link_sent(struct pkt *p, int err, void *arg);
/* Drop a frame that cannot be sent because its port is down. */
void link_drop_down(struct pkt *p);
/* Restart direction dir's stream from seed (explicit 1) or from the global seed. */
void link_seed(struct link *l, int dir, uint64_t seed, int explicit_seed);
/* Take the carrier of side (or both sides, side -1) down or up now; -1 on failure. */
int link_carrier(struct link *l, int side, int up);
/*
 * Open a window of kind for dur after a delay of after, again every period (0: once);
 * LINK_WIN_NONE cancels (closing an open window).
 */
void link_schedule(struct link *l, enum link_window kind, uint64_t dur, uint64_t period,
		   uint64_t after);
/*
 * Reset the next established TCP flow on port (0: any): the first matching segment either
 * way picks the flow, and each way gets its RST behind the next segment of that flow;
 * port -1 disarms.
 */
void link_rst(struct link *l, int port);
/* Zero the counters. */
void link_zero(struct link *l);
/* The counters as one JSON object on one line. */
void link_json(const struct link *l, FILE *out);
/* The commands that recreate this link's settings, one per line. */
void link_show(const struct link *l, FILE *out);

#endif
