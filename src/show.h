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

#define SHOW_BAR_WIDTH 20

struct peers;
struct peer;
struct path;

/* The total rates of the last sample; each path keeps its own (struct path rate). */
struct show_rates {
	double tx, rx;
	int valid; /* at least two samples taken */
};

/* A path's counters, closed and live connections together. */
void show_path_totals(const struct path *p, uint64_t *tx_bytes, uint64_t *rx_bytes,
		      uint64_t *tx_packets, uint64_t *rx_packets);
/* Take a sample of every path's counters, dt seconds after the previous one. */
void show_rates_sample(struct show_rates *r, const struct peers *set, double dt);

/*
 * The forms. only: one peer's part (show --peer), or NULL for all. A daemon with one peer
 * writes what it always wrote; with several, each peer has its session line (JSON: the
 * "peers" list; Prometheus: a "peer" label on every series) and its paths.
 */
void show_json(const struct peers *set, const struct peer *only, FILE *f);
/* r may be NULL: no rate columns. */
void show_text(const struct peers *set, const struct peer *only, const struct show_rates *r,
	       FILE *f);
void show_table(const struct peers *set, const struct peer *only, const struct show_rates *r,
		FILE *f);
void show_prometheus(const struct peers *set, const struct peer *only, FILE *f);

#endif
