/*
 * ctl: the control socket and `mptun show`.
 *
 * A unix stream socket; a client sends one request line and reads the answer until the
 * daemon closes. Requests (parsed in ctl_req.h): "show" (stable columns), "show table" (for
 * a terminal), "show json", "show prometheus" (see show.h), "reload" (answers "reloaded:
 * ..." or "error: ..."); any other line is answered "error: unknown request". The answer is
 * text, never a raw struct. Only root and the daemon's own user may connect (SO_PEERCRED);
 * after a privilege drop the socket belongs to that user.
 */
#ifndef MPTUN_CTL_H
#define MPTUN_CTL_H

#include <ev.h>
#include <stdio.h>

#include "conf.h"

#define CTL_TIMEOUT    2.0
#define CTL_RATE_EVERY 1.0 /* seconds between rate samples */

struct peers;
struct ctl;

/*
 * The socket path for conf: ControlSocket, or the default for its interface in the
 * caller's network namespace, /run/mptun/NAME.INODE.sock (INODE: /proc/self/ns/net's).
 */
void ctl_path(const struct conf *c, char *out, size_t len);
/*
 * May a daemon take path? 0 when nothing is there or a stale socket was (now removed); -1,
 * logged, when another live process answers on it (another mptun: it is left alone) or
 * path is not a socket. Called before the daemon sets anything up, so a second daemon
 * fails with that message rather than on a busy device or port.
 */
int ctl_claim(const char *path);
/* Listen on path (replacing a stale socket, never a live one). NULL (logged) on failure. */
struct ctl *ctl_open(struct ev_loop *loop, const char *path, const struct peers *set);
void ctl_close(struct ctl *ctl);
/* Answer "reload" requests with fn (0 applied, -1 refused; msg: text for the client). */
void ctl_on_reload(struct ctl *ctl, int (*fn)(void *arg, char *msg, size_t len), void *arg);
/* Write the state of the peers: JSON or the stable text. */
void ctl_write_state(const struct peers *set, FILE *f, int json);
/* Connect to path, send req, copy the answer to out. Exit status. */
int ctl_request(const char *path, const char *req, FILE *out);
/* The `mptun show` and `mptun reload` commands (argv[0] is the command). Exit status. */
int ctl_cmd_show(int argc, char **argv);
int ctl_cmd_reload(int argc, char **argv);

#endif
