/*
 * hooks: the user's shell commands for interface and path events, in the spirit of
 * wg-quick and OpenVPN scripts: PostUp, PreDown, PostDown, OnPathUp, OnPathDown.
 *
 * A hook runs as `/bin/sh -c COMMAND` in a child process of its own process group, stdin
 * from /dev/null, stdout and stderr shared with the daemon (so its output lands in the same
 * log), with the daemon's credentials at that moment (after the privilege drop: the User
 * and the capabilities the daemon kept, see privs.h). The event is described in the
 * environment:
 *
 *   MPTUN_EVENT      post-up, pre-down, post-down, path-up or path-down
 *   MPTUN_INTERFACE  the tun device (Name)
 *   MPTUN_PATH       path events: the path's Name
 *   MPTUN_LOCAL      path events: the path's local binding (Interface, Source, or both
 *                    separated by a space; empty when unbound or on the listening side)
 *   MPTUN_REMOTE     path events: the peer endpoint the path dials (host:port); on the
 *                    listening side, the address of a connection of the path, if any
 *   MPTUN_REASON     path-up: the address the first connection reached; path-down: why
 *
 * In operation the daemon never waits for a hook: children are reaped by an ev_child
 * watcher, and one still running after HOOKS_TIMEOUT is killed with its process group.
 * Hooks may run concurrently, and in any order; at most HOOKS_MAX at once (an event
 * beyond that is logged and its hook skipped, so a storm of path flaps cannot fork without
 * bound). Only the shutdown hooks (PreDown, PostDown) are waited for, since the daemon
 * has nothing else left to do; that wait is bounded by HOOKS_TIMEOUT too.
 */
#ifndef MPTUN_HOOKS_H
#define MPTUN_HOOKS_H

#include <ev.h>

#include "conf.h"

#define HOOKS_TIMEOUT 10.0 /* seconds a hook may run before it is killed */
#define HOOKS_MAX     16   /* hooks running at once */

struct path;

/* Run OnPathUp (event "up") or OnPathDown ("down") for p, if configured. Never blocks. */
void hooks_path(const struct path *p, const char *event, const char *reason);
/* Run PostUp in the background (loop must be the default loop: ev_child). */
void hooks_post_up(struct ev_loop *loop, const struct conf *c);
/* Run PreDown or PostDown (event "pre-down", "post-down") and wait for it, bounded. */
void hooks_down(const struct conf *c, const char *event);
/* Wait for the hooks still running (bounded by their timeouts), then forget them. */
void hooks_finish(void);

#endif
