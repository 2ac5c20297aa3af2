/*
 * listener: the listening side's sockets (Listen = ...).
 *
 * Accepts connections and bounds the ones still in their handshake: at most
 * LISTENER_HALF_OPEN_MAX at once (the oldest is dropped for a newcomer, so a flood cannot
 * lock a legitimate peer out), each for at most CONN_PHASE_TIMEOUT. Handshakes that fail
 * are closed without a word to the peer, and logged here for the operator, rate-limited.
 *
 * The listener owns a connection only during its handshake; an authenticated one goes to
 * the owner named at listener_new (its conn_ops: adopt, drop, closed), which hands it to
 * the path its HELLO names. The listener reports its own drops (CONN_DROP_HALFOPEN) there too.
 */
#ifndef MPTUN_LISTENER_H
#define MPTUN_LISTENER_H

#include <ev.h>

#include "conf.h"
#include "conn.h"

#define LISTENER_HALF_OPEN_MAX 64
#define LISTENER_ACCEPT_BUDGET 32
#define LISTENER_NOTE_EVERY    10.0 /* seconds: one failed-handshake line per address */
#define LISTENER_NOTES	       16   /* addresses remembered for that */

/* The last failed-handshake line logged for one source address. */
struct listener_note {
	char addr[CONF_HOST_MAX]; /* without the port; empty: unused */
	ev_tstamp at;		  /* when logged */
	unsigned long quiet;	  /* failures from addr since, not logged */
};

struct listener {
	ev_io io;
	int fd;
	struct conn_env env;		 /* for the connections it accepts */
	const struct conn_ops *next_ops; /* who takes them once authenticated */
	void *next;
	struct conn *half; /* half-open connections, newest first */
	int nhalf;
	char label[CONF_HOST_MAX + 8];
	struct listener_note notes[LISTENER_NOTES];
	unsigned long quiet; /* failures not logged while every note was recent */
};

/*
 * Bind and listen on hp; the connections accepted read env, and go to next_ops/next once
 * authenticated. NULL (logged) on failure.
 */
struct listener *listener_new(const struct conn_env *env, const struct conf_hostport *hp,
			      const struct conn_ops *next_ops, void *next);
void listener_free(struct listener *l);

#endif
