/*
 * show: the daemon's state as text, for the control socket and SIGUSR1.
 *
 * Four forms: JSON (the stable interface for scripts), the plain line-per-path text (stable
 * columns, for grep and logs), a compact table with rates and traffic-share bars (for a
 * person at a terminal), and the Prometheus text exposition format (version 0.0.4). Byte
 * counters count the channel's payload; a path's totals include its closed connections.
 * Nothing here changes state.
 */
#ifndef MPTUN_SHOW_H
#define MPTUN_SHOW_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"

#define SHOW_RATES_MAX (CONF_MAX_PATHS * 2)
#define SHOW_BAR_WIDTH 20

struct session;
struct paths;
struct path;

/* Bytes per second over the last sampling interval, per path (by name) and in total. */
struct show_rate {
	char name[CONF_NAME_MAX];
	uint64_t tx_total, rx_total; /* the counters at the sample */
	double tx, rx;
};

struct show_rates {
	struct show_rate path[SHOW_RATES_MAX];
	int n;
	double tx, rx;
	int valid; /* at least two samples taken */
};

/* A path's counters, closed and live connections together. */
void show_path_totals(const struct path *p, uint64_t *tx_bytes, uint64_t *rx_bytes,
		      uint64_t *tx_packets, uint64_t *rx_packets);
/* Take a sample of s's counters dt seconds after the previous one into r. */
void show_rates_sample(struct show_rates *r, struct session *s, const struct paths *ps, double dt);

void show_json(struct session *s, const struct paths *ps, FILE *f);
/* r may be NULL: no rate columns. */
void show_text(struct session *s, const struct paths *ps, const struct show_rates *r, FILE *f);
void show_table(struct session *s, const struct paths *ps, const struct show_rates *r, FILE *f);
void show_prometheus(struct session *s, const struct paths *ps, FILE *f);

#endif
