/*
 * ctl: the control socket and `mptun show`.
 *
 * A unix stream socket; a client sends one request line ("show", "show json") and reads
 * the answer until the daemon closes. The answer is text, never a raw struct. Only root
 * and the daemon's own user may connect (SO_PEERCRED).
 */
#ifndef MPTUN_CTL_H
#define MPTUN_CTL_H

#include <ev.h>
#include <stdio.h>

#include "conf.h"

#define CTL_REQ_MAX 256
#define CTL_TIMEOUT 2.0

struct session;
struct ctl;

/* The socket path for conf: ControlSocket, or the default for its interface and netns. */
void ctl_path(const struct conf *c, char *out, size_t len);
/* Listen on path (replacing a stale socket). NULL (logged) on failure. */
struct ctl *ctl_open(struct ev_loop *loop, const char *path, struct session *s);
void ctl_close(struct ctl *ctl);
/* Write the state of s: JSON or the human table. */
void ctl_write_state(struct session *s, FILE *f, int json);
/* `mptun show`: connect to path, send req, copy the answer to out. Exit status. */
int ctl_request(const char *path, const char *req, FILE *out);

#endif
