/*
 * link: one emulated link (see link.h). The receive path is the hot loop of synnet:
 * read a batch, decide each frame's fate, push survivors to the delay heap, then let
 * emu_run send whatever is already due. Random choices come first and in a fixed order
 * (imp_draw), so a seed fixes which frames are lost whatever the queue does.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "link.h"
#include "log.h"
#include "opt.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Batches read per wake-up of one port, so a flood on one link cannot starve the others. */
#define LINK_RX_ROUNDS 8

static const char *dir_names[LINK_NDIR] = {"ab", "ba"};

static void
release(struct dir *d, struct pkt *p)
{
	d->in_flight--;
	pool_put(&d->link->emu->pool, p);
}

void
link_sent(struct pkt *p, int err, void *arg)
{
	struct dir *d = p->dir;

	if (err == 0) {
		d->st.tx_packets++;
		d->st.tx_bytes += p->len;
	} else if (err == ENETDOWN || err == ENXIO) {
		d->st.drop_down++;
	} else {
		d->st.drop_error++;
	}
	release(d, p);
}

void
link_drop_down(struct pkt *p)
{
	p->dir->st.drop_down++;
	release(p->dir, p);
}

/* Queue p (already counted in flight) with jitter j; 0, or -1 after a tail drop. */
static int
admit(struct dir *d, struct pkt *p, uint64_t now, int64_t j)
{
	if (imp_admit(&d->p, &d->s, now, p->len, j, &p->t) == -1) {
		d->st.drop_queue++;
		release(d, p);
		return -1;
	}
	emu_push(d->link->emu, p);
	return 0;
}

/* If a reset is armed and p is a matching segment, send the RST right behind it. */
static void
inject_rst(struct dir *d, const struct pkt *p, uint64_t now)
{
	struct rst_seg seg;
	struct pkt *r;

	if (rst_parse(p->data, p->len, &seg) == -1 || !rst_match(&seg, d->link->rst_port))
		return;
	if (d->link->rst_locked && !rst_same_flow(&seg, &d->link->rst_flow))
		return;
	r = pool_get(&d->link->emu->pool);
	if (r == NULL)
		return;
	r->dir = d;
	r->len = (uint32_t)rst_forge(p->data, p->len, &seg, r->data, sizeof(r->data));
	if (r->len == 0) {
		pool_put(&d->link->emu->pool, r);
		return;
	}
	d->in_flight++;
	/* no jitter, so it cannot overtake the segment it follows */
	if (admit(d, r, now, 0) == 0) {
		d->st.rst_sent++;
		d->rst_armed = 0;
		d->link->rst_flow = seg;
		d->link->rst_locked = 1;
	}
}

static void
input(struct dir *d, struct pkt *p, uint64_t now)
{
	struct imp_draw dr;
	struct pkt *c = NULL;

	p->dir = d;
	d->in_flight++;
	d->st.rx_packets++;
	d->st.rx_bytes += p->len;
	if (d->link->win_blackhole) {
		d->st.drop_blackhole++;
		release(d, p);
		return;
	}
	imp_draw(&d->p, &d->s, p->len, &dr);
	if (dr.verdict == IMP_DROP_LOSS) {
		d->st.drop_loss++;
		d->st.loss_bursts += !d->last_lost;
		d->last_lost = 1;
		release(d, p);
		return;
	}
	if (dr.verdict == IMP_DROP_BLACKHOLE) {
		d->st.drop_blackhole++;
		release(d, p);
		return;
	}
	d->last_lost = 0;
	if (dr.dup) {
		/* the copy is taken before corruption: netem corrupts only the original too */
		c = pool_get(&d->link->emu->pool);
		if (c != NULL) {
			memcpy(c->data, p->data, p->len);
			c->len = p->len;
			c->dir = d;
			d->in_flight++;
			d->st.duplicated++;
		} else {
			d->st.drop_nobuf++;
		}
	}
	if (dr.corrupt && dr.corrupt_off < p->len) {
		p->data[dr.corrupt_off] ^= (uint8_t)(1u << dr.corrupt_bit);
		d->st.corrupted++;
	}
	if (admit(d, p, now, dr.jitter_ns) == 0 && d->rst_armed)
		inject_rst(d, p, now);
	if (c != NULL)
		admit(d, c, now, dr.dup_jitter_ns);
}

static void
rx_cb(EV_P_ ev_io *w, int revents)
{
	struct link *l = w->data;
	int side = w == &l->rx_w[LINK_SIDE_A] ? LINK_SIDE_A : LINK_SIDE_B;
	struct dir *d = &l->dir[side == LINK_SIDE_A ? LINK_AB : LINK_BA];
	struct emu *e = l->emu;
	struct pkt *bufs[PORT_BATCH];
	int round, k, i, got, good;
	uint64_t now;

	for (round = 0; round < LINK_RX_ROUNDS; round++) {
		for (k = 0; k < PORT_BATCH && (bufs[k] = pool_get(&e->pool)) != NULL; k++)
			;
		if (k == 0) {
			/* no buffer left: read into scratch space and count the loss */
			for (i = 0; i < PORT_BATCH; i++)
				bufs[i] = &e->scratch[i];
			got = port_recv(&l->port[side], bufs, PORT_BATCH, &good);
			d->st.rx_packets += (uint64_t)good;
			d->st.drop_nobuf += (uint64_t)good;
			if (got < PORT_BATCH)
				break;
			continue;
		}
		got = port_recv(&l->port[side], bufs, k, &good);
		now = emu_now();
		for (i = 0; i < good; i++)
			input(d, bufs[i], now);
		for (i = good; i < k; i++)
			pool_put(&e->pool, bufs[i]);
		if (got < k)
			break;
	}
	emu_run(e);
}

static void
window_open(struct link *l)
{
	l->in_window = 1;
	l->windows++;
	if (l->win == LINK_WIN_BLACKHOLE)
		l->win_blackhole = 1;
	else if (l->win == LINK_WIN_DOWN)
		link_carrier(l, -1, 0);
}

static void
window_close(struct link *l)
{
	if (!l->in_window)
		return;
	l->in_window = 0;
	if (l->win == LINK_WIN_BLACKHOLE)
		l->win_blackhole = 0;
	else if (l->win == LINK_WIN_DOWN)
		link_carrier(l, -1, 1);
}

static void
sched_cb(EV_P_ ev_timer *w, int revents)
{
	struct link *l = container_of(w, struct link, sched_w);

	if (!l->in_window) {
		window_open(l);
		ev_timer_set(w, (double)l->win_dur_ns / 1e9, 0);
		ev_timer_start(EV_A_ w);
		return;
	}
	window_close(l);
	if (l->win_period_ns) {
		ev_timer_set(w, (double)(l->win_period_ns - l->win_dur_ns) / 1e9, 0);
		ev_timer_start(EV_A_ w);
	} else {
		l->win = LINK_WIN_NONE;
	}
}

void
link_schedule(struct link *l, enum link_window kind, uint64_t dur, uint64_t period, uint64_t after)
{
	ev_timer_stop(l->emu->loop, &l->sched_w);
	window_close(l);
	l->win = kind;
	l->win_dur_ns = dur;
	l->win_period_ns = period;
	if (kind == LINK_WIN_NONE)
		return;
	if (after == 0) {
		/* open at once, so a test's next packet already meets the window */
		window_open(l);
		ev_timer_set(&l->sched_w, (double)dur / 1e9, 0);
	} else {
		ev_timer_set(&l->sched_w, (double)after / 1e9, 0);
	}
	ev_timer_start(l->emu->loop, &l->sched_w);
}

int
link_carrier(struct link *l, int side, int up)
{
	int s, rc = 0;

	for (s = 0; s < LINK_NSIDE; s++) {
		if (side != -1 && side != s)
			continue;
		if (l->down[s] == !up)
			continue;
		if (port_set_up(&l->port[s], up) == -1) {
			log_warn("link %d: set %s %s", l->id, l->port[s].name, up ? "up" : "down");
			rc = -1;
			continue;
		}
		l->down[s] = !up;
		l->flaps++;
	}
	return rc;
}

void
link_seed(struct link *l, int dir, uint64_t seed, int explicit_seed)
{
	struct dir *d = &l->dir[dir];

	d->seed_set = explicit_seed;
	d->seed = explicit_seed ? seed : rng_mix(seed, (uint64_t)l->id);
	imp_reseed(&d->s, rng_mix(d->seed, (uint64_t)dir));
	d->last_lost = 0;
}

void
link_rst(struct link *l, int port)
{
	int i;

	l->rst_port = port > 0 ? (uint16_t)port : 0;
	l->rst_locked = 0;
	for (i = 0; i < LINK_NDIR; i++)
		l->dir[i].rst_armed = port >= 0;
}

void
link_zero(struct link *l)
{
	int i;

	for (i = 0; i < LINK_NDIR; i++)
		memset(&l->dir[i].st, 0, sizeof(l->dir[i].st));
	for (i = 0; i < LINK_NSIDE; i++)
		l->port[i].rx_gso = l->port[i].rx_oversize = 0;
	l->windows = l->flaps = 0;
}

struct link *
link_new(struct emu *e, int id, const char *a, const char *b, char *err, size_t errlen)
{
	struct link *l;
	const char *names[LINK_NSIDE] = {a, b};
	int i;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->emu = e;
	l->id = id;
	l->port[0].fd = l->port[1].fd = -1;
	for (i = 0; i < LINK_NSIDE; i++) {
		if (port_open(&l->port[i], names[i]) == -1) {
			snprintf(err, errlen, "%s: %s", names[i], strerror(errno));
			goto fail;
		}
	}
	for (i = 0; i < LINK_NDIR; i++) {
		l->dir[i].link = l;
		l->dir[i].idx = i;
		imp_params_clear(&l->dir[i].p);
		imp_state_init(&l->dir[i].s, 0);
		link_seed(l, i, e->seed, 0);
	}
	for (i = 0; i < LINK_NSIDE; i++) {
		ev_io_init(&l->rx_w[i], rx_cb, l->port[i].fd, EV_READ);
		l->rx_w[i].data = l;
		ev_io_start(e->loop, &l->rx_w[i]);
	}
	ev_init(&l->sched_w, sched_cb);
	return l;
fail:
	port_close(&l->port[0]);
	port_close(&l->port[1]);
	free(l);
	return NULL;
}

void
link_free(struct link *l)
{
	int i;

	if (l == NULL)
		return;
	ev_timer_stop(l->emu->loop, &l->sched_w);
	window_close(l);
	link_carrier(l, -1, 1);
	for (i = 0; i < LINK_NSIDE; i++) {
		ev_io_stop(l->emu->loop, &l->rx_w[i]);
		port_close(&l->port[i]);
	}
	free(l);
}

static void
dir_json(const struct link *l, int i, FILE *out)
{
	const struct dir *d = &l->dir[i];
	const struct port *in = &l->port[i == LINK_AB ? LINK_SIDE_A : LINK_SIDE_B];
	const struct dir_stats *s = &d->st;

	fprintf(out,
		"\"%s\":{\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
		",\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"drop_loss\":%" PRIu64
		",\"drop_queue\":%" PRIu64 ",\"drop_blackhole\":%" PRIu64 ",\"drop_down\":%" PRIu64
		",\"drop_nobuf\":%" PRIu64 ",\"drop_error\":%" PRIu64 ",\"drop_gso\":%" PRIu64
		",\"drop_oversize\":%" PRIu64 ",\"duplicated\":%" PRIu64 ",\"corrupted\":%" PRIu64
		",\"rst_sent\":%" PRIu64 ",\"loss_bursts\":%" PRIu64 ",\"in_flight\":%" PRIu64
		",\"backlog_bytes\":%" PRIu64 "}",
		dir_names[i], s->rx_packets, s->rx_bytes, s->tx_packets, s->tx_bytes, s->drop_loss,
		s->drop_queue, s->drop_blackhole, s->drop_down, s->drop_nobuf, s->drop_error,
		in->rx_gso, in->rx_oversize, s->duplicated, s->corrupted, s->rst_sent,
		s->loss_bursts, d->in_flight, imp_backlog(&d->p, &d->s, emu_now()));
}

void
link_json(const struct link *l, FILE *out)
{
	static const char *wins[] = {"none", "blackhole", "down"};

	fprintf(out,
		"{\"id\":%d,\"a\":\"%s\",\"b\":\"%s\",\"carrier_a\":\"%s\",\"carrier_b\":\"%s\","
		"\"window\":\"%s\",\"in_window\":%s,\"windows\":%" PRIu64 ",\"flaps\":%" PRIu64 ",",
		l->id, l->port[0].name, l->port[1].name, l->down[0] ? "down" : "up",
		l->down[1] ? "down" : "up", wins[l->win], l->in_window ? "true" : "false",
		l->windows, l->flaps);
	dir_json(l, LINK_AB, out);
	fputc(',', out);
	dir_json(l, LINK_BA, out);
	fputc('}', out);
}

void
link_show(const struct link *l, FILE *out)
{
	char buf[OPT_FORMAT_MAX];
	int i;

	fprintf(out, "link %d add %s %s\n", l->id, l->port[0].name, l->port[1].name);
	for (i = 0; i < LINK_NDIR; i++) {
		opt_format(&l->dir[i].p, buf, sizeof(buf));
		if (buf[0])
			fprintf(out, "link %d %s %s\n", l->id, dir_names[i], buf);
		if (l->dir[i].seed_set)
			fprintf(out, "link %d %s seed %" PRIu64 "\n", l->id, dir_names[i],
				l->dir[i].seed);
	}
}
