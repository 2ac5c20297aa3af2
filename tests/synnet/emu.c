/*
 * emu: frame pool, delay heap, departure timer and the set of links (see emu.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "link.h"
#include "log.h"

uint64_t
emu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
arm(struct emu *e)
{
	struct pkt *p = heap_top(&e->heap);
	struct itimerspec its = {0};

	if (p == NULL) {
		if (e->armed) {
			timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
			e->armed = 0;
		}
		return;
	}
	if (p->t == e->armed)
		return;
	/* a time already past fires at once; 0 would disarm, so never ask for 0 */
	its.it_value.tv_sec = (time_t)(p->t / 1000000000ULL);
	its.it_value.tv_nsec = (long)(p->t % 1000000000ULL);
	if (p->t == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("timerfd_settime");
	e->armed = p->t ? p->t : 1;
}

void
emu_run(struct emu *e)
{
	struct pkt *p;
	struct link *l;
	struct port *out;
	uint64_t now = emu_now();
	int i, s;

	while ((p = heap_top(&e->heap)) != NULL && p->t <= now) {
		heap_pop(&e->heap);
		l = p->dir->link;
		s = p->dir->idx == LINK_AB ? LINK_SIDE_B : LINK_SIDE_A;
		if (l->down[s]) {
			link_drop_down(p);
			continue;
		}
		out = &l->port[s];
		if (port_queue(out, p))
			port_flush(out, link_sent, e);
	}
	for (i = 0; i < e->nlinks; i++)
		for (s = 0; s < LINK_NSIDE; s++)
			if (e->links[i]->port[s].ntx)
				port_flush(&e->links[i]->port[s], link_sent, e);
	arm(e);
}

static void
timer_cb(EV_P_ ev_io *w, int revents)
{
	struct emu *e = w->data;
	uint64_t n;

	/* the expiry count is of no interest; reading just clears the readiness */
	if (read(e->tfd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("timerfd read");
	e->armed = 0;
	emu_run(e);
}

void
emu_push(struct emu *e, struct pkt *p)
{
	p->seq = e->seq++;
	heap_push(&e->heap, p);
}

int
emu_init(struct emu *e, struct ev_loop *loop, size_t npkt, uint64_t seed)
{
	memset(e, 0, sizeof(*e));
	e->loop = loop;
	e->seed = seed;
	e->tfd = -1;
	if (pool_init(&e->pool, npkt) == -1 || heap_init(&e->heap, npkt) == -1) {
		log_warnx("cannot allocate %zu frame buffers", npkt);
		goto fail;
	}
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->tfd == -1) {
		log_warn("timerfd_create");
		goto fail;
	}
	ev_io_init(&e->timer_w, timer_cb, e->tfd, EV_READ);
	e->timer_w.data = e;
	ev_io_start(loop, &e->timer_w);
	return 0;
fail:
	pool_free(&e->pool);
	heap_free(&e->heap);
	return -1;
}

void
emu_free(struct emu *e)
{
	while (e->nlinks > 0)
		emu_link_del(e, e->links[e->nlinks - 1]);
	if (e->tfd != -1) {
		ev_io_stop(e->loop, &e->timer_w);
		close(e->tfd);
		e->tfd = -1;
	}
	heap_free(&e->heap);
	pool_free(&e->pool);
}

struct link *
emu_link(struct emu *e, int id)
{
	int i;

	for (i = 0; i < e->nlinks; i++)
		if (e->links[i]->id == id)
			return e->links[i];
	return NULL;
}

int
emu_link_add(struct emu *e, int id, const char *a, const char *b, char *err, size_t errlen)
{
	struct link *l;
	int i;

	if (id < 1 || id > EMU_MAX_LINK_ID) {
		snprintf(err, errlen, "link number out of range 1..%d", EMU_MAX_LINK_ID);
		return -1;
	}
	if (emu_link(e, id) != NULL) {
		snprintf(err, errlen, "link %d exists", id);
		return -1;
	}
	if (e->nlinks == EMU_MAX_LINKS) {
		snprintf(err, errlen, "too many links (%d)", EMU_MAX_LINKS);
		return -1;
	}
	for (i = 0; i < e->nlinks; i++) {
		struct link *o = e->links[i];

		if (!strcmp(o->port[0].name, a) || !strcmp(o->port[1].name, a) ||
		    !strcmp(o->port[0].name, b) || !strcmp(o->port[1].name, b)) {
			snprintf(err, errlen, "interface already used by link %d", o->id);
			return -1;
		}
	}
	if (!strcmp(a, b)) {
		snprintf(err, errlen, "a link needs two different interfaces");
		return -1;
	}
	l = link_new(e, id, a, b, err, errlen);
	if (l == NULL)
		return -1;
	e->links[e->nlinks++] = l;
	return 0;
}

struct gone {
	struct pool *pool;
	struct link *link;
};

static int
of_link(struct pkt *p, void *arg)
{
	struct gone *g = arg;

	if (p->dir->link != g->link)
		return 0;
	pool_put(g->pool, p);
	return 1;
}

void
emu_link_del(struct emu *e, struct link *l)
{
	struct gone g = {&e->pool, l};
	int i;

	for (i = 0; i < e->nlinks; i++)
		if (e->links[i] == l)
			break;
	if (i == e->nlinks)
		return;
	e->links[i] = e->links[--e->nlinks];
	heap_filter(&e->heap, of_link, &g);
	link_free(l);
	arm(e);
}

void
emu_reseed(struct emu *e, uint64_t seed)
{
	int i, d;

	e->seed = seed;
	for (i = 0; i < e->nlinks; i++)
		for (d = 0; d < LINK_NDIR; d++)
			link_seed(e->links[i], d, seed, 0);
}
