/*
 * listener: the listening side's sockets (Listen = ...).
 *
 * Accepts connections and bounds the ones still in their handshake: at most
 * LISTENER_HALF_OPEN_MAX at once (the oldest is dropped for a newcomer, so a flood cannot
 * lock a legitimate peer out), each for at most CONN_PHASE_TIMEOUT.
 */
#ifndef MPTUN_LISTENER_H
#define MPTUN_LISTENER_H

#include <ev.h>

#include "conf.h"

#define LISTENER_HALF_OPEN_MAX 64
#define LISTENER_ACCEPT_BUDGET 32

struct session;
struct conn;

struct listener {
	ev_io io;
	int fd;
	struct session *s;
	struct conn *half; /* half-open connections, newest first */
	int nhalf;
	char label[CONF_HOST_MAX + 8];
};

/* Bind and listen on hp. NULL (logged) on failure. */
struct listener *listener_new(struct session *s, const struct conf_hostport *hp);
void listener_free(struct listener *l);
/* A half-open connection finished its handshake or died: forget it. */
void listener_forget(struct listener *l, struct conn *c);

#endif
