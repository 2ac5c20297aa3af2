/*
 * backlog: the frame each connection takes (see backlog.h).
 *
 * A connection's fresh frames go out in seq order: the peer takes a connection's highest
 * seq for a sign that it carries nothing below it any more (session.c, gap_check). A frame
 * goes out of that order, marked as a re-send, only when no connection could carry it in
 * order any more (see find_frame).
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
 * Who may carry which fresh frame in order: each connection's highest fresh seq so far
 * (hi; its next fresh frame must be at or above it) and its expected delivery.
 */
struct order {
	int n;
	int carrier[BACKLOG_MAX_CONNS]; /* carries bulk frames now (sched_carrier) */
	uint64_t hi[BACKLOG_MAX_CONNS];
	uint64_t eta[BACKLOG_MAX_CONNS]; /* sched_late_us */
};

static void
order_of(struct order *o, const struct backlog_pump *p)
{
	int j;

	o->n = p->n < BACKLOG_MAX_CONNS ? p->n : BACKLOG_MAX_CONNS;
	for (j = 0; j < o->n; j++) {
		o->carrier[j] = p->policy != SCHED_ORDERED && sched_carrier(p->cands, p->n, j);
		o->hi[j] = *p->seq_hi(p->arg, j);
		o->eta[j] = sched_late_us(p->cands[j], p->len);
	}
}

/*
 * The connection that owes fresh frame seq: of those that can still carry it in order,
 * the one the receiver may have to wait for least (sched_late_us, as sched_depth
 * judges); -1: none can (a connection that carried the frames after it is lost).
 */
static int
owner(const struct order *o, uint64_t seq)
{
	int j, best = -1;

	for (j = 0; j < o->n; j++)
		if (o->carrier[j] && o->hi[j] <= seq && (best < 0 || o->eta[j] < o->eta[best]))
			best = j;
	return best;
}

/*
 * The unassigned frame connection i takes, at least depth bytes of unassigned frames deep
 * (SCHED_NONE: only one it owes), or BACKLOG_NONE; expired frames met on the way are given
 * up (counted in *gone). Moves *resend to the oldest unassigned frame.
 *
 * A fresh frame goes out only in its connection's order, at or above that connection's
 * highest: the peer gives a gap up once every connection has carried something past it,
 * so a frame sent below its connection's highest could arrive after its gap was given up.
 * So i takes a frame it owes however deep it lies, and at its depth only one in its order
 * (or one nobody owes). A frame no connection can carry in order any more, and a re-send,
 * go to the first connection that reaches them at its depth, a fresh one then marked as a
 * re-send (see backlog_pump). Under the ordered policy nobody owes anything: the
 * connection sched_depth lets take goes to the oldest.
 */
static uint64_t
find_frame(struct sendq *q, uint64_t *resend, uint64_t *bytes, const struct backlog_pump *p,
	   const struct order *o, int i, uint64_t depth, uint64_t *gone)
{
	struct sendq_meta *m;
	uint64_t seq, ahead = 0, first = BACKLOG_NONE;
	uint8_t *fr;
	int own;

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
		own = fr[1] & FRAME_F_RETX ? -1 : owner(o, seq);
		if (own == i)
			return seq;
		if (depth != SCHED_NONE && ahead >= depth && (own < 0 || seq >= o->hi[i]))
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
	struct order o;
	uint64_t depth, seq, *hi, gone = 0;
	uint8_t *fr;
	int i, moved, resent;

	do {
		moved = 0;
		for (i = 0; i < p->n && *bytes > 0; i++) {
			if (!p->cands[i]->ready || !sched_carrier(p->cands, p->n, i))
				continue;
			depth = sched_depth(p->policy, p->cands, p->n, i, p->len);
			if (depth != SCHED_NONE && depth >= *bytes)
				depth = SCHED_NONE; /* nothing that deep: only what it owes */
			order_of(&o, p);
			if ((seq = find_frame(q, resend, bytes, p, &o, i, depth, &gone)) ==
			    BACKLOG_NONE)
				continue;
			hi = p->seq_hi(p->arg, i);
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
