/*
 * reload: apply the configuration file again to a running daemon (SIGHUP, `mptun reload`).
 *
 * What a reload changes: the [Path] sections (matched by Name: added, removed, or changed,
 * each without touching the other paths or the session), the [Peer] Endpoint they default
 * to, the hook commands, Scheduler and the timing tunables; on the listening side the
 * [Peer] sections (matched by PublicKey: added, removed, or changed, each without touching
 * the other peers; a new Name or AllowedIPs keeps the peer's session, a new PresharedKey
 * ends it). Everything else (Name, Mode,
 * Address, MTU, Listen, keys, Cipher, User, ControlSocket, UDP settings) is fixed for the
 * life of the process: a changed value is reported and keeps its old value until a
 * restart. A file that does not parse is refused whole and the running setup stays.
 * Paths discovered from a template (Interface = *) stay while their template stays the
 * same; a new or changed template discovers the interfaces that are up at once.
 *
 * Pointers. The session (s->conf), the set of paths (paths.h) and each dialing path (p->cp)
 * point into the daemon's one live struct conf, which never moves. A reload parses into a
 * scratch struct; only once it parsed are paths that are gone or changed closed
 * (paths_reload_prune; path_close: the session re-sends their unacknowledged frames on the
 * others) and freed; then the live struct is rewritten in place, the kept paths are
 * pointed at their slot of the rewritten paths[] (same settings, possibly another index),
 * and changed and new paths are made from theirs and started (paths_reload_apply).
 * All of it runs inside one loop callback, so nothing ever sees a stale pointer.
 */
#ifndef MPTUN_RELOAD_H
#define MPTUN_RELOAD_H

#include <stddef.h>

#include "conf.h"

#define RELOAD_MSG_MAX 2048

struct peers;

/*
 * Re-read live->file and apply it to the peers set, whose conf is live. Everything is
 * logged; msg gets a summary for the control socket client. 0 when applied, -1 when
 * refused.
 */
int reload_apply(struct peers *set, struct conf *live, char *msg, size_t len);

#endif
