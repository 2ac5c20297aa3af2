/*
 * show: state writers (see show.h). Every loop below is bounded by the session's paths and
 * their connection slots; nothing allocates.
 *
 * Consistency: every form reads the same counters through show_path_totals, so JSON, the
 * text forms and Prometheus agree at one instant (tests/netns/ops-metrics.sh checks it).
 * Rates are not counters of the daemon: they come from the control socket's sampler
 * (ctl.c), which hands its last sample in; the daemon keeps no history beyond it.
 */
#include "config.h"

#include <string.h>

#include "conn.h"
#include "path.h"
#include "paths.h"
#include "session.h"
#include "show.h"

void
show_path_totals(const struct path *p, uint64_t *tx_bytes, uint64_t *rx_bytes, uint64_t *tx_packets,
		 uint64_t *rx_packets)
{
	int i;

	*tx_bytes = p->tx_bytes;
	*rx_bytes = p->rx_bytes;
	*tx_packets = p->tx_packets;
	*rx_packets = p->rx_packets;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		const struct conn *c = p->slots[i].conn;

		if (c != NULL) {
			*tx_bytes += c->tx_bytes;
			*rx_bytes += c->rx_bytes;
			*tx_packets += c->tx_packets;
			*rx_packets += c->rx_packets;
		}
	}
}

/* The heartbeat RTT (end to end through any relays), else the kernel's from TCP_INFO. */
static double
conn_rtt(const struct conn *c)
{
	if (c->rtt_ms > 0)
		return c->rtt_ms;
	return c->sc.rtt_us / 1000.0;
}

/* The lowest RTT of the path's established connections, ms; 0 when none is up. */
static double
path_rtt(const struct path *p)
{
	double rtt = 0;
	int j;

	for (j = 0; j < CONF_MAX_CONNS; j++) {
		const struct conn *c = p->slots[j].conn;

		if (c != NULL && c->state == CONN_UP && (rtt == 0 || conn_rtt(c) < rtt))
			rtt = conn_rtt(c);
	}
	return rtt;
}

static const char *
mode_name(const struct session *s)
{
	return s->conf->mode == MODE_TUN ? "tun" : "udp";
}

/* --- rates --- */

/* Paths are found by name: a reload may free a path and make another at its address. */
static const struct show_rate *
rate_of(const struct show_rates *r, const char *name)
{
	int i;

	for (i = 0; r != NULL && r->valid && i < r->n; i++)
		if (strcmp(r->path[i].name, name) == 0)
			return &r->path[i];
	return NULL;
}

void
show_rates_sample(struct show_rates *r, struct session *s, const struct paths *ps, double dt)
{
	struct show_rates next;
	uint64_t txp, rxp;
	int i;

	memset(&next, 0, sizeof(next));
	for (i = 0; i < ps->n && i < SHOW_RATES_MAX; i++) {
		struct show_rate *nr = &next.path[next.n++];
		const struct show_rate *old = NULL;
		int k;

		snprintf(nr->name, sizeof(nr->name), "%s", ps->path[i]->name);
		show_path_totals(ps->path[i], &nr->tx_total, &nr->rx_total, &txp, &rxp);
		for (k = 0; k < r->n && old == NULL; k++)
			if (strcmp(r->path[k].name, nr->name) == 0)
				old = &r->path[k];
		/* a path made anew by a reload starts from zero: no rate until the next sample */
		if (old != NULL && dt > 0 && nr->tx_total >= old->tx_total &&
		    nr->rx_total >= old->rx_total) {
			nr->tx = (double)(nr->tx_total - old->tx_total) / dt;
			nr->rx = (double)(nr->rx_total - old->rx_total) / dt;
		}
		next.tx += nr->tx;
		next.rx += nr->rx;
	}
	next.valid = dt > 0;
	*r = next;
}

/* --- JSON: field names are an interface; add fields, never rename or remove --- */

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void
show_json(struct session *s, const struct paths *ps, FILE *f)
{
	const struct session_stats *st = &s->st;
	ev_tstamp now = ev_now(s->loop);
	uint64_t tx, rx, txp, rxp;
	int i, j, first;

	fprintf(f, "{\"interface\":");
	json_string(f, s->conf->ifname);
	fprintf(f,
		",\"mode\":\"%s\",\"session\":{\"state\":\"%s\",\"tx_bytes\":%llu,"
		"\"rx_bytes\":%llu,\"tx_packets\":%llu,\"rx_packets\":%llu,"
		"\"retransmits\":%llu,\"window\":%u,\"backlog_bytes\":%llu,\"early\":%llu,\"drops\":{",
		mode_name(s), s->nup > 0 ? "up" : "down", (unsigned long long)st->tx_bytes,
		(unsigned long long)st->rx_bytes, (unsigned long long)st->tx_packets,
		(unsigned long long)st->rx_packets, (unsigned long long)st->retransmits,
		sendq_count(&s->sq), (unsigned long long)s->backlog, (unsigned long long)st->early);
	for (i = 0; i < DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", session_drop_name(i),
			(unsigned long long)st->drops[i]);
	fprintf(f, "},\"before_up\":%llu},\"paths\":[", (unsigned long long)st->before_up);
	for (i = 0; i < ps->n; i++) {
		const struct path *p = ps->path[i];

		show_path_totals(p, &tx, &rx, &txp, &rxp);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_string(f, p->name);
		fprintf(f,
			",\"state\":\"%s\",\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
			"\"tx_packets\":%llu,\"rx_packets\":%llu,"
			"\"failures\":%llu,\"up_seconds\":%.1f,\"last_error\":",
			path_state(p), (unsigned long long)tx, (unsigned long long)rx,
			(unsigned long long)txp, (unsigned long long)rxp,
			(unsigned long long)p->failures, p->up_since ? now - p->up_since : 0.0);
		json_string(f, p->last_error);
		fprintf(f, ",\"connections\":[");
		for (j = 0, first = 1; j < CONF_MAX_CONNS; j++) {
			const struct conn *c = p->slots[j].conn;

			if (c == NULL)
				continue;
			fprintf(f, "%s{\"slot\":%d,\"state\":\"%s\",\"peer\":", first ? "" : ",", j,
				conn_state_name(c));
			json_string(f, c->peer);
			fprintf(f,
				",\"rtt_ms\":%.2f,\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
				"\"tx_packets\":%llu,\"rx_packets\":%llu,\"queued_bytes\":%llu,"
				"\"inflight_bytes\":%llu,\"rate_mbps\":%.1f,\"suspect\":%s,"
				"\"stalls\":%llu,\"cipher\":\"%s\",\"rekeys\":%llu}",
				conn_rtt(c), (unsigned long long)c->tx_bytes,
				(unsigned long long)c->rx_bytes, (unsigned long long)c->tx_packets,
				(unsigned long long)c->rx_packets, (unsigned long long)c->sc.queued,
				(unsigned long long)c->sc.inflight, c->sc.rate_seen * 8 / 1e6,
				c->stall.stalled ? "true" : "false", (unsigned long long)c->stalls,
				c->up_at != 0 ? crypto_cipher_name(c->tx.cipher) : "",
				(unsigned long long)(c->tx.rekeys + c->rx.rekeys));
			first = 0;
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

/* --- text for people --- */

static void
human_bytes(char *out, size_t len, double v, const char *suffix)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, i ? "%.1f %s%s" : "%.0f %s%s", v, unit[i], suffix);
}

static uint64_t
drops_total(const struct session *s)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < DROP_MAX; i++)
		n += s->st.drops[i];
	return n;
}

/*
 * The stable text: scripts and the SIGUSR1 log read it. Columns are fixed width and in a
 * fixed order; the rate columns come last, after "received", so older readers of the first
 * columns keep working.
 */
void
show_text(struct session *s, const struct paths *ps, const struct show_rates *r, FILE *f)
{
	const struct session_stats *st = &s->st;
	char a[32], b[32];
	uint64_t tx, rx, txp, rxp;
	int i, up;

	human_bytes(a, sizeof(a), (double)st->tx_bytes, "");
	human_bytes(b, sizeof(b), (double)st->rx_bytes, "");
	fprintf(f, "%s: %s, session %s, sent %s (%llu pkts), received %s (%llu pkts), drops %llu\n",
		s->conf->ifname, mode_name(s), s->nup > 0 ? "up" : "down", a,
		(unsigned long long)st->tx_packets, b, (unsigned long long)st->rx_packets,
		(unsigned long long)drops_total(s));
	for (i = 0; i < DROP_MAX; i++)
		if (st->drops[i])
			fprintf(f, "  drop %s: %llu\n", session_drop_name(i),
				(unsigned long long)st->drops[i]);
	fprintf(f, "  %-12s %-10s %5s %9s %11s %11s", "path", "state", "conns", "rtt", "sent",
		"received");
	if (r != NULL)
		fprintf(f, " %13s %13s", "sent/s", "received/s");
	fputc('\n', f);
	for (i = 0; i < ps->n; i++) {
		const struct path *p = ps->path[i];
		const struct show_rate *pr = rate_of(r, p->name);

		show_path_totals(p, &tx, &rx, &txp, &rxp);
		up = path_up_count(p);
		human_bytes(a, sizeof(a), (double)tx, "");
		human_bytes(b, sizeof(b), (double)rx, "");
		fprintf(f, "  %-12s %-10s %2d/%-2d %6.1f ms %11s %11s", p->name, path_state(p), up,
			p->nslots, path_rtt(p), a, b);
		if (r != NULL) {
			human_bytes(a, sizeof(a), pr != NULL ? pr->tx : 0, "/s");
			human_bytes(b, sizeof(b), pr != NULL ? pr->rx : 0, "/s");
			fprintf(f, " %13s %13s", a, b);
		}
		if (up == 0 && p->last_error[0])
			fprintf(f, "  (%s)", p->last_error);
		fputc('\n', f);
	}
}

/*
 * The table for a terminal, within 80 columns: a summary, then per path its rates and a bar
 * of its share of the bytes moved in the last interval (both directions), SHOW_BAR_WIDTH
 * wide. An idle tunnel shows empty bars rather than shares of nothing.
 */
void
show_table(struct session *s, const struct paths *ps, const struct show_rates *r, FILE *f)
{
	const struct session_stats *st = &s->st;
	char a[32], b[32], bar[SHOW_BAR_WIDTH + 1];
	double total = r != NULL && r->valid ? r->tx + r->rx : 0;
	uint64_t tx, rx, txp, rxp;
	int i, k, fill, nup = 0;

	for (i = 0; i < ps->n; i++)
		nup += path_up_count(ps->path[i]) > 0;
	human_bytes(a, sizeof(a), r != NULL ? r->tx : 0, "/s");
	human_bytes(b, sizeof(b), r != NULL ? r->rx : 0, "/s");
	fprintf(f, "%s (%s)  session %s  paths %d/%d up  out %s  in %s  drops %llu\n",
		s->conf->ifname, mode_name(s), s->nup > 0 ? "up" : "down", nup, ps->n, a, b,
		(unsigned long long)drops_total(s));
	human_bytes(a, sizeof(a), (double)st->tx_bytes, "");
	human_bytes(b, sizeof(b), (double)st->rx_bytes, "");
	fprintf(f, "total sent %s  received %s  retransmits %llu\n\n", a, b,
		(unsigned long long)st->retransmits);
	fprintf(f, "%-12s %-10s %5s %8s %11s %11s  %s\n", "PATH", "STATE", "CONN", "RTT", "OUT/s",
		"IN/s", "SHARE");
	for (i = 0; i < ps->n; i++) {
		const struct path *p = ps->path[i];
		const struct show_rate *pr = rate_of(r, p->name);
		double mine = pr != NULL ? pr->tx + pr->rx : 0;
		char rtt[16];

		show_path_totals(p, &tx, &rx, &txp, &rxp);
		fill = total > 0 ? (int)(mine / total * SHOW_BAR_WIDTH + 0.5) : 0;
		for (k = 0; k < SHOW_BAR_WIDTH; k++)
			bar[k] = k < fill ? '#' : '.';
		bar[SHOW_BAR_WIDTH] = '\0';
		if (path_rtt(p) > 0)
			snprintf(rtt, sizeof(rtt), "%.1fms", path_rtt(p));
		else
			snprintf(rtt, sizeof(rtt), "-");
		human_bytes(a, sizeof(a), pr != NULL ? pr->tx : 0, "/s");
		human_bytes(b, sizeof(b), pr != NULL ? pr->rx : 0, "/s");
		fprintf(f, "%-12s %-10s %2d/%-2d %8s %11s %11s  %s %3.0f%%\n", p->name,
			path_state(p), path_up_count(p), p->nslots, rtt, a, b, bar,
			total > 0 ? 100 * mine / total : 0.0);
		if (path_up_count(p) == 0 && p->last_error[0])
			fprintf(f, "%12s   %.60s\n", "", p->last_error);
	}
}

/*
 * --- Prometheus text exposition format ---
 *
 * Each family is written whole (HELP, TYPE, then all its samples) before the next, as the
 * format requires. Counters end in _total and are monotonic while a path lives; a path
 * that a reload removed or made anew starts from zero, which Prometheus reads as a reset.
 * Label values are escaped even though config labels cannot hold quotes today.
 */

static void
prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and line feed escaped, as the format says. */
static void
prom_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name{interface="...",path="..."[,extra="..."]} — path and extra may be NULL. */
static void
prom_series(FILE *f, const char *name, const struct session *s, const char *path,
	    const char *extra_name, const char *extra)
{
	fprintf(f, "%s{interface=\"", name);
	prom_value(f, s->conf->ifname);
	if (path != NULL) {
		fputs("\",path=\"", f);
		prom_value(f, path);
	}
	if (extra_name != NULL) {
		fprintf(f, "\",%s=\"", extra_name);
		prom_value(f, extra);
	}
	fputs("\"} ", f);
}

static void
prom_session(struct session *s, FILE *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"mptun_session_tx_bytes_total", "Payload bytes sent into the tunnel.",
		 offsetof(struct session_stats, tx_bytes)},
		{"mptun_session_rx_bytes_total", "Payload bytes delivered from the tunnel.",
		 offsetof(struct session_stats, rx_bytes)},
		{"mptun_session_tx_packets_total", "Payloads sent into the tunnel.",
		 offsetof(struct session_stats, tx_packets)},
		{"mptun_session_rx_packets_total", "Payloads delivered from the tunnel.",
		 offsetof(struct session_stats, rx_packets)},
		{"mptun_session_retransmits_total", "Frames sent again on another connection.",
		 offsetof(struct session_stats, retransmits)},
		{"mptun_session_before_up_total",
		 "Payloads discarded before any connection was up (not drops).",
		 offsetof(struct session_stats, before_up)},
	};
	size_t k;
	int i;

	prom_family(f, "mptun_info", "gauge", "Constant 1, labelled with the mode and side.");
	fprintf(f, "mptun_info{interface=\"");
	prom_value(f, s->conf->ifname);
	fprintf(f, "\",mode=\"%s\",side=\"%s\"} 1\n", mode_name(s),
		conf_is_client(s->conf) ? "dialing" : "listening");
	prom_family(f, "mptun_session_up", "gauge", "1 while at least one connection is up.");
	prom_series(f, "mptun_session_up", s, NULL, NULL, NULL);
	fprintf(f, "%d\n", s->nup > 0);
	prom_family(f, "mptun_session_connections", "gauge", "Connections established.");
	prom_series(f, "mptun_session_connections", s, NULL, NULL, NULL);
	fprintf(f, "%d\n", s->nup);
	prom_family(f, "mptun_session_window_frames", "gauge",
		    "Frames sent and not yet acknowledged.");
	prom_series(f, "mptun_session_window_frames", s, NULL, NULL, NULL);
	fprintf(f, "%u\n", sendq_count(&s->sq));
	for (k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		prom_family(f, counters[k].name, "counter", counters[k].help);
		prom_series(f, counters[k].name, s, NULL, NULL, NULL);
		fprintf(f, "%llu\n",
			(unsigned long long)*(const uint64_t *)((const char *)&s->st +
								counters[k].off));
	}
	prom_family(f, "mptun_session_drops_total", "counter",
		    "Frames or payloads dropped, by reason.");
	for (i = 0; i < DROP_MAX; i++) {
		prom_series(f, "mptun_session_drops_total", s, NULL, "reason",
			    session_drop_name(i));
		fprintf(f, "%llu\n", (unsigned long long)s->st.drops[i]);
	}
}

enum prom_path_metric {
	PM_UP,
	PM_STATE,
	PM_CONNS,
	PM_SLOTS,
	PM_TXB,
	PM_RXB,
	PM_TXP,
	PM_RXP,
	PM_FAIL,
	PM_RTT,
	PM_UPSECS,
	PM_RATE,
	PM_INFLIGHT,
	PM_QUEUED,
	PM_MAX
};

static const struct {
	const char *name, *type, *help;
} prom_path_metrics[PM_MAX] = {
	[PM_UP] = {"mptun_path_up", "gauge", "1 while the path has a connection up."},
	[PM_STATE] = {"mptun_path_state", "gauge", "1 for the path's current state."},
	[PM_CONNS] = {"mptun_path_connections", "gauge", "Connections of the path that are up."},
	[PM_SLOTS] = {"mptun_path_connections_configured", "gauge", "Connections the path keeps."},
	[PM_TXB] = {"mptun_path_tx_bytes_total", "counter", "Payload bytes sent on the path."},
	[PM_RXB] = {"mptun_path_rx_bytes_total", "counter", "Payload bytes received on the path."},
	[PM_TXP] = {"mptun_path_tx_packets_total", "counter", "Payloads sent on the path."},
	[PM_RXP] = {"mptun_path_rx_packets_total", "counter", "Payloads received on the path."},
	[PM_FAIL] = {"mptun_path_failures_total", "counter",
		     "Connections of the path that failed or closed."},
	[PM_RTT] = {"mptun_path_rtt_seconds", "gauge",
		    "Lowest round-trip time of the path's connections that are up."},
	[PM_UPSECS] = {"mptun_path_up_seconds", "gauge", "Seconds since the path came up."},
	[PM_RATE] = {"mptun_path_rate_bytes_per_second", "gauge",
		     "The scheduler's delivery rate estimate, summed over connections up."},
	[PM_INFLIGHT] = {"mptun_path_inflight_bytes", "gauge",
			 "Bytes sent and not yet acknowledged, summed over connections up."},
	[PM_QUEUED] = {"mptun_path_queued_bytes", "gauge",
		       "Bytes waiting to be sent (ours and the kernel's), over connections up."},
};

/* The scheduler's figures of a path's connections that are up, summed: PM_RATE.. order. */
static void
path_load(const struct path *p, uint64_t v[3])
{
	int i;

	v[0] = v[1] = v[2] = 0;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		const struct conn *c = p->slots[i].conn;

		if (c != NULL && c->state == CONN_UP) {
			v[0] += c->sc.rate_seen;
			v[1] += c->sc.inflight;
			v[2] += c->sc.queued;
		}
	}
}

static void
prom_paths(struct session *s, const struct paths *ps, FILE *f)
{
	static const char *const states[] = {"up", "connecting", "down"};
	ev_tstamp now = ev_now(s->loop);
	uint64_t v[4], load[3];
	int m, i, k;

	for (m = 0; m < PM_MAX; m++) {
		prom_family(f, prom_path_metrics[m].name, prom_path_metrics[m].type,
			    prom_path_metrics[m].help);
		for (i = 0; i < ps->n; i++) {
			const struct path *p = ps->path[i];
			const char *name = prom_path_metrics[m].name;

			show_path_totals(p, &v[0], &v[1], &v[2], &v[3]);
			switch (m) {
			case PM_STATE:
				for (k = 0; k < 3; k++) {
					prom_series(f, name, s, p->name, "state", states[k]);
					fprintf(f, "%d\n", strcmp(path_state(p), states[k]) == 0);
				}
				continue;
			case PM_RTT:
				if (path_rtt(p) == 0)
					continue; /* no connection up: no RTT to report */
				prom_series(f, name, s, p->name, NULL, NULL);
				fprintf(f, "%.6f\n", path_rtt(p) / 1000.0);
				continue;
			case PM_UPSECS:
				prom_series(f, name, s, p->name, NULL, NULL);
				fprintf(f, "%.3f\n", p->up_since ? now - p->up_since : 0.0);
				continue;
			case PM_RATE:
			case PM_INFLIGHT:
			case PM_QUEUED:
				path_load(p, load);
				prom_series(f, name, s, p->name, NULL, NULL);
				fprintf(f, "%llu\n", (unsigned long long)load[m - PM_RATE]);
				continue;
			default:
				break;
			}
			prom_series(f, name, s, p->name, NULL, NULL);
			fprintf(f, "%llu\n",
				m == PM_UP	? (unsigned long long)(path_up_count(p) > 0)
				: m == PM_CONNS ? (unsigned long long)path_up_count(p)
				: m == PM_SLOTS ? (unsigned long long)p->nslots
				: m == PM_FAIL	? (unsigned long long)p->failures
						: (unsigned long long)v[m - PM_TXB]);
		}
	}
}

void
show_prometheus(struct session *s, const struct paths *ps, FILE *f)
{
	prom_session(s, f);
	prom_paths(s, ps, f);
}
