/*
 * session: sequencing, acks, reordering, re-sending and delivery (see session.h).
 *
 * Send side: a payload is read straight into its sendq slot behind room for the DATA
 * header, then given to the connection sched_pick chooses. The frame stays in the slot
 * until ACKed; if its connection dies first it is marked unassigned and goes out again on
 * a survivor (always for a reliable channel, while younger than RetransmitAge otherwise),
 * before any new payload is taken.
 *
 * Receive side: each connection keeps its own order, so a connection that has carried seq
 * s or later (its mark) can no longer be carrying anything below s. A gap is given up as
 * soon as every established connection's mark is past it, when the sender abandons it, or
 * (tun/udp only) after ReorderHold; a reliable channel waits for the re-send instead.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backlog.h"
#include "conn.h"
#include "log.h"
#include "session.h"
#include "util.h"

#define NO_RESEND BACKLOG_NONE
/*
 * The reorder ring: frames held behind the oldest one still held were all in flight
 * together with it or with each other, so twice the sender's window of bytes, plus each
 * frame's header and alignment and one wasted wrap, always fits (see reorder.h).
 */
#define REORDER_BYTES(max) \
	(2 * (size_t)SESSION_WINDOW_BYTES + 2 * (size_t)FRAME_WINDOW * 128 + 2 * ((max) + 128))

static const char *const drop_names[DROP_MAX] = {
	[DROP_DUPLICATE] = "duplicate", [DROP_LOST] = "lost",
	[DROP_MALFORMED] = "malformed", [DROP_AUTH] = "auth",
	[DROP_HANDSHAKE] = "handshake", [DROP_HALFOPEN] = "halfopen",
	[DROP_DELIVERY] = "delivery",   [DROP_OVERSIZE] = "oversize",
	[DROP_EXPIRED] = "expired",     [DROP_NOPATH] = "nopath",       [DROP_FULL] = "full",
	[DROP_LATE] = "late",           [DROP_SOURCE] = "source",
};

const char *
session_drop_name(enum session_drop d)
{
	return drop_names[d];
}

static uint64_t
now_ns(struct session *s)
{
	return (uint64_t)(ev_now(s->loop) * 1e9);
}

void
session_count_drop(struct session *s, enum session_drop d)
{
	s->st.drops[d]++;
}

enum session_drop
session_drop_of(enum conn_drop d)
{
	static const enum session_drop as[] = {
		[CONN_DROP_MALFORMED] = DROP_MALFORMED,
		[CONN_DROP_AUTH] = DROP_AUTH,
		[CONN_DROP_HANDSHAKE] = DROP_HANDSHAKE,
		[CONN_DROP_HALFOPEN] = DROP_HALFOPEN,
	};

	return as[d];
}

void
session_count_conn_drop(struct session *s, enum conn_drop d)
{
	s->st.drops[session_drop_of(d)]++;
}

void
session_conn_env(struct session *s, struct conn_env *env)
{
	env->loop = s->loop;
	env->conf = s->conf;
	env->cid = s->cid;
	env->peer = &s->peer;
	env->find = NULL;
	env->find_arg = NULL;
}

/* --- receive side --- */

/* Hand one payload to the channel; -1 when it cannot take it now. */
static int
deliver(struct session *s, const uint8_t *p, size_t len)
{
	if (s->rx_blocked || s->chan->deliver(s->chan, p, len) == -1) {
		s->rx_blocked = 1;
		return -1;
	}
	s->st.rx_bytes += len;
	s->st.rx_packets++;
	return 0;
}

/* Deliver every held frame that is now in order. */
static void
drain(struct session *s)
{
	const uint8_t *p;
	size_t len;

	while ((p = reorder_peek(&s->ro, &len)) != NULL && deliver(s, p, len) == 0)
		reorder_advance(&s->ro);
}

static void send_ack(struct session *s);
static void gap_hold(struct session *s);
static void maybe_resume(struct session *s);

/* Our last ACK may be lost (with a connection): say it again soon, even if unchanged. */
static void
ack_again(struct session *s)
{
	if (!ev_is_active(&s->ack_timer))
		ev_timer_start(s->loop, &s->ack_timer);
}

static void
maybe_ack(struct session *s)
{
	uint64_t unacked = s->ro.next - s->acked;

	/* an eighth of the sender's window, in frames or in bytes, whichever comes first */
	if (unacked >= s->ro.nslots / 8 || s->st.rx_bytes - s->acked_bytes >= SESSION_WINDOW_BYTES / 8)
		send_ack(s);
	else if (unacked > 0 && !ev_is_active(&s->ack_timer))
		ev_timer_start(s->loop, &s->ack_timer);
}

/* Give up gaps that provably will not be filled; arm the hold timer for the rest. */
static void
gap_check(struct session *s)
{
	size_t len;
	uint64_t min_mark;
	int i;

	while (s->ro.held > 0 && reorder_peek(&s->ro, &len) == NULL) {
		if (s->chan->reliable || s->rx_blocked)
			return;
		/* a connection just died: what it carried is being re-sent, wait for it */
		if (ev_now(s->loop) < s->regrace_until)
			break;
		min_mark = UINT64_MAX;
		for (i = 0; i < s->nup; i++)
			if (s->up[i]->state == CONN_UP && s->up[i]->mark < min_mark)
				min_mark = s->up[i]->mark;
		if (min_mark <= s->ro.next)
			break;
		s->st.drops[DROP_LOST] += reorder_skip(&s->ro);
		drain(s);
	}
	if (s->ro.held == 0 || s->chan->reliable) {
		ev_timer_stop(s->loop, &s->gap_timer);
	} else if (!ev_is_active(&s->gap_timer) || s->gap_seq != s->ro.next) {
		/* a new gap: its own full hold time */
		s->gap_seq = s->ro.next;
		s->gap_since = ev_now(s->loop);
		gap_hold(s);
	}
}

/*
 * How long a gap waits without news: ReorderHold, or two round trips (with four of their
 * variations) of the slowest connection when that is more, up to SESSION_GAP_WAIT_MAX. A
 * frame on the slow path can arrive that long after the fast path delivered the frames
 * behind it: its one-way delay, the queues of its sender, the repair of a loss on it. A
 * gap on a connection that died or stalls is filled sooner, by the sender's re-send on
 * another one, so the wait costs only when the sender gave the frame up.
 */
static ev_tstamp
gap_hold_time(const struct session *s)
{
	ev_tstamp set = s->conf->reorder_hold_ms / 1000., hold = set, r;
	const struct sched_cand *c;
	int i;

	for (i = 0; i < s->nup; i++) {
		if (s->up[i]->state != CONN_UP)
			continue;
		c = &s->up[i]->sc;
		if ((r = 2 * (c->rtt_us + 4. * c->rttvar_us) / 1e6) > hold)
			hold = r;
	}
	return hold < SESSION_GAP_WAIT_MAX || hold == set ? hold : SESSION_GAP_WAIT_MAX;
}

/* (Re)start the hold timer of the present gap: gap_hold_time from now. */
static void
gap_hold(struct session *s)
{
	ev_timer_stop(s->loop, &s->gap_timer);
	ev_timer_set(&s->gap_timer, gap_hold_time(s), 0.);
	ev_timer_start(s->loop, &s->gap_timer);
}

/*
 * Connection c delivered up to mark in its own order (a fresh frame, or a PING's mark). If
 * it was one that may still carry the held gap's frame, the gap waits on a slow path, not
 * a stalled one: the hold counts again from now (for SESSION_GAP_WAIT_MAX beyond
 * ReorderHold since the gap appeared at most). A path whose queues hold it further behind
 * the others than the hold thus loses nothing; one that stops delivering still has its
 * gap given up after the hold.
 */
static void
mark_to(struct session *s, struct conn *c, uint64_t mark)
{
	uint64_t old = c->mark;

	if (mark <= old)
		return;
	c->mark = mark;
	if (old <= s->gap_seq && ev_is_active(&s->gap_timer) &&
	    ev_now(s->loop) - s->gap_since < SESSION_GAP_WAIT_MAX + s->conf->reorder_hold_ms / 1000.)
		gap_hold(s);
}

static void
gap_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = container_of(w, struct session, gap_timer);

	if (s->ro.next == s->gap_seq) {
		s->st.drops[DROP_LOST] += reorder_skip(&s->ro);
		drain(s);
	}
	gap_check(s);
	maybe_ack(s);
	session_flush(s);
}

/* The sender will send nothing below seq: deliver what is held below it, skip the rest. */
static void
abandon_to(struct session *s, uint64_t seq)
{
	size_t len;

	if (seq > s->abandoned)
		s->abandoned = seq;
	while (s->ro.next < seq && s->ro.held > 0) {
		if (reorder_peek(&s->ro, &len) != NULL) {
			drain(s);
			if (s->rx_blocked)
				return; /* the rest is skipped once the channel takes it */
			continue;
		}
		s->st.drops[DROP_LOST]++;
		reorder_advance(&s->ro);
	}
	if (s->ro.next < seq)
		s->st.drops[DROP_LOST] += reorder_skip_to(&s->ro, seq);
	drain(s);
	gap_check(s);
}

static void
on_data(struct session *s, struct conn *c, const struct frame *f)
{
	if (f->len > s->payload_max || f->len == 0) {
		s->st.drops[DROP_OVERSIZE]++;
		conn_fail(c, "payload of %zu bytes, MTU %zu", f->len, s->payload_max);
		return;
	}
	if (!(f->flags & (FRAME_F_RETX | FRAME_F_UNORDERED)))
		mark_to(s, c, f->a + 1);
	c->rx_bytes += f->len;
	c->rx_packets++;
	/* a small packet ahead of a gap goes out at once: it is a flow of its own */
	if ((f->flags & FRAME_F_UNORDERED) && !s->chan->reliable &&
	    reorder_put_unordered(&s->ro, f->a) == REORDER_EARLY &&
	    deliver(s, f->payload, f->len) == 0) {
		reorder_early(&s->ro, f->a);
		s->st.early++;
		s->st.copy_first += !!(f->flags & FRAME_F_COPY);
		gap_check(s);
		maybe_ack(s);
		return;
	}
	switch (reorder_put(&s->ro, f->a, f->payload, f->len)) {
	case REORDER_DELIVER:
		s->st.copy_first += !!(f->flags & FRAME_F_COPY);
		if (deliver(s, f->payload, f->len) == 0) {
			reorder_advance(&s->ro);
			drain(s);
		} else if (reorder_keep(&s->ro, f->payload, f->len) == -1) {
			s->st.drops[DROP_MALFORMED]++;
			conn_fail(c, "seq %llu: no room to hold it", (unsigned long long)f->a);
			return;
		}
		break;
	case REORDER_HELD:
		s->st.copy_first += !!(f->flags & FRAME_F_COPY);
		break;
	case REORDER_DUP:
		/* the second of a small packet and its copy: expected, not a loss or a drop */
		if ((f->flags & FRAME_F_UNORDERED) && !(f->flags & FRAME_F_RETX)) {
			s->st.copy_spare++;
			break;
		}
		s->st.drops[DROP_DUPLICATE]++;
		ack_again(s); /* the sender re-sends what we have: it lacks our ACK */
		break;
	case REORDER_EARLY: /* not said by reorder_put */
	case REORDER_BEYOND:
	case REORDER_TOOBIG:
	case REORDER_FULL:
		s->st.drops[DROP_MALFORMED]++;
		conn_fail(c, "seq %llu outside the window", (unsigned long long)f->a);
		return;
	}
	gap_check(s);
	maybe_ack(s);
}

/* --- send side --- */

/* Queue a frame on c; flush at once when c has had its share for now. */
static void
send_on(struct session *s, struct conn *c, const uint8_t *frame, size_t flen)
{
	if (conn_queue(c, frame, flen) == -1)
		return; /* cannot happen for a ready connection; a re-send will follow */
	if (!c->sc.ready)
		conn_flush(c);
}

/* Any connection to send a small control frame on: the best ready one, else any up. */
static struct conn *
ctl_conn(struct session *s)
{
	int i = sched_pick_ready(s->cands, s->nup, FRAME_CTL_MAX, -1);

	if (i >= 0)
		return s->up[i];
	for (i = 0; i < s->nup; i++)
		if (s->up[i]->state == CONN_UP)
			return s->up[i];
	return NULL;
}

static void
send_ack(struct session *s)
{
	uint8_t buf[FRAME_CTL_MAX];
	struct conn *c = ctl_conn(s);

	ev_timer_stop(s->loop, &s->ack_timer);
	if (c == NULL)
		return;
	if (conn_queue(c, buf, frame_put_ack(buf, s->ro.next)) == 0) {
		s->acked = s->ro.next;
		s->acked_bytes = s->st.rx_bytes;
	}
}

/*
 * A session that moved no payload for SESSION_IDLE_TRIM, with nothing in flight or held,
 * gives its rings' pages back: a server of many mostly quiet peers keeps resident only
 * what the busy ones use. The next payload finds zeroed pages, as after session_init.
 */
static void
idle_trim(struct session *s, ev_tstamp now)
{
	uint64_t mark = s->st.tx_packets + s->st.rx_packets;

	if (mark != s->idle_mark) {
		s->idle_mark = mark;
		s->idle_since = now;
		return;
	}
	if (s->idle_since == 0 || now - s->idle_since < SESSION_IDLE_TRIM ||
	    sendq_count(&s->sq) != 0 || s->ro.held != 0)
		return;
	sendq_forget(&s->sq);
	reorder_forget(&s->ro);
	s->idle_since = 0; /* until the next payload */
}

/* Every SESSION_MONITOR: fresh TCP_INFO from every connection, so stalls show at once. */
static void
monitor_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = container_of(w, struct session, monitor);
	ev_tstamp now = ev_now(loop);
	int i;

	/*
	 * Late by several rounds: this process was not running, so acknowledgements may be
	 * waiting unread. Restart every stall clock instead of suspecting everything at once.
	 */
	if (s->monitor_at != 0 && now - s->monitor_at > 3 * SESSION_MONITOR)
		for (i = 0; i < s->nup; i++)
			s->up[i]->stall.progress_at = now;
	s->monitor_at = now;
	for (i = 0; i < s->nup; i++)
		if (s->up[i]->state == CONN_UP)
			conn_update(s->up[i], 1);
	maybe_resume(s);
	idle_trim(s, now);
}

static void
ack_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = container_of(w, struct session, ack_timer);

	send_ack(s); /* armed by new deliveries, or by ack_again */
	session_flush(s);
}

/*
 * Frames given up at the head of the window will never come: say so, so the peer closes
 * its gap at once instead of waiting for ReorderHold.
 */
static void
abandon_expired(struct session *s)
{
	uint8_t buf[FRAME_CTL_MAX];
	struct sendq_meta *m;
	struct conn *c;
	uint64_t seq;

	for (seq = s->sq.base; seq < s->sq.next; seq++) {
		sendq_get(&s->sq, seq, &m);
		if (m->conn_id != UINT32_MAX)
			break;
	}
	if (seq <= s->abandon_sent || seq == s->sq.base || (c = ctl_conn(s)) == NULL)
		return;
	if (conn_queue(c, buf, frame_put_abandon(buf, seq)) == 0)
		s->abandon_sent = seq;
}

/* backlog_pump's take: c gets frame seq; a redundant copy on the best other ready one. */
static void
assign(void *arg, int i, uint64_t seq, uint8_t *fr, struct sendq_meta *m, int resent)
{
	struct session *s = arg;
	struct conn *c = s->up[i];
	size_t payload = m->len - FRAME_DATA_OVERHEAD;
	int j;

	m->conn_id = c->id;
	if (resent)
		s->st.retransmits++;
	c->tx_bytes += payload;
	c->tx_packets++;
	send_on(s, c, fr, m->len);
	if (s->conf->sched == SCHED_REDUNDANT && !(fr[1] & FRAME_F_RETX) &&
	    (j = sched_pick_ready(s->cands, s->nup, m->len, i)) >= 0) {
		s->up[j]->tx_bytes += payload;
		s->up[j]->tx_packets++;
		send_on(s, s->up[j], fr, m->len);
	}
}

static uint64_t *
seq_hi(void *arg, int i)
{
	struct session *s = arg;

	return &s->up[i]->seq_hi;
}

/*
 * Hand backlog frames to the connections that can take them (backlog_pump): the one that
 * delivers soonest takes the oldest, a slower one a frame so far back that it arrives in
 * time. A tun/udp frame is given up when older than RetransmitAge if it is a re-send (late
 * packets are worse than lost), than that plus the longest a backlog is held if fresh (it
 * waited while no path was up).
 */
static void
pump(struct session *s)
{
	uint64_t age = (uint64_t)s->conf->retransmit_age_ms * 1000000ULL;
	struct backlog_pump p = {
		.policy = s->conf->sched, .cands = s->cands, .n = s->nup,
		.len = s->payload_max + FRAME_DATA_OVERHEAD, .now = now_ns(s),
		.age_fresh = s->chan->reliable ? UINT64_MAX : age + SCHED_HOLD_MAX_US * 1000ULL,
		.age_retx = s->chan->reliable ? UINT64_MAX : age,
		.seq_hi = seq_hi, .take = assign, .arg = s,
	};

	s->st.drops[DROP_EXPIRED] += backlog_pump(&s->sq, &s->resend, &s->backlog, &p);
	abandon_expired(s);
}

uint64_t
session_ping_mark(const struct session *s)
{
	/* below the oldest unassigned frame, every frame is with the connection it went on */
	if (s->resend != NO_RESEND && s->resend < s->sq.next)
		return s->resend > s->sq.base ? s->resend : s->sq.base;
	return s->sq.next;
}

/* Is any connection established (even a suspect one)? */
static int
any_up(struct session *s)
{
	int i;

	for (i = 0; i < s->nup; i++)
		if (s->up[i]->state == CONN_UP)
			return 1;
	return 0;
}

/*
 * What to do with the next payload from the channel: DROP_MAX to send it, a drop reason to
 * read and drop it, or -1 to leave it in the channel (back pressure).
 *
 * No path at all: tun/udp payloads are read and dropped, like a router without a route,
 * rather than left in the device queue to arrive seconds late when a path returns. Every
 * path full: they queue a little past ready (CONN_OUT_QUEUE), then are dropped, like at a
 * router whose queue is full. The queue in front of the paths is thus each connection's
 * own, counted in bytes, and not the device's, which counts packets and would hold
 * megabytes of GSO packets. Reliable channels lose nothing: they wait, also while the
 * connection that would deliver soonest is busy (see sched_pick).
 */
static int
tx_verdict(struct session *s)
{
	if (!s->chan->reliable && !any_up(s))
		return DROP_NOPATH;
	pump(s);
	if (sendq_slot(&s->sq) == NULL)
		return -1;
	if (s->backlog >= sched_backlog_want(s->conf->sched, s->cands, s->nup,
					     s->payload_max + FRAME_DATA_OVERHEAD))
		return s->chan->reliable ? -1 : DROP_FULL;
	return DROP_MAX;
}

uint8_t *
session_tx_slot(struct session *s, size_t *cap)
{
	s->discard = tx_verdict(s);
	if (s->discard < 0) {
		s->src_paused = 1;
		return NULL;
	}
	*cap = s->payload_max;
	if (s->discard != DROP_MAX)
		return s->scratch;
	return sendq_slot(&s->sq) + FRAME_DATA_OVERHEAD;
}

/*
 * Does the small payload p get a copy on a second path? Under the redundant policy every
 * one does. Otherwise a real-time one (Realtime = auto: as the channel judges it, see
 * tun_packet_realtime; all: every small one) does while the copies stay within
 * RealtimeBudget percent of the bytes sent: a lost or stalled segment on one path then
 * holds up neither the voice frame nor the game update, which the other path delivers.
 */
static int
copy_wanted(struct session *s, const uint8_t *p, size_t len)
{
	const struct conf *c = s->conf;
	uint64_t cost = 100 * (uint64_t)(len + FRAME_DATA_OVERHEAD);

	if (c->sched == SCHED_REDUNDANT)
		return 1;
	if (c->realtime == RT_OFF || s->rt_credit < cost)
		return 0;
	return c->realtime == RT_ALL || (s->chan->realtime != NULL && s->chan->realtime(s->chan, p, len));
}

/*
 * A small tun/udp packet (a ping, an ACK, a voice frame, a DNS query) does not queue behind
 * the backlog of bulk frames: it goes out at once on the connection that delivers soonest,
 * marked FRAME_F_UNORDERED so that the peer delivers it ahead of any gap before it (it is
 * a flow of its own, or a few packets of one that the same connection keeps in order).
 * 1 when sent; 0 to send it as any other frame (a reliable channel, the ordered policy, or
 * no connection can queue it). The redundant policy adds its copy here too.
 */
static int
send_small(struct session *s, uint8_t *slot, size_t len)
{
	size_t flen = len + FRAME_DATA_OVERHEAD;
	struct conn *c;
	int i, j;

	if (s->chan->reliable || len > SESSION_SMALL_MAX || s->conf->sched == SCHED_ORDERED ||
	    (i = sched_pick_soonest(s->cands, s->nup, flen, -1)) < 0)
		return 0;
	c = s->up[i];
	frame_put_data_hdr(slot, s->sq.next, FRAME_F_UNORDERED, len);
	if (conn_queue(c, slot, flen) == -1)
		return 0; /* its output is full: the frame goes the common way */
	sendq_push(&s->sq, (uint32_t)flen, now_ns(s), c->id);
	s->st.tx_bytes += len;
	s->st.tx_packets++;
	c->tx_bytes += len;
	c->tx_packets++;
	conn_flush(c);
	/* a copy on the next soonest, on another path if one is up, if it can queue it */
	if (copy_wanted(s, slot + FRAME_DATA_OVERHEAD, len) &&
	    (j = sched_pick_soonest(s->cands, s->nup, flen, i)) >= 0) {
		frame_put_data_hdr(slot, s->sq.next - 1, FRAME_F_UNORDERED | FRAME_F_COPY, len);
		if (conn_queue(s->up[j], slot, flen) == 0) {
			s->up[j]->tx_bytes += len;
			s->up[j]->tx_packets++;
			s->st.copies++;
			s->st.copy_bytes += flen;
			if (s->conf->sched != SCHED_REDUNDANT)
				s->rt_credit -= 100 * (uint64_t)flen;
			conn_flush(s->up[j]);
		}
		/* the window keeps the original, for a re-send */
		frame_put_data_hdr(slot, s->sq.next - 1, FRAME_F_UNORDERED, len);
	}
	return 1;
}

/* Every byte sent earns RealtimeBudget percent of a byte of copies. */
static void
earn_credit(struct session *s, size_t len)
{
	s->rt_credit += (uint64_t)s->conf->rt_budget * len;
	if (s->rt_credit > SESSION_RT_CREDIT_MAX)
		s->rt_credit = SESSION_RT_CREDIT_MAX;
}

void
session_tx_commit(struct session *s, size_t len)
{
	uint8_t *slot = sendq_slot(&s->sq);
	size_t flen = len + FRAME_DATA_OVERHEAD;
	uint64_t seq;

	/*
	 * A full backlog refuses bulk, not a small packet, which goes out past it: the verdict
	 * came before the read, so the packet waits in the scratch slot.
	 */
	if (s->discard == DROP_FULL && len <= SESSION_SMALL_MAX && slot != NULL) {
		memcpy(slot + FRAME_DATA_OVERHEAD, s->scratch, len);
		earn_credit(s, len);
		if (send_small(s, slot, len))
			return;
	}
	if (s->discard != DROP_MAX) {
		if (s->discard == DROP_NOPATH && s->peer_sid == 0)
			s->st.before_up++; /* no connection has ever been up */
		else
			s->st.drops[s->discard]++;
		return;
	}
	earn_credit(s, len);
	if (send_small(s, slot, len))
		return;
	frame_put_data_hdr(slot, s->sq.next, 0, len);
	seq = sendq_push(&s->sq, (uint32_t)flen, now_ns(s), 0);
	if (s->resend == NO_RESEND)
		s->resend = seq;
	s->backlog += flen;
	s->st.tx_bytes += len;
	s->st.tx_packets++;
	pump(s);
}

/* Tell the channel to read again if it waits and there is somewhere to send. */
static void
maybe_resume(struct session *s)
{
	pump(s);
	if (!s->src_paused)
		return;
	if (tx_verdict(s) < 0)
		return;
	s->src_paused = 0;
	s->chan->resume(s->chan);
}

void
session_rx_resume(struct session *s)
{
	s->rx_blocked = 0;
	drain(s);
	if (s->abandoned > s->ro.next)
		abandon_to(s, s->abandoned);
	gap_check(s);
	maybe_ack(s);
	session_flush(s);
}

void
session_flush(struct session *s)
{
	int i;

	for (i = 0; i < s->nup; i++) {
		struct conn *c = s->up[i];

		if (c->state == CONN_UP && !c->blocked && bq_len(&c->out) > 0)
			conn_flush(c);
	}
	maybe_resume(s);
}

void
session_conn_writable(struct session *s, struct conn *c)
{
	maybe_resume(s);
}

/* --- frames in --- */

/* Unassigned frames below next reached the peer after all (re-queued too soon): not backlog. */
static void
backlog_acked(struct session *s, uint64_t next)
{
	struct sendq_meta *m;
	uint64_t seq;

	if (next > s->sq.next)
		return; /* a lying peer: sendq_ack says so */
	for (seq = s->sq.base; seq < next; seq++) {
		sendq_get(&s->sq, seq, &m);
		if (m->conn_id == 0)
			s->backlog -= m->len;
	}
}

void
session_on_frame(struct session *s, struct conn *c, const struct frame *f)
{
	uint8_t buf[FRAME_CTL_MAX];
	long n;

	c->last_rx = ev_now(s->loop);
	switch (f->type) {
	case FRAME_DATA:
		on_data(s, c, f);
		break;
	case FRAME_ACK:
		backlog_acked(s, f->a);
		if ((n = sendq_ack(&s->sq, f->a)) < 0) {
			s->st.drops[DROP_MALFORMED]++;
			conn_fail(c, "ACK beyond what was sent");
			return;
		}
		if (n > 0)
			maybe_resume(s);
		break;
	case FRAME_PING:
		mark_to(s, c, f->b);
		conn_queue(c, buf, frame_put_pong(buf, f->a));
		gap_check(s);
		break;
	case FRAME_PONG:
		if (f->a <= now_ns(s))
			c->rtt_ms = (double)(now_ns(s) - f->a) / 1e6;
		break;
	case FRAME_ABANDON:
		abandon_to(s, f->a);
		maybe_ack(s);
		break;
	default:
		s->st.drops[DROP_MALFORMED]++;
		conn_fail(c, "unexpected frame type %u", f->type);
		break;
	}
}

/* --- connections --- */

void
session_hello(struct session *s, struct frame_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->version = PROTO_VERSION;
	h->sid = s->sid;
	h->tx_base = s->sq.base;
	h->mtu = (uint16_t)s->payload_max;
}

void
session_conn_up(struct session *s, struct conn *c, const struct frame_hello *h)
{
	uint8_t buf[FRAME_CTL_MAX];
	int i;

	if (s->nup >= SESSION_MAX_CONNS) {
		conn_fail(c, "too many connections");
		return;
	}
	c->peer_sid = h->sid;
	if (h->sid != s->peer_sid) {
		int restart = s->peer_sid != 0;

		if (restart) {
			log_info("%s%speer restarted: session reset", s->name,
				 s->name[0] ? ": " : "");
			if (s->chan->restart != NULL)
				s->chan->restart(s->chan);
		}
		s->peer_sid = h->sid;
		reorder_reset(&s->ro, h->tx_base);
		s->acked = s->abandoned = h->tx_base;
		s->rx_blocked = 0;
		/* connections to the previous run of the peer are dead */
		for (i = 0; i < s->nup; i++)
			if (s->up[i]->peer_sid != h->sid)
				conn_fail(s->up[i], "peer restarted");
		/*
		 * What we had in flight went to the previous run: start clean. Not at the
		 * first contact: what waits then was read for this peer (a stream's first
		 * bytes, read while the paths came up), and goes out from sq.base on.
		 */
		if (restart && sendq_count(&s->sq) > 0) {
			sendq_reset(&s->sq);
			s->resend = NO_RESEND;
			s->backlog = 0;
		}
		conn_queue(c, buf, frame_put_abandon(buf, s->sq.base));
	}
	s->up[s->nup] = c;
	s->cands[s->nup] = &c->sc;
	s->nup++;
	maybe_resume(s); /* c->sc.priority and .backup are its path's (path.c) */
}

/* The frames c carried that are not acknowledged go out again on the others. */
static void
requeue(struct session *s, struct conn *c)
{
	struct sendq_meta *m;
	uint64_t seq;

	uint8_t *fr;

	for (seq = s->sq.base; seq < s->sq.next; seq++) {
		fr = sendq_get(&s->sq, seq, &m);
		if (m->conn_id == c->id) {
			m->conn_id = 0;
			fr[1] |= FRAME_F_RETX;
			s->backlog += m->len;
			if (s->resend == NO_RESEND || seq < s->resend)
				s->resend = seq;
		}
	}
	/* so may our last ACK: without it a sender whose window is full waits for ever */
	ack_again(s);
}

void
session_conn_down(struct session *s, struct conn *c)
{
	int i;

	for (i = 0; i < s->nup; i++) {
		if (s->up[i] == c) {
			s->nup--;
			s->up[i] = s->up[s->nup];
			s->cands[i] = s->cands[s->nup];
			break;
		}
	}
	requeue(s, c);
	s->regrace_until = ev_now(s->loop) + s->conf->retransmit_age_ms / 1000.;
	gap_check(s);
	maybe_resume(s);
}

void
session_conn_suspect(struct session *s, struct conn *c)
{
	requeue(s, c);
	pump(s);
	session_flush(s);
}

/* --- life cycle --- */

int
session_init(struct session *s, struct ev_loop *loop, const struct conf *conf, struct chan *ch,
	     size_t payload_max, const struct crypto_id *cid)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->conf = conf;
	s->chan = ch;
	s->cid = cid;
	s->payload_max = payload_max;
	s->resend = NO_RESEND;
	do
		randombytes_buf(&s->sid, sizeof(s->sid));
	while (s->sid == 0);
	if (sendq_init(&s->sq, FRAME_WINDOW, SESSION_WINDOW_BYTES,
		       FRAME_DATA_OVERHEAD + payload_max) == -1 ||
	    reorder_init(&s->ro, FRAME_WINDOW, REORDER_BYTES(payload_max), payload_max) == -1 ||
	    (s->scratch = malloc(s->payload_max)) == NULL) {
		session_free(s);
		return -1;
	}
	ev_timer_init(&s->ack_timer, ack_timer_cb, SESSION_ACK_DELAY, 0.);
	ev_timer_init(&s->gap_timer, gap_timer_cb, 0., 0.);
	ev_timer_init(&s->monitor, monitor_cb, SESSION_MONITOR, SESSION_MONITOR);
	ev_timer_start(loop, &s->monitor);
	return 0;
}

void
session_free(struct session *s)
{
	if (s->loop != NULL) {
		ev_timer_stop(s->loop, &s->ack_timer);
		ev_timer_stop(s->loop, &s->gap_timer);
		ev_timer_stop(s->loop, &s->monitor);
	}
	sendq_free(&s->sq);
	reorder_free(&s->ro);
	free(s->scratch);
	s->scratch = NULL;
}
