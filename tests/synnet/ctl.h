/*
 * ctl: the control socket of synnet (a unix stream socket) and its command-line client.
 *
 * Protocol: the client sends command lines (see cmd.h); for each, the server writes the
 * command's output, if any, then one status line: "ok" or "error: MESSAGE". Several
 * commands may share a connection; the server closes after the client's EOF once all
 * replies are written. A raw C struct never crosses the socket: it is all text.
 */
#ifndef SYNNET_CTL_H
#define SYNNET_CTL_H

#include <ev.h>

#include "emu.h"

/* Clients served at once. */
#define CTL_MAX_CLIENTS 16
/* Longest reply kept waiting for a slow client. */
#define CTL_OUT_MAX (16 * 1024 * 1024)

struct ctl {
	struct emu *emu;
	int fd;
	ev_io w;
	int nclients;
	char path[108];
};

/* Listen on path (replacing a stale socket); -1 on failure (logged). */
int ctl_listen(struct ctl *c, struct emu *e, const char *path);
/* Stop listening and remove the socket; open client connections are left to exit. */
void ctl_close(struct ctl *c);
/*
 * "synnet ctl SOCKET WORDS...": send the words as one command, print the reply but its
 * status line; exit status 0 for "ok", 1 for an error reply, 2 if the socket fails.
 */
int ctl_client(int argc, char **argv);

#endif
