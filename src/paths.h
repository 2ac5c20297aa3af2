/*
 * paths: the set of a peer's paths, and the one module that adds them and takes them away.
 *
 * On the dialing side: one path per [Path] of the configuration (paths_start), plus one per
 * usable interface for each template (Interface = *), discovered as interfaces come up
 * (paths_net_event, which also takes paths and connections down and up with their links and
 * addresses); a reload adds, removes and changes paths without touching the others
 * (paths_reload_prune, paths_reload_apply). On the listening side: a path per name the
 * peer's HELLOs bring (paths_accept_ops adopts each authenticated connection into its path).
 *
 * Nothing else writes the array; show, notify and the pipe's progress line read it.
 */
#ifndef MPTUN_PATHS_H
#define MPTUN_PATHS_H

#include "conf.h"
#include "conn.h"

#define PATHS_MAX (CONF_MAX_PATHS * 2) /* configured ones and those discovered */

struct session;
struct path;
struct nl_event;

struct paths {
	struct session *s;	 /* the session their connections serve */
	const struct conf *conf; /* the live configuration (a reload rewrites it in place) */
	struct path *path[PATHS_MAX];
	int n;
};

/* What a reload does to the paths between its two halves (see reload.h). */
struct paths_reload {
	struct path *kept[CONF_MAX_PATHS]; /* unchanged paths, by their index in the new file */
	int existed[CONF_MAX_PATHS];	   /* a path of that name was there before */
	struct path *found[PATHS_MAX];	   /* discovered paths whose template stays */
	int nfound;
	int nkept, nadded, nremoved, nchanged; /* [Path] sections, for the summary */
};

/* An empty set for the session s, whose conf is the live one. */
void paths_init(struct paths *ps, struct session *s);
/* Free every path and its connections (teardown: the session hears nothing). */
void paths_free(struct paths *ps);
/* Dialing side: a path for each [Path], dialing at once. -1 when out of memory. */
int paths_start(struct paths *ps);
/* The path named name, made (listening side) when new. NULL when the set is full. */
struct path *paths_find(struct paths *ps, const char *name);
/*
 * The owner of accepted connections from their handshake to their HELLO (listener_new's
 * next; the owner pointer is the struct paths): the HELLO names the path that adopts them.
 */
extern const struct conn_ops paths_accept_ops;
/* A link or address changed (the netlink monitor's callback; arg is the struct paths). */
void paths_net_event(void *arg, const struct nl_event *ev);
/*
 * A reload, first half, while ps->conf still holds the old settings: close and free the
 * paths that nc removes or changes, remember the others in r.
 */
void paths_reload_prune(struct paths *ps, const struct conf *nc, struct paths_reload *r);
/*
 * Second half, once ps->conf holds the new settings: the paths in the new file's order (kept
 * ones re-pointed at their new settings, new and changed ones made and started), then the
 * discovered ones; a new or changed template discovers the interfaces already up.
 */
void paths_reload_apply(struct paths *ps, struct paths_reload *r);

#endif
