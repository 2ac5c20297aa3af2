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

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "allowedips.h"
#include "conn.h"
#include "path.h"
#include "paths.h"
#include "peer.h"
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
mode_name(const struct conf *c)
{
	return c->mode == MODE_TUN ? "tun" : "udp";
}

/* Several peers: each is shown with its name, and series carry a peer label. */
static int
labelled(const struct peers *set)
{
	return set->n > 1;
}

/* --- rates --- */

void
show_rates_sample(struct show_rates *r, const struct peers *set, double dt)
{
	uint64_t tx, rx, txp, rxp;
	int i, k;

	r->tx = r->rx = 0;
	for (k = 0; k < set->n; k++) {
		const struct paths *ps = &set->peer[k]->paths;

		for (i = 0; i < ps->n; i++) {
			struct path *p = ps->path[i];

			show_path_totals(p, &tx, &rx, &txp, &rxp);
			p->rate.tx = p->rate.rx = 0;
			/* a path made anew by a reload starts from zero: no rate until the
			 * next sample */
			if (p->rate.sampled && dt > 0 && tx >= p->rate.tx_total &&
			    rx >= p->rate.rx_total) {
				p->rate.tx = (double)(tx - p->rate.tx_total) / dt;
				p->rate.rx = (double)(rx - p->rate.rx_total) / dt;
			}
			p->rate.tx_total = tx;
			p->rate.rx_total = rx;
			p->rate.sampled = 1;
			r->tx += p->rate.tx;
			r->rx += p->rate.rx;
		}
	}
	r->valid = dt > 0;
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

/* A "session" object: counters st, up or down, the window and backlog of the session. */
static void
json_session(FILE *f, const struct session_stats *st, int up, unsigned window,
	     unsigned long long backlog)
{
	int i;

	fprintf(f,
		"{\"state\":\"%s\",\"tx_bytes\":%llu,"
		"\"rx_bytes\":%llu,\"tx_packets\":%llu,\"rx_packets\":%llu,"
		"\"retransmits\":%llu,\"window\":%u,\"backlog_bytes\":%llu,\"early\":%llu,\"drops\":{",
		up ? "up" : "down", (unsigned long long)st->tx_bytes,
		(unsigned long long)st->rx_bytes, (unsigned long long)st->tx_packets,
		(unsigned long long)st->rx_packets, (unsigned long long)st->retransmits, window,
		backlog, (unsigned long long)st->early);
	for (i = 0; i < DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", session_drop_name(i),
			(unsigned long long)st->drops[i]);
	fprintf(f,
		"},\"before_up\":%llu,\"copies\":%llu,\"copy_bytes\":%llu,\"copy_first\":%llu,"
		"\"copy_spare\":%llu}",
		(unsigned long long)st->before_up, (unsigned long long)st->copies,
		(unsigned long long)st->copy_bytes, (unsigned long long)st->copy_first,
		(unsigned long long)st->copy_spare);
}

static void
json_path(FILE *f, const struct peer *pe, const struct path *p, ev_tstamp now)
{
	uint64_t tx, rx, txp, rxp;
	int j, first;

	show_path_totals(p, &tx, &rx, &txp, &rxp);
	fprintf(f, "{\"name\":");
	json_string(f, p->name);
	fprintf(f, ",\"peer\":");
	json_string(f, pe->name);
	fprintf(f,
		",\"state\":\"%s\",\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
		"\"tx_packets\":%llu,\"rx_packets\":%llu,"
		"\"failures\":%llu,\"up_seconds\":%.1f,\"last_error\":",
		path_state(p), (unsigned long long)tx, (unsigned long long)rx,
		(unsigned long long)txp, (unsigned long long)rxp, (unsigned long long)p->failures,
		p->up_since ? now - p->up_since : 0.0);
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
			"\"inflight_bytes\":%llu,\"bound_bytes\":%llu,\"rate_mbps\":%.1f,"
			"\"suspect\":%s,\"stalls\":%llu,\"cipher\":\"%s\",\"rekeys\":%llu,"
			"\"express\":%s}",
			conn_rtt(c), (unsigned long long)c->tx_bytes,
			(unsigned long long)c->rx_bytes, (unsigned long long)c->tx_packets,
			(unsigned long long)c->rx_packets, (unsigned long long)c->sc.queued,
			(unsigned long long)c->sc.inflight, (unsigned long long)c->bound,
			c->sc.rate_seen * 8 / 1e6, c->stall.stalled ? "true" : "false",
			(unsigned long long)c->stalls,
			c->up_at != 0 ? crypto_cipher_name(c->tx.cipher) : "",
			(unsigned long long)(c->tx.rekeys + c->rx.rekeys),
			c->sc.express ? "true" : "false");
		first = 0;
	}
	fprintf(f, "]}");
}

/* A peer's AllowedIPs as a JSON array (allowedips_walk's callback). */
struct json_list {
	FILE *f;
	int first;
};

static int
json_prefix(void *arg, int family, const uint8_t *addr, unsigned len)
{
	struct json_list *l = arg;
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	fprintf(l->f, "%s\"%s/%u\"", l->first ? "" : ",", a, len);
	l->first = 0;
	return 0;
}

/*
 * The top level describes the daemon: "session" sums its peers' counters (with the drops
 * of connections that never named a peer), "paths" lists every peer's paths, each naming
 * its peer; "peers" has each peer's own session.
 */
void
show_json(const struct peers *set, const struct peer *only, FILE *f)
{
	const struct conf *c = set->conf;
	ev_tstamp now = ev_now(set->loop);
	struct session_stats st;
	unsigned window = 0;
	unsigned long long backlog = 0;
	int i, k, first = 1;
	char key[CRYPTO_KEY_B64_LEN + 1];

	if (only != NULL) {
		st = only->s.st;
		window = sendq_count(&only->s.sq);
		backlog = only->s.backlog;
	} else {
		peers_totals(set, &st);
		for (k = 0; k < set->n; k++) {
			window += sendq_count(&set->peer[k]->s.sq);
			backlog += set->peer[k]->s.backlog;
		}
	}
	fprintf(f, "{\"interface\":");
	json_string(f, c->ifname);
	fprintf(f, ",\"mode\":\"%s\",\"unrouted\":%llu,\"session\":", mode_name(c),
		(unsigned long long)set->unrouted);
	json_session(f, &st, only != NULL ? only->s.nup > 0 : peers_nup(set) > 0, window, backlog);
	fprintf(f, ",\"paths\":[");
	for (k = 0; k < set->n; k++) {
		const struct peer *pe = set->peer[k];

		for (i = 0; (only == NULL || pe == only) && i < pe->paths.n; i++) {
			fputs(first ? "" : ",", f);
			json_path(f, pe, pe->paths.path[i], now);
			first = 0;
		}
	}
	fprintf(f, "],\"peers\":[");
	for (k = 0, first = 1; k < set->n; k++) {
		const struct peer *pe = set->peer[k];
		struct json_list walk = {f, 1};

		if (only != NULL && pe != only)
			continue;
		fprintf(f, "%s{\"name\":", first ? "" : ",");
		json_string(f, pe->name);
		crypto_key_to_base64(key, pe->s.peer.pub);
		fprintf(f, ",\"public_key\":\"%s\",\"allowed_ips\":[",
			sodium_is_zero(pe->s.peer.pub, CRYPTO_KEY_LEN) ? "" : key);
		if (set->aips != NULL)
			allowedips_walk(set->aips, pe, json_prefix, &walk);
		fprintf(f, "],\"refused\":%llu,\"paths\":%d,\"session\":",
			(unsigned long long)pe->refused, pe->paths.n);
		json_session(f, &pe->s.st, pe->s.nup > 0, sendq_count(&pe->s.sq),
			     (unsigned long long)pe->s.backlog);
		fputc('}', f);
		first = 0;
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
drops_total(const struct session_stats *st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < DROP_MAX; i++)
		n += st->drops[i];
	return n;
}

static void
text_drops(FILE *f, const struct session_stats *st)
{
	int i;

	if (st->copies > 0 || st->copy_first > 0)
		fprintf(f, "  real-time copies: %llu sent (%llu bytes, %.1f %% of sent), %llu "
			   "arrived first\n",
			(unsigned long long)st->copies, (unsigned long long)st->copy_bytes,
			st->tx_bytes > 0 ? 100.0 * (double)st->copy_bytes / (double)st->tx_bytes : 0.0,
			(unsigned long long)st->copy_first);
	for (i = 0; i < DROP_MAX; i++)
		if (st->drops[i])
			fprintf(f, "  drop %s: %llu\n", session_drop_name(i),
				(unsigned long long)st->drops[i]);
}

/* "sent X (N pkts), received Y (M pkts), drops D" */
static void
text_counts(FILE *f, const struct session_stats *st)
{
	char a[32], b[32];

	human_bytes(a, sizeof(a), (double)st->tx_bytes, "");
	human_bytes(b, sizeof(b), (double)st->rx_bytes, "");
	fprintf(f, "sent %s (%llu pkts), received %s (%llu pkts), drops %llu", a,
		(unsigned long long)st->tx_packets, b, (unsigned long long)st->rx_packets,
		(unsigned long long)drops_total(st));
}

static void
text_paths(FILE *f, const struct paths *ps, const struct show_rates *r)
{
	char a[32], b[32];
	uint64_t tx, rx, txp, rxp;
	int i, up;

	fprintf(f, "  %-12s %-10s %5s %9s %11s %11s", "path", "state", "conns", "rtt", "sent",
		"received");
	if (r != NULL)
		fprintf(f, " %13s %13s", "sent/s", "received/s");
	fputc('\n', f);
	for (i = 0; i < ps->n; i++) {
		const struct path *p = ps->path[i];
		int rated = r != NULL && r->valid;

		show_path_totals(p, &tx, &rx, &txp, &rxp);
		up = path_up_count(p);
		human_bytes(a, sizeof(a), (double)tx, "");
		human_bytes(b, sizeof(b), (double)rx, "");
		fprintf(f, "  %-12s %-10s %2d/%-2d %6.1f ms %11s %11s", p->name, path_state(p), up,
			p->nslots, path_rtt(p), a, b);
		if (r != NULL) {
			human_bytes(a, sizeof(a), rated ? p->rate.tx : 0, "/s");
			human_bytes(b, sizeof(b), rated ? p->rate.rx : 0, "/s");
			fprintf(f, " %13s %13s", a, b);
		}
		if (up == 0 && p->last_error[0])
			fprintf(f, "  (%s)", p->last_error);
		fputc('\n', f);
	}
}

/*
 * The stable text: scripts and the SIGUSR1 log read it. Columns are fixed width and in a
 * fixed order; the rate columns come last, after "received", so older readers of the first
 * columns keep working. With several peers, a line per peer leads its paths.
 */
void
show_text(const struct peers *set, const struct peer *only, const struct show_rates *r,
	  FILE *f)
{
	const struct conf *c = set->conf;
	struct session_stats st;
	int k, up = 0;

	if (!labelled(set)) {
		const struct session *s = &set->peer[0]->s;

		peers_totals(set, &st);
		fprintf(f, "%s: %s, session %s, ", c->ifname, mode_name(c),
			s->nup > 0 ? "up" : "down");
		text_counts(f, &st);
		fputc('\n', f);
		text_drops(f, &st);
		text_paths(f, &set->peer[0]->paths, r);
		return;
	}
	peers_totals(set, &st);
	for (k = 0; k < set->n; k++)
		up += set->peer[k]->s.nup > 0;
	fprintf(f, "%s: %s, %d peers, %d up, ", c->ifname, mode_name(c), set->n, up);
	text_counts(f, &st);
	fprintf(f, ", unrouted %llu\n", (unsigned long long)set->unrouted);
	for (k = 0; k < set->n; k++) {
		const struct peer *pe = set->peer[k];

		if (only != NULL && pe != only)
			continue;
		fprintf(f, "peer %s: session %s, ", pe->name, pe->s.nup > 0 ? "up" : "down");
		text_counts(f, &pe->s.st);
		if (pe->refused > 0)
			fprintf(f, ", refused %llu", (unsigned long long)pe->refused);
		fputc('\n', f);
		text_drops(f, &pe->s.st);
		text_paths(f, &pe->paths, r);
	}
}

/*
 * The table for a terminal, within 80 columns: a summary, then per path its rates and a bar
 * of its share of the bytes moved in the last interval (both directions), SHOW_BAR_WIDTH
 * wide. An idle tunnel shows empty bars rather than shares of nothing. With several peers,
 * a line per peer leads its paths.
 */
static void
table_paths(FILE *f, const struct paths *ps, const struct show_rates *r)
{
	double total = r != NULL && r->valid ? r->tx + r->rx : 0;
	char a[32], b[32], bar[SHOW_BAR_WIDTH + 1], rtt[16];
	int i, k, fill;

	for (i = 0; i < ps->n; i++) {
		const struct path *p = ps->path[i];
		double mine = total > 0 ? p->rate.tx + p->rate.rx : 0;

		fill = total > 0 ? (int)(mine / total * SHOW_BAR_WIDTH + 0.5) : 0;
		for (k = 0; k < SHOW_BAR_WIDTH; k++)
			bar[k] = k < fill ? '#' : '.';
		bar[SHOW_BAR_WIDTH] = '\0';
		if (path_rtt(p) > 0)
			snprintf(rtt, sizeof(rtt), "%.1fms", path_rtt(p));
		else
			snprintf(rtt, sizeof(rtt), "-");
		human_bytes(a, sizeof(a), total > 0 ? p->rate.tx : 0, "/s");
		human_bytes(b, sizeof(b), total > 0 ? p->rate.rx : 0, "/s");
		fprintf(f, "%-12s %-10s %2d/%-2d %8s %11s %11s  %s %3.0f%%\n", p->name,
			path_state(p), path_up_count(p), p->nslots, rtt, a, b, bar,
			total > 0 ? 100 * mine / total : 0.0);
		if (path_up_count(p) == 0 && p->last_error[0])
			fprintf(f, "%12s   %.60s\n", "", p->last_error);
	}
}

void
show_table(const struct peers *set, const struct peer *only, const struct show_rates *r,
	   FILE *f)
{
	const struct conf *c = set->conf;
	struct session_stats st;
	char a[32], b[32];
	int i, k, npaths = 0, nup = 0;

	peers_totals(set, &st);
	for (k = 0; k < set->n; k++)
		for (i = 0; i < set->peer[k]->paths.n; i++) {
			npaths++;
			nup += path_up_count(set->peer[k]->paths.path[i]) > 0;
		}
	human_bytes(a, sizeof(a), r != NULL ? r->tx : 0, "/s");
	human_bytes(b, sizeof(b), r != NULL ? r->rx : 0, "/s");
	if (labelled(set))
		fprintf(f, "%s (%s)  peers %d  paths %d/%d up  out %s  in %s  drops %llu\n",
			c->ifname, mode_name(c), set->n, nup, npaths, a, b,
			(unsigned long long)drops_total(&st));
	else
		fprintf(f, "%s (%s)  session %s  paths %d/%d up  out %s  in %s  drops %llu\n",
			c->ifname, mode_name(c), peers_nup(set) > 0 ? "up" : "down", nup, npaths,
			a, b, (unsigned long long)drops_total(&st));
	human_bytes(a, sizeof(a), (double)st.tx_bytes, "");
	human_bytes(b, sizeof(b), (double)st.rx_bytes, "");
	fprintf(f, "total sent %s  received %s  retransmits %llu\n\n", a, b,
		(unsigned long long)st.retransmits);
	fprintf(f, "%-12s %-10s %5s %8s %11s %11s  %s\n", "PATH", "STATE", "CONN", "RTT", "OUT/s",
		"IN/s", "SHARE");
	for (k = 0; k < set->n; k++) {
		const struct peer *pe = set->peer[k];

		if (only != NULL && pe != only)
			continue;
		if (labelled(set))
			fprintf(f, "peer %s (session %s)\n", pe->name,
				pe->s.nup > 0 ? "up" : "down");
		table_paths(f, &pe->paths, r);
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

/*
 * name{interface="...",peer="...",path="..."[,extra="..."]} — peer (a daemon with one
 * peer: none), path and extra may be NULL.
 */
static void
prom_series(FILE *f, const char *name, const struct conf *c, const char *peer, const char *path,
	    const char *extra_name, const char *extra)
{
	fprintf(f, "%s{interface=\"", name);
	prom_value(f, c->ifname);
	if (peer != NULL) {
		fputs("\",peer=\"", f);
		prom_value(f, peer);
	}
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

/* The peers prom_* write: only, or all. */
static int
prom_skip(const struct peer *pe, const struct peer *only)
{
	return only != NULL && pe != only;
}

static const char *
prom_peer(const struct peers *set, const struct peer *pe)
{
	return labelled(set) ? pe->name : NULL;
}

static void
prom_session(const struct peers *set, const struct peer *only, FILE *f)
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
		{"mptun_session_copies_total", "Real-time copies sent on a second path.",
		 offsetof(struct session_stats, copies)},
		{"mptun_session_copy_bytes_total", "Bytes of real-time copies, framing included.",
		 offsetof(struct session_stats, copy_bytes)},
		{"mptun_session_copy_first_total", "Copies that arrived before their original.",
		 offsetof(struct session_stats, copy_first)},
	};
	const struct conf *c = set->conf;
	size_t n;
	int i, k;

	prom_family(f, "mptun_info", "gauge", "Constant 1, labelled with the mode and side.");
	fprintf(f, "mptun_info{interface=\"");
	prom_value(f, c->ifname);
	fprintf(f, "\",mode=\"%s\",side=\"%s\"} 1\n", mode_name(c),
		conf_is_client(c) ? "dialing" : "listening");
	if (labelled(set)) {
		prom_family(f, "mptun_peers", "gauge", "Peers configured.");
		prom_series(f, "mptun_peers", c, NULL, NULL, NULL, NULL);
		fprintf(f, "%d\n", set->n);
		prom_family(f, "mptun_unrouted_packets_total", "counter",
			    "Packets from the device that no peer's AllowedIPs hold.");
		prom_series(f, "mptun_unrouted_packets_total", c, NULL, NULL, NULL, NULL);
		fprintf(f, "%llu\n", (unsigned long long)set->unrouted);
		prom_family(f, "mptun_peer_refused_total", "counter",
			    "Connections refused: a live client held the peer's key.");
		for (k = 0; k < set->n; k++)
			if (!prom_skip(set->peer[k], only)) {
				prom_series(f, "mptun_peer_refused_total", c, set->peer[k]->name,
					    NULL, NULL, NULL);
				fprintf(f, "%llu\n", (unsigned long long)set->peer[k]->refused);
			}
	}
	prom_family(f, "mptun_session_up", "gauge", "1 while at least one connection is up.");
	for (k = 0; k < set->n; k++)
		if (!prom_skip(set->peer[k], only)) {
			prom_series(f, "mptun_session_up", c, prom_peer(set, set->peer[k]), NULL,
				    NULL, NULL);
			fprintf(f, "%d\n", set->peer[k]->s.nup > 0);
		}
	prom_family(f, "mptun_session_connections", "gauge", "Connections established.");
	for (k = 0; k < set->n; k++)
		if (!prom_skip(set->peer[k], only)) {
			prom_series(f, "mptun_session_connections", c, prom_peer(set, set->peer[k]),
				    NULL, NULL, NULL);
			fprintf(f, "%d\n", set->peer[k]->s.nup);
		}
	prom_family(f, "mptun_session_window_frames", "gauge",
		    "Frames sent and not yet acknowledged.");
	for (k = 0; k < set->n; k++)
		if (!prom_skip(set->peer[k], only)) {
			prom_series(f, "mptun_session_window_frames", c,
				    prom_peer(set, set->peer[k]), NULL, NULL, NULL);
			fprintf(f, "%u\n", sendq_count(&set->peer[k]->s.sq));
		}
	for (n = 0; n < sizeof(counters) / sizeof(counters[0]); n++) {
		prom_family(f, counters[n].name, "counter", counters[n].help);
		for (k = 0; k < set->n; k++) {
			const struct session_stats *st = &set->peer[k]->s.st;

			if (prom_skip(set->peer[k], only))
				continue;
			prom_series(f, counters[n].name, c, prom_peer(set, set->peer[k]), NULL,
				    NULL, NULL);
			fprintf(f, "%llu\n",
				(unsigned long long)*(const uint64_t *)((const char *)st +
									counters[n].off));
		}
	}
	prom_family(f, "mptun_session_drops_total", "counter",
		    "Frames or payloads dropped, by reason.");
	for (k = 0; k < set->n; k++) {
		const struct session_stats *st = &set->peer[k]->s.st;

		if (prom_skip(set->peer[k], only))
			continue;
		for (i = 0; i < DROP_MAX; i++) {
			/* connections that never named a peer: the daemon's one peer has them */
			uint64_t v = st->drops[i] + (labelled(set) ? 0 : set->drops[i]);

			prom_series(f, "mptun_session_drops_total", c, prom_peer(set, set->peer[k]),
				    NULL, "reason", session_drop_name(i));
			fprintf(f, "%llu\n", (unsigned long long)v);
		}
	}
	if (labelled(set) && only == NULL) {
		prom_family(f, "mptun_handshake_drops_total", "counter",
			    "Connections dropped before their handshake named a peer, by reason.");
		for (i = 0; i < DROP_MAX; i++)
			if (i == DROP_MALFORMED || i == DROP_AUTH || i == DROP_HANDSHAKE ||
			    i == DROP_HALFOPEN) {
				prom_series(f, "mptun_handshake_drops_total", c, NULL, NULL,
					    "reason", session_drop_name(i));
				fprintf(f, "%llu\n", (unsigned long long)set->drops[i]);
			}
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
prom_path(const struct peers *set, const struct peer *pe, const struct path *p, int m, FILE *f)
{
	static const char *const states[] = {"up", "connecting", "down"};
	const struct conf *c = set->conf;
	const char *name = prom_path_metrics[m].name, *peer = prom_peer(set, pe);
	ev_tstamp now = ev_now(set->loop);
	uint64_t v[4], load[3];
	int k;

	show_path_totals(p, &v[0], &v[1], &v[2], &v[3]);
	switch (m) {
	case PM_STATE:
		for (k = 0; k < 3; k++) {
			prom_series(f, name, c, peer, p->name, "state", states[k]);
			fprintf(f, "%d\n", strcmp(path_state(p), states[k]) == 0);
		}
		return;
	case PM_RTT:
		if (path_rtt(p) == 0)
			return; /* no connection up: no RTT to report */
		prom_series(f, name, c, peer, p->name, NULL, NULL);
		fprintf(f, "%.6f\n", path_rtt(p) / 1000.0);
		return;
	case PM_UPSECS:
		prom_series(f, name, c, peer, p->name, NULL, NULL);
		fprintf(f, "%.3f\n", p->up_since ? now - p->up_since : 0.0);
		return;
	case PM_RATE:
	case PM_INFLIGHT:
	case PM_QUEUED:
		path_load(p, load);
		prom_series(f, name, c, peer, p->name, NULL, NULL);
		fprintf(f, "%llu\n", (unsigned long long)load[m - PM_RATE]);
		return;
	default:
		break;
	}
	prom_series(f, name, c, peer, p->name, NULL, NULL);
	fprintf(f, "%llu\n",
		m == PM_UP	? (unsigned long long)(path_up_count(p) > 0)
		: m == PM_CONNS ? (unsigned long long)path_up_count(p)
		: m == PM_SLOTS ? (unsigned long long)p->nslots
		: m == PM_FAIL	? (unsigned long long)p->failures
				: (unsigned long long)v[m - PM_TXB]);
}

static void
prom_paths(const struct peers *set, const struct peer *only, FILE *f)
{
	int m, i, k;

	for (m = 0; m < PM_MAX; m++) {
		prom_family(f, prom_path_metrics[m].name, prom_path_metrics[m].type,
			    prom_path_metrics[m].help);
		for (k = 0; k < set->n; k++) {
			const struct peer *pe = set->peer[k];

			for (i = 0; !prom_skip(pe, only) && i < pe->paths.n; i++)
				prom_path(set, pe, pe->paths.path[i], m, f);
		}
	}
}

void
show_prometheus(const struct peers *set, const struct peer *only, FILE *f)
{
	prom_session(set, only, f);
	prom_paths(set, only, f);
}
