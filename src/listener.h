/*
 * listener: the listening side's sockets (Listen = ...).
 *
 * Accepts connections and bounds the ones still in their handshake: at most
 * LISTENER_HALF_OPEN_MAX at once (the oldest is dropped for a newcomer, so a flood cannot
 * lock a legitimate peer out), each for at most CONN_PHASE_TIMEOUT. Handshakes that fail
 * are closed without a word to the peer, and logged here for the operator, rate-limited.
 */
#ifndef MPTUN_LISTENER_H
#define MPTUN_LISTENER_H

#include <ev.h>

#include "conf.h"

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

struct session;
struct conn;

struct listener {
	ev_io io;
	int fd;
	struct session *s;
	struct conn *half; /* half-open connections, newest first */
	int nhalf;
	char label[CONF_HOST_MAX + 8];
	struct listener_note notes[LISTENER_NOTES];
	unsigned long quiet; /* failures not logged while every note was recent */
};

/* Bind and listen on hp. NULL (logged) on failure. */
struct listener *listener_new(struct session *s, const struct conf_hostport *hp);
void listener_free(struct listener *l);
/* A half-open connection finished its handshake or died: forget it. */
void listener_forget(struct listener *l, struct conn *c);
/*
 * A handshake from peer ("addr:port") failed with err (crypto.h). Logged at the default
 * level, at most once per source address per LISTENER_NOTE_EVERY seconds, with the count of
 * failures left unlogged; the peer itself is told nothing.
 */
void listener_hs_failed(struct listener *l, const char *peer, int err);

#endif
