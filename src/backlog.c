/*
 * backlog: the frame each connection takes (see backlog.h).
 *
 * A connection's fresh frames go out in seq order: the peer takes a connection's highest
 * seq for a sign that it carries nothing below it any more (session.c, gap_check). Only the
 * oldest frame may go out of that order, marked as a re-send, rather than wait for another
 * connection.
 */
#include "config.h"

#include "backlog.h"
#include "frame.h"

/* Is the unassigned frame fr (meta m) too old to send? */
static int
expired(const struct backlog_pump *p, const uint8_t *fr, const struct sendq_meta *m)
{
	uint64_t age = fr[1] & FRAME_F_RETX ? p->age_retx : p->age_fresh;

	return age != UINT64_MAX && p->now - m->sent > age;
}

/*
 * The unassigned frame at or above from with at least depth bytes of unassigned frames
 * ahead of it, or BACKLOG_NONE; expired frames met on the way are given up (counted in
 * *gone). Moves *resend to the oldest unassigned frame.
 */
static uint64_t
find_frame(struct sendq *q, uint64_t *resend, uint64_t *bytes, const struct backlog_pump *p,
	   uint64_t depth, uint64_t from, uint64_t *gone)
{
	struct sendq_meta *m;
	uint64_t seq, ahead = 0, first = BACKLOG_NONE;
	uint8_t *fr;

	for (seq = *resend > q->base ? *resend : q->base; seq < q->next; seq++) {
		fr = sendq_get(q, seq, &m);
		if (m->conn_id != 0)
			continue;
		if (expired(p, fr, m)) {
			m->conn_id = UINT32_MAX; /* given up: the peer's gap logic skips it */
			*bytes -= m->len;
			(*gone)++;
			continue;
		}
		if (first == BACKLOG_NONE)
			*resend = first = seq;
		/* the oldest goes to the best connection for it, below its highest or not */
		if (ahead >= depth && (seq >= from || depth == 0))
			return seq;
		ahead += m->len;
	}
	if (first == BACKLOG_NONE)
		*resend = BACKLOG_NONE;
	return BACKLOG_NONE;
}

uint64_t
backlog_pump(struct sendq *q, uint64_t *resend, uint64_t *bytes, const struct backlog_pump *p)
{
	struct sendq_meta *m;
	uint64_t depth, seq, *hi, gone = 0;
	uint8_t *fr;
	int i, moved, resent;

	do {
		moved = 0;
		for (i = 0; i < p->n && *bytes > 0; i++) {
			depth = sched_depth(p->policy, p->cands, p->n, i, p->len);
			if (depth == SCHED_NONE || depth >= *bytes)
				continue;
			hi = p->seq_hi(p->arg, i);
			if ((seq = find_frame(q, resend, bytes, p, depth, *hi, &gone)) ==
			    BACKLOG_NONE)
				continue;
			fr = sendq_get(q, seq, &m);
			*bytes -= m->len;
			resent = fr[1] & FRAME_F_RETX;
			if (!resent && seq < *hi)
				fr[1] |= FRAME_F_RETX; /* out of this connection's order */
			else if (!resent)
				*hi = seq + 1;
			p->take(p->arg, i, seq, fr, m, resent);
			moved = 1;
		}
	} while (moved);
	if (*bytes == 0)
		*resend = BACKLOG_NONE;
	return gone;
}
