/*
 * path: one route to the peer — a local binding, a via-chain and N connections.
 *
 * On the dialing side a path keeps its connections open: a connection that fails or dies
 * is dialed again after an exponential backoff with jitter (timer owned here), forever.
 * A dial to a name waits for the resolver in the slot's connection (state "resolving",
 * conn.h); a name that does not resolve is a failure like any other, backoff and all.
 * On the listening side a path only groups the connections that the peer's path of the
 * same name opened, for statistics.
 */
#ifndef MPTUN_PATH_H
#define MPTUN_PATH_H

#include <ev.h>
#include <stdint.h>

#include "conf.h"

#define PATH_BACKOFF_MIN 0.1 /* seconds */
#define PATH_BACKOFF_MAX 10.0
#define PATH_ERR_MAX 160

struct session;
struct conn;

struct path_slot {
	struct conn *conn; /* NULL while waiting to dial again */
	ev_timer retry;
	double backoff;
	unsigned pick; /* which of its first hop's addresses the next dial tries */
	struct path *path;
	int idx;
};

struct path {
	char name[CONF_NAME_MAX];
	char tag[2 * CONF_NAME_MAX]; /* in log lines: "PEER/NAME" when the session has a name */
	int index;
	const struct conf_path *cp; /* NULL on the listening side */
	struct session *s;
	struct path_slot slots[CONF_MAX_CONNS];
	int nslots;
	/* totals of connections that have closed; live ones are added when reporting */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint64_t failures;
	ev_tstamp up_since; /* 0 while down */
	char last_error[PATH_ERR_MAX];
	int link_down; /* its interface or source address is gone: no dialing until back */
	struct conf_path *own_cp; /* a discovered path's own settings (cp points here) */
	/* the control socket's last rate sample (show.h), bytes per second */
	struct {
		uint64_t tx_total, rx_total; /* the counters at the sample */
		double tx, rx;
		int sampled; /* totals are from a sample: the next one gives a rate */
	} rate;
};

/* Create a path. cp NULL: a listening-side path. Dialing starts with path_start. */
struct path *path_new(struct session *s, int index, const char *name, const struct conf_path *cp);
void path_free(struct path *p);
void path_start(struct path *p);
/* Close its connections now (the session re-sends their frames elsewhere); stop dialing. */
void path_close(struct path *p, const char *reason);
/* Is this a template (Interface = *) that only spawns discovered paths? */
int path_is_template(const struct path *p);
/* Connections that are established. */
int path_up_count(const struct path *p);
const char *path_state(const struct path *p);
/*
 * The path's interface or source address went away (up 0) or came back (up 1). Down: its
 * connections close now and nothing is dialed; up: dial every slot now, backoff reset.
 */
void path_link(struct path *p, int up, const char *reason);
/* Attach a listening-side connection: the path owns it from now on. -1 when the path is full. */
int path_attach(struct path *p, struct conn *c);

#endif
