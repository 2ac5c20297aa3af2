/*
 * backlog: which unassigned frame of the sender's window each connection takes.
 *
 * The session reads payloads into its window (sendq) before any connection carries them;
 * the frames no connection carries yet are the backlog. backlog_pump hands them out: each
 * connection that sched_depth lets take something takes the unassigned frame that many
 * bytes of unassigned frames deep, until no connection takes anything more. The caller's
 * take() does the sending and keeps the candidates current. Pure: no sockets, no clock
 * (the time is passed in), so the daemon and the simulation (tests/sim) run the same code.
 */
#ifndef MPTUN_BACKLOG_H
#define MPTUN_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sched.h"
#include "sendq.h"

#define BACKLOG_NONE UINT64_MAX
#define BACKLOG_MAX_CONNS 128 /* connections a pump weighs (SESSION_MAX_CONNS) */

struct backlog_pump {
	enum conf_sched policy;
	struct sched_cand *const *cands;
	int n;
	size_t len;      /* the largest frame: what sched_depth is asked about */
	uint64_t now;    /* ns, the clock of sendq_meta.sent */
	/* an unassigned frame older than this is given up (UINT64_MAX: never) */
	uint64_t age_fresh, age_retx;
	/* above the highest fresh seq connection i carried: it updates it (backlog_mark) */
	uint64_t *(*seq_hi)(void *arg, int i);
	/*
	 * Connection i takes frame seq (marked already: fr[1] has FRAME_F_RETX for a re-send
	 * or a frame out of i's order; resent says whether it was a re-send before). It sets
	 * m->conn_id and sends; cands[i] must be current on return.
	 */
	void (*take)(void *arg, int i, uint64_t seq, uint8_t *fr, struct sendq_meta *m,
		     int resent);
	void *arg;
};

/*
 * Hand the unassigned frames of q (*bytes of them, none below *resend) to the connections
 * that can take them, each at its depth; frames met on the way that are too old are given
 * up (conn_id UINT32_MAX). Keeps *bytes, and *resend at the oldest unassigned frame
 * (BACKLOG_NONE: none). Returns how many frames were given up.
 */
uint64_t backlog_pump(struct sendq *q, uint64_t *resend, uint64_t *bytes,
		      const struct backlog_pump *p);

#endif
