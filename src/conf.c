/*
 * conf: the configuration file format: read mptun's INI file into struct conf and check it.
 *
 * The file is parsed line by line against a table of keys; every value is validated in
 * full as it is read (value syntax lives in conf_value.c, host:port and Via hops in
 * proxy.c), and the rules that span keys (client or server, keys, modes) are checked once
 * the whole file is in. Every error is one line "FILE:LINE: message" naming the key and
 * (except for secrets) the value. Nothing here opens sockets or resolves names; the only
 * files read are the config itself (conf_load) and PrivateKeyFile / PresharedKeyFile.
 * conf_print.c writes the canonical form back.
 *
 * Lexical rules: a line is blank, a comment ('#' or ';' first), a "[Section]" header or
 * "Key = value". Keys, section names and enumerated values are case-insensitive. Outside
 * the command keys (PostUp, ...), whose value is the rest of the line verbatim, '#' or ';'
 * first in a value or after a blank starts a comment. Repeatable keys (Address, Listen,
 * AllowedIPs, Via) also take comma lists.
 *
 * Defaults: Name mp0, Mode tun, MTU CONF_MTU_DEFAULT, Cipher auto, Scheduler balance, the
 * tunables below, no PlayoutDelay; a path has 1 connection and an express one (none when
 * Connections is at the maximum), priority 0, no backup, no DSCP
 * and an empty Congestion (conn.c then asks for CONF_CONGESTION_DEFAULT, see conf.h). A
 * client without [Path] gets one implicit path named "default" that dials the [Peer]
 * Endpoint.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "conf_value.h"
#include "proxy.h"

#define CONF_LINE_MAX	    8192      /* longest line; a canonical 4-hop Via line fits */
#define CONF_FILE_MAX	    (1 << 20) /* largest config file conf_load reads */
#define CONF_QUOTE_MAX	    64	      /* longest value quoted in a message */
#define CONF_MSG_MAX	    768
#define CONF_DEFAULT_IFNAME "mp0"
#define CONF_DEFAULT_PATH   "default"

/* Tunables (milliseconds): defaults and accepted ranges. */
#define CONF_REORDER_HOLD_DEFAULT   100
#define CONF_RETRANSMIT_AGE_DEFAULT 200
#define CONF_HEARTBEAT_DEFAULT	    200
#define CONF_DEAD_DEFAULT	    1000
#define CONF_CONNS_DEFAULT	    1
#define CONF_PRIORITY_MAX	    1000

enum sect { SECT_NONE, SECT_INTERFACE, SECT_PEER, SECT_PATH };
static const char *const sect_names[] = {"", "Interface", "Peer", "Path"};

#define KF_LIST 1 /* repeatable; a value may be a comma list */
#define KF_RAW	2 /* the rest of the line verbatim: no comment stripping */

enum key_id {
	K_NAME,
	K_MODE,
	K_ADDRESS,
	K_MTU,
	K_LISTEN,
	K_PRIVKEY,
	K_PRIVKEYFILE,
	K_PSK,
	K_PSKFILE,
	K_CIPHER,
	K_SCHED,
	K_REALTIME,
	K_RTBUDGET,
	K_CTLSOCK,
	K_USER,
	K_UDPLISTEN,
	K_UDPTARGET,
	K_PLAYOUT,
	K_REORDER,
	K_RETRANSMIT,
	K_HEARTBEAT,
	K_DEAD,
	K_POSTUP,
	K_PREDOWN,
	K_POSTDOWN,
	K_ONPATHUP,
	K_ONPATHDOWN,
	K_PEER_NAME,
	K_PUBKEY,
	K_PEER_PSK,
	K_PEER_ENDPOINT,
	K_ALLOWED_IPS,
	K_PATH_NAME,
	K_PATH_IF,
	K_PATH_SOURCE,
	K_PATH_ENDPOINT,
	K_PATH_VIA,
	K_PATH_CONNS,
	K_PATH_PRIO,
	K_PATH_BACKUP,
	K_PATH_EXPRESS,
	K_PATH_CC,
	K_PATH_DSCP,
	K_COUNT
};

/* Canonical spelling, section, flags and, for numbers and durations, the range. */
struct keydef {
	const char *name;
	enum sect sect;
	int flags;
	long lo, hi;
};

static const struct keydef keys[K_COUNT] = {
	[K_NAME] = {"Name", SECT_INTERFACE, 0, 0, 0},
	[K_MODE] = {"Mode", SECT_INTERFACE, 0, 0, 0},
	[K_ADDRESS] = {"Address", SECT_INTERFACE, KF_LIST, 0, 0},
	[K_MTU] = {"MTU", SECT_INTERFACE, 0, CONF_MTU_MIN, CONF_MTU_MAX},
	[K_LISTEN] = {"Listen", SECT_INTERFACE, KF_LIST, 0, 0},
	[K_PRIVKEY] = {"PrivateKey", SECT_INTERFACE, 0, 0, 0},
	[K_PRIVKEYFILE] = {"PrivateKeyFile", SECT_INTERFACE, 0, 0, 0},
	[K_PSK] = {"PresharedKey", SECT_INTERFACE, 0, 0, 0},
	[K_PSKFILE] = {"PresharedKeyFile", SECT_INTERFACE, 0, 0, 0},
	[K_CIPHER] = {"Cipher", SECT_INTERFACE, 0, 0, 0},
	[K_SCHED] = {"Scheduler", SECT_INTERFACE, 0, 0, 0},
	[K_REALTIME] = {"Realtime", SECT_INTERFACE, 0, 0, 0},
	[K_RTBUDGET] = {"RealtimeBudget", SECT_INTERFACE, 0, 0, CONF_RT_BUDGET_MAX},
	[K_CTLSOCK] = {"ControlSocket", SECT_INTERFACE, 0, 0, 0},
	[K_USER] = {"User", SECT_INTERFACE, 0, 0, 0},
	[K_UDPLISTEN] = {"UdpListen", SECT_INTERFACE, 0, 0, 0},
	[K_UDPTARGET] = {"UdpTarget", SECT_INTERFACE, 0, 0, 0},
	[K_PLAYOUT] = {"PlayoutDelay", SECT_INTERFACE, 0, 0, CONF_PLAYOUT_MAX},
	[K_REORDER] = {"ReorderHold", SECT_INTERFACE, 0, 0, 5000},
	[K_RETRANSMIT] = {"RetransmitAge", SECT_INTERFACE, 0, 0, 60000},
	[K_HEARTBEAT] = {"Heartbeat", SECT_INTERFACE, 0, 10, 60000},
	[K_DEAD] = {"DeadTimeout", SECT_INTERFACE, 0, 100, 600000},
	[K_POSTUP] = {"PostUp", SECT_INTERFACE, KF_RAW, 0, 0},
	[K_PREDOWN] = {"PreDown", SECT_INTERFACE, KF_RAW, 0, 0},
	[K_POSTDOWN] = {"PostDown", SECT_INTERFACE, KF_RAW, 0, 0},
	[K_ONPATHUP] = {"OnPathUp", SECT_INTERFACE, KF_RAW, 0, 0},
	[K_ONPATHDOWN] = {"OnPathDown", SECT_INTERFACE, KF_RAW, 0, 0},
	[K_PEER_NAME] = {"Name", SECT_PEER, 0, 0, 0},
	[K_PUBKEY] = {"PublicKey", SECT_PEER, 0, 0, 0},
	[K_PEER_PSK] = {"PresharedKey", SECT_PEER, 0, 0, 0},
	[K_PEER_ENDPOINT] = {"Endpoint", SECT_PEER, 0, 0, 0},
	[K_ALLOWED_IPS] = {"AllowedIPs", SECT_PEER, KF_LIST, 0, 0},
	[K_PATH_NAME] = {"Name", SECT_PATH, 0, 0, 0},
	[K_PATH_IF] = {"Interface", SECT_PATH, 0, 0, 0},
	[K_PATH_SOURCE] = {"Source", SECT_PATH, 0, 0, 0},
	[K_PATH_ENDPOINT] = {"Endpoint", SECT_PATH, 0, 0, 0},
	[K_PATH_VIA] = {"Via", SECT_PATH, KF_LIST, 0, 0},
	[K_PATH_CONNS] = {"Connections", SECT_PATH, 0, 1, CONF_MAX_CONNS},
	[K_PATH_PRIO] = {"Priority", SECT_PATH, 0, 0, CONF_PRIORITY_MAX},
	[K_PATH_BACKUP] = {"Backup", SECT_PATH, 0, 0, 0},
	[K_PATH_EXPRESS] = {"Express", SECT_PATH, 0, 0, 0},
	[K_PATH_CC] = {"Congestion", SECT_PATH, 0, 0, 0},
	[K_PATH_DSCP] = {"DSCP", SECT_PATH, 0, 0, 0},
};

struct parser {
	struct conf *c;
	const char *name; /* file name for messages */
	char *err;
	size_t errlen;
	int line;
	enum sect sect;
	struct conf_path *path; /* the [Path] being read */
	struct conf_peer *peer; /* the [Peer] being read (or the last one) */
	int endpoint_line;	/* the first [Peer] Endpoint */
	int allowed_line;	/* the first AllowedIPs */
	int sect_line[4];	/* first header line of each section kind */
	int seen[K_COUNT];	/* line a key was first set on (path keys: in this [Path]) */
};

static int perr_at(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pbad(struct parser *p, int id, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static const char *const mode_names[] = {[MODE_TUN] = "tun", [MODE_UDP] = "udp"};
static const char *const sched_names[] = {
	[SCHED_BALANCE] = "balance",
	[SCHED_ORDERED] = "ordered",
	[SCHED_REDUNDANT] = "redundant",
};
static const char *const realtime_names[] = {
	[RT_AUTO] = "auto",
	[RT_ALL] = "all",
	[RT_OFF] = "off",
};
static const char *const cipher_names[] = {
	[CIPHER_AUTO] = "auto",
	[CIPHER_CHACHA20POLY1305] = "chacha20poly1305",
	[CIPHER_AES256GCM] = "aes256gcm",
	[CIPHER_NONE] = "none",
	[CIPHER_AEGIS256X4] = "aegis256x4",
};

const char *
conf_mode_name(enum conf_mode m)
{
	if ((unsigned)m >= sizeof mode_names / sizeof mode_names[0])
		return "?";
	return mode_names[m];
}

const char *
conf_sched_name(enum conf_sched s)
{
	if ((unsigned)s >= sizeof sched_names / sizeof sched_names[0])
		return "?";
	return sched_names[s];
}

const char *
conf_realtime_name(enum conf_realtime r)
{
	if ((unsigned)r >= sizeof realtime_names / sizeof realtime_names[0])
		return "?";
	return realtime_names[r];
}

const char *
conf_cipher_name(enum conf_cipher ci)
{
	if ((unsigned)ci >= sizeof cipher_names / sizeof cipher_names[0])
		return "?";
	return cipher_names[ci];
}

int
conf_is_client(const struct conf *c)
{
	return c->nlisten == 0;
}

int
conf_path_tos(const struct conf_path *p)
{
	return p->has_dscp ? p->dscp << 2 : 0;
}

const struct conf_hostport *
conf_path_endpoint(const struct conf *c, const struct conf_path *p)
{
	if (p->has_endpoint)
		return &p->endpoint;
	return c->has_endpoint ? &c->endpoint : NULL;
}

/* A copy of s fit for a one-line message: printable ASCII only, at most CONF_QUOTE_MAX. */
static const char *
quote(char out[CONF_QUOTE_MAX + 4], const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < CONF_QUOTE_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static int
perr_at(struct parser *p, int line, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->errlen > 0) {
		char *ch;
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, msg);
		/* One line, whatever the value held (proxy.c quotes values as they are). */
		for (ch = p->err; *ch != '\0'; ch++)
			if ((unsigned char)*ch < 0x20 || *ch == 0x7f)
				*ch = '?';
	}
	return -1;
}

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return perr_at(p, p->line, "%s", msg);
}

/* "Key 'value': why", at the current line. */
static int
pbad(struct parser *p, int id, const char *val, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX], q[CONF_QUOTE_MAX + 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return perr(p, "%s '%s': %s", keys[id].name, quote(q, val), msg);
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static char *
trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * Cut a trailing comment: '#' or ';' after a blank, or first in the value (which the
 * canonical form prints after "Key = ", so it must not mean anything else).
 */
static void
strip_comment(char *s)
{
	while (is_blank(*s))
		s++;
	if (*s == '#' || *s == ';') {
		*s = '\0';
		return;
	}
	for (; *s != '\0'; s++)
		if ((s[0] == ' ' || s[0] == '\t') && (s[1] == '#' || s[1] == ';')) {
			*s = '\0';
			return;
		}
}

/* The value checks of conf_value.c, with "Key 'value': " in front of their reasons. */
static int
set_num(struct parser *p, int id, const char *val, int *out)
{
	char why[CONF_MSG_MAX];
	long v;

	if (conf_value_num(val, keys[id].lo, keys[id].hi, &v, why, sizeof why) == -1)
		return pbad(p, id, val, "%s", why);
	*out = (int)v;
	return 0;
}

static int
set_duration(struct parser *p, int id, const char *val, int *out)
{
	char why[CONF_MSG_MAX];

	if (conf_value_duration(val, keys[id].lo, keys[id].hi, out, why, sizeof why) == -1)
		return pbad(p, id, val, "%s", why);
	return 0;
}

static int
set_ifname(struct parser *p, int id, const char *val, char *out)
{
	if (!conf_value_ifname(val))
		return pbad(p, id, val, "not a device name (1 to %d of A-Z a-z 0-9 _ . -)",
			    CONF_IFNAME_LEN);
	strcpy(out, val);
	return 0;
}

static int
set_text(struct parser *p, int id, const char *val, char *out, size_t max)
{
	char why[CONF_MSG_MAX];

	if (conf_value_text(val, max, why, sizeof why) == -1)
		return pbad(p, id, val, "%s", why);
	strcpy(out, val);
	return 0;
}

static int
set_addr(struct parser *p, int id, const char *val, int want_prefix, struct conf_addr *a)
{
	char why[CONF_MSG_MAX];

	if (conf_value_addr(val, want_prefix, a, why, sizeof why) == -1)
		return pbad(p, id, val, "%s", why);
	return 0;
}

static int
set_hostport(struct parser *p, int id, const char *val, int need_ip, struct conf_hostport *out)
{
	struct conf_hostport hp;
	char why[CONF_MSG_MAX];

	memset(&hp, 0, sizeof hp); /* whole struct zeroed: round-trip compares bytes */
	/* proxy.c's messages start with the quoted value: "'h': missing port". */
	if (proxy_parse_hostport(&hp, val, why, sizeof why) == -1)
		return perr(p, "%s %s", keys[id].name, why);
	if (need_ip && !conf_value_is_ip(hp.host))
		return pbad(p, id, val, "the host must be an IP address, not a name");
	*out = hp;
	return 0;
}

/* Secrets are never quoted in messages. */
static int
set_key(struct parser *p, int id, const char *val, uint8_t out[CONF_KEY_LEN])
{
	if (conf_value_key(val, out) == -1)
		return perr(p, "%s: not a key (%d characters of base64 encoding %d bytes)",
			    keys[id].name, CONF_KEY_B64_LEN, CONF_KEY_LEN);
	return 0;
}

/* A relative key file name is taken relative to the directory of the config file. */
static int
set_key_file(struct parser *p, int id, const char *val, char *name_out, uint8_t out[CONF_KEY_LEN])
{
	char path[CONF_STR_MAX], why[CONF_MSG_MAX];
	const char *slash = strrchr(p->name, '/');

	if (set_text(p, id, val, name_out, CONF_STR_MAX) == -1)
		return -1;
	if (val[0] != '/' && slash != NULL) {
		if ((size_t)snprintf(path, sizeof path, "%.*s/%s", (int)(slash - p->name), p->name,
				     val) >= sizeof path)
			return pbad(p, id, val, "path too long");
	} else {
		snprintf(path, sizeof path, "%s", val);
	}
	if (conf_value_key_file(path, out, why, sizeof why) == -1)
		return pbad(p, id, val, "%s", why);
	return 0;
}

/* Map a name to its index in names[], any case; -1 if none matches. */
static int
lookup(const char *const *names, int n, const char *val)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], val) == 0)
			return i;
	return -1;
}

static int
set_enum(struct parser *p, int id, const char *val, const char *const *names, int n, int *out)
{
	char list[128] = "";
	int i, v = lookup(names, n, val);

	if (v >= 0) {
		*out = v;
		return 0;
	}
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	return pbad(p, id, val, "expected one of %s", list);
}

static int
add_address(struct parser *p, const char *val)
{
	struct conf *c = p->c;
	struct conf_addr a;
	int i;

	if (set_addr(p, K_ADDRESS, val, 1, &a) == -1)
		return -1;
	for (i = 0; i < c->naddrs; i++)
		if (c->addrs[i].family == a.family && memcmp(c->addrs[i].addr, a.addr, 16) == 0)
			return pbad(p, K_ADDRESS, val, "address given twice");
	if (c->naddrs == CONF_MAX_ADDRS)
		return pbad(p, K_ADDRESS, val, "more than %d addresses", CONF_MAX_ADDRS);
	c->addrs[c->naddrs++] = a;
	return 0;
}

/*
 * One AllowedIPs prefix, as WireGuard reads them: an address without /length is a host
 * route, and host bits past the length are cleared (10.1.2.3/8 is 10.0.0.0/8), so the
 * canonical form and the routing table hold the prefix that is meant.
 */
static int
add_allowed_ip(struct parser *p, const char *val)
{
	struct conf *c = p->c;
	struct conf_peer *pe = p->peer;
	struct conf_addr a;
	char s[INET6_ADDRSTRLEN];
	int i, j;

	if (set_addr(p, K_ALLOWED_IPS, val, strchr(val, '/') != NULL, &a) == -1)
		return -1;
	for (i = a.prefix; i < 128; i++)
		a.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	/* one prefix, one peer: a second claim would silently move it (WireGuard does) */
	for (j = 0; j < c->npeers; j++)
		for (i = c->peers[j].allowed; i < c->peers[j].allowed + c->peers[j].nallowed; i++)
			if (c->allowed_ips[i].family == a.family &&
			    c->allowed_ips[i].prefix == a.prefix &&
			    memcmp(c->allowed_ips[i].addr, a.addr, 16) == 0)
				return &c->peers[j] == pe
					       ? pbad(p, K_ALLOWED_IPS, val, "%s/%u given twice",
						      inet_ntop(a.family, a.addr, s, sizeof s),
						      a.prefix)
					       : pbad(p, K_ALLOWED_IPS, val,
						      "%s/%u is peer '%s''s already (line %d)",
						      inet_ntop(a.family, a.addr, s, sizeof s),
						      a.prefix, c->peers[j].name, c->peers[j].line);
	if (c->nallowed_ips == CONF_MAX_ALLOWED_IPS)
		return pbad(p, K_ALLOWED_IPS, val, "more than %d prefixes in all",
			    CONF_MAX_ALLOWED_IPS);
	c->allowed_ips[c->nallowed_ips++] = a;
	pe->nallowed++;
	return 0;
}

/* Name in [Peer]: a label for show, JSON and metrics, unique among the peers. */
static int
set_peer_name(struct parser *p, const char *val)
{
	struct conf *c = p->c;
	int i;

	if (!conf_value_label(val, CONF_NAME_MAX - 1))
		return pbad(p, K_PEER_NAME, val, "not a peer name (1 to %d of A-Z a-z 0-9 _ . -)",
			    CONF_NAME_MAX - 1);
	for (i = 0; i < c->npeers; i++)
		if (&c->peers[i] != p->peer && strcmp(c->peers[i].name, val) == 0)
			return pbad(p, K_PEER_NAME, val, "duplicate peer name (first on line %d)",
				    c->peers[i].line);
	strcpy(p->peer->name, val);
	p->peer->has_name = 1;
	return 0;
}

static int
add_listen(struct parser *p, const char *val)
{
	struct conf *c = p->c;
	struct conf_hostport hp;
	int i;

	if (set_hostport(p, K_LISTEN, val, 1, &hp) == -1)
		return -1;
	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].port == hp.port && strcmp(c->listen[i].host, hp.host) == 0)
			return pbad(p, K_LISTEN, val, "given twice");
	if (c->nlisten == CONF_MAX_LISTEN)
		return pbad(p, K_LISTEN, val, "more than %d Listen addresses", CONF_MAX_LISTEN);
	c->listen[c->nlisten++] = hp;
	return 0;
}

static int
add_via(struct parser *p, const char *val)
{
	struct conf_path *pa = p->path;
	struct conf_via v;
	char why[CONF_MSG_MAX];

	memset(&v, 0, sizeof v);
	if (proxy_parse_via(&v, val, why, sizeof why) == -1)
		return perr(p, "Via %s", why);
	if (pa->nvia == CONF_MAX_VIA)
		return pbad(p, K_PATH_VIA, val, "more than %d hops", CONF_MAX_VIA);
	pa->via[pa->nvia++] = v;
	sodium_memzero(&v, sizeof v);
	return 0;
}

static int
set_path_name(struct parser *p, const char *val)
{
	struct conf *c = p->c;
	int i;

	if (!conf_value_label(val, CONF_NAME_MAX - 1))
		return pbad(p, K_PATH_NAME, val, "not a path name (1 to %d of A-Z a-z 0-9 _ . -)",
			    CONF_NAME_MAX - 1);
	for (i = 0; i < c->npaths - 1; i++)
		if (strcmp(c->paths[i].name, val) == 0)
			return pbad(p, K_PATH_NAME, val, "duplicate path name (first on line %d)",
				    c->paths[i].line);
	strcpy(p->path->name, val);
	return 0;
}

/* One value (one item of a list) for key id. */
static int
set_value(struct parser *p, int id, const char *val)
{
	struct conf *c = p->c;
	struct conf_path *pa = p->path;
	int v;

	switch (id) {
	case K_NAME:
		return set_ifname(p, id, val, c->ifname);
	case K_MODE:
		if (set_enum(p, id, val, mode_names, 2, &v) == -1)
			return -1;
		c->mode = (enum conf_mode)v;
		return 0;
	case K_ADDRESS:
		return add_address(p, val);
	case K_MTU:
		return set_num(p, id, val, &c->mtu);
	case K_LISTEN:
		return add_listen(p, val);
	case K_PRIVKEY:
	case K_PRIVKEYFILE:
		if (p->seen[K_PRIVKEY] && p->seen[K_PRIVKEYFILE])
			return perr(p, "PrivateKey and PrivateKeyFile exclude each other");
		c->has_private_key = 1;
		if (id == K_PRIVKEY)
			return set_key(p, id, val, c->private_key);
		return set_key_file(p, id, val, c->private_key_file, c->private_key);
	case K_PSK:
	case K_PSKFILE:
		if (p->seen[K_PSK] && p->seen[K_PSKFILE])
			return perr(p, "PresharedKey and PresharedKeyFile exclude each other");
		c->has_psk = 1;
		if (id == K_PSK)
			return set_key(p, id, val, c->psk);
		return set_key_file(p, id, val, c->psk_file, c->psk);
	case K_CIPHER:
		if (set_enum(p, id, val, cipher_names, 5, &v) == -1)
			return -1;
		c->cipher = (enum conf_cipher)v;
		return 0;
	case K_SCHED:
		if (set_enum(p, id, val, sched_names, 3, &v) == -1)
			return -1;
		c->sched = (enum conf_sched)v;
		return 0;
	case K_REALTIME:
		if (set_enum(p, id, val, realtime_names, 3, &v) == -1)
			return -1;
		c->realtime = (enum conf_realtime)v;
		return 0;
	case K_RTBUDGET: {
		char num[16];
		size_t n = strlen(val);

		/* "5" or "5%" */
		if (n > 0 && val[n - 1] == '%')
			n--;
		if (n == 0 || n >= sizeof(num))
			return pbad(p, id, val, "expected a percentage, 0 to %d", CONF_RT_BUDGET_MAX);
		memcpy(num, val, n);
		num[n] = '\0';
		return set_num(p, id, num, &c->rt_budget);
	}
	case K_CTLSOCK:
		/* It must fit in sockaddr_un. */
		return set_text(p, id, val, c->control_socket,
				sizeof(((struct sockaddr_un *)NULL)->sun_path));
	case K_USER:
		if (!conf_value_label(val, CONF_NAME_MAX - 1))
			return pbad(p, id, val, "not a user name (1 to %d of A-Z a-z 0-9 _ . -)",
				    CONF_NAME_MAX - 1);
		strcpy(c->user, val);
		return 0;
	case K_UDPLISTEN:
		c->has_udp_listen = 1;
		return set_hostport(p, id, val, 1, &c->udp_listen);
	case K_UDPTARGET:
		c->has_udp_target = 1;
		return set_hostport(p, id, val, 1, &c->udp_target);
	case K_PLAYOUT:
		return set_duration(p, id, val, &c->playout_ms);
	case K_REORDER:
		return set_duration(p, id, val, &c->reorder_hold_ms);
	case K_RETRANSMIT:
		return set_duration(p, id, val, &c->retransmit_age_ms);
	case K_HEARTBEAT:
		return set_duration(p, id, val, &c->heartbeat_ms);
	case K_DEAD:
		return set_duration(p, id, val, &c->dead_ms);
	case K_POSTUP:
		return set_text(p, id, val, c->post_up, CONF_STR_MAX);
	case K_PREDOWN:
		return set_text(p, id, val, c->pre_down, CONF_STR_MAX);
	case K_POSTDOWN:
		return set_text(p, id, val, c->post_down, CONF_STR_MAX);
	case K_ONPATHUP:
		return set_text(p, id, val, c->on_path_up, CONF_STR_MAX);
	case K_ONPATHDOWN:
		return set_text(p, id, val, c->on_path_down, CONF_STR_MAX);
	case K_PEER_NAME:
		return set_peer_name(p, val);
	case K_PUBKEY:
		p->peer->has_key = 1;
		p->peer->key_line = p->line;
		return set_key(p, id, val, p->peer->key);
	case K_PEER_PSK:
		p->peer->has_psk = 1;
		return set_key(p, id, val, p->peer->psk);
	case K_PEER_ENDPOINT:
		if (c->has_endpoint)
			return perr(p, "Endpoint is for a client's one [Peer] (already set on line "
				       "%d)", p->endpoint_line);
		p->endpoint_line = p->line;
		c->has_endpoint = 1;
		return set_hostport(p, id, val, 0, &c->endpoint);
	case K_ALLOWED_IPS:
		if (p->allowed_line == 0)
			p->allowed_line = p->line;
		return add_allowed_ip(p, val);
	case K_PATH_NAME:
		return set_path_name(p, val);
	case K_PATH_IF:
		if (strcmp(val, CONF_PATH_ANY_IFACE) == 0) { /* a template: one path per interface */
			strcpy(pa->ifname, val);
			return 0;
		}
		return set_ifname(p, id, val, pa->ifname);
	case K_PATH_SOURCE:
		pa->has_source = 1;
		return set_addr(p, id, val, 0, &pa->source);
	case K_PATH_ENDPOINT:
		pa->has_endpoint = 1;
		return set_hostport(p, id, val, 0, &pa->endpoint);
	case K_PATH_VIA:
		return add_via(p, val);
	case K_PATH_CONNS:
		return set_num(p, id, val, &pa->connections);
	case K_PATH_PRIO:
		return set_num(p, id, val, &pa->priority);
	case K_PATH_BACKUP:
		if (conf_value_bool(val, &pa->backup) == -1)
			return pbad(p, id, val, "expected yes or no");
		return 0;
	case K_PATH_EXPRESS:
		if (conf_value_bool(val, &pa->express) == -1)
			return pbad(p, id, val, "expected yes or no");
		return 0;
	case K_PATH_CC:
		if (!conf_value_congestion(val))
			return pbad(p, id, val,
				    "not a congestion control name (1 to %d of a-z 0-9 _)",
				    CONF_CC_NAME_LEN);
		strcpy(pa->congestion, val);
		pa->congestion_line = p->line;
		return 0;
	case K_PATH_DSCP: {
		char why[CONF_MSG_MAX];

		if (conf_value_dscp(val, &pa->dscp, why, sizeof why) == -1)
			return pbad(p, id, val, "%s", why);
		pa->has_dscp = 1;
		return 0;
	}
	}
	return perr(p, "internal error: key %d", id);
}

static int
find_key(enum sect s, const char *name)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if ((s == SECT_NONE || keys[i].sect == s) && strcasecmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

static int
parse_keyval(struct parser *p, const char *key, char *val)
{
	char q[CONF_QUOTE_MAX + 4], whole[CONF_QUOTE_MAX + 4];
	char *item, *next;
	int id;

	if (p->sect == SECT_NONE)
		return perr(p, "key '%s' before any [Section]", quote(q, key));
	if ((id = find_key(p->sect, key)) == -1) {
		int other = find_key(SECT_NONE, key);
		if (other != -1)
			return perr(p, "unknown key '%s' in [%s] (it belongs in [%s])",
				    quote(q, key), sect_names[p->sect],
				    sect_names[keys[other].sect]);
		return perr(p, "unknown key '%s' in [%s]", quote(q, key), sect_names[p->sect]);
	}
	if (!(keys[id].flags & KF_RAW))
		strip_comment(val);
	val = trim(val);
	if (*val == '\0')
		return perr(p, "%s: empty value", keys[id].name);
	if (p->seen[id] && !(keys[id].flags & KF_LIST))
		return perr(p, "duplicate key '%s' (first on line %d)", keys[id].name, p->seen[id]);
	if (!p->seen[id])
		p->seen[id] = p->line;
	if (!(keys[id].flags & KF_LIST))
		return set_value(p, id, val);
	quote(whole, val); /* for messages: the split below cuts val */
	for (item = val; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			return perr(p, "%s '%s': empty item in the list", keys[id].name, whole);
		if (set_value(p, id, item) == -1)
			return -1;
	}
	return 0;
}

/* Close the [Path] being read, if any: Name is required. */
static int
end_path(struct parser *p)
{
	if (p->path != NULL && p->path->name[0] == '\0')
		return perr_at(p, p->path->line, "[Path] without Name");
	/* unset, Express is on unless Connections leaves it no room */
	if (p->path != NULL && !p->seen[K_PATH_EXPRESS])
		p->path->express = p->path->connections < CONF_MAX_CONNS;
	if (p->path != NULL && p->path->express && p->path->connections >= CONF_MAX_CONNS)
		return perr_at(p, p->seen[K_PATH_CONNS],
			       "Connections '%d': at most %d with Express (it adds one)",
			       p->path->connections, CONF_MAX_CONNS - 1);
	p->path = NULL;
	return 0;
}

static int
parse_section(struct parser *p, char *s)
{
	char q[CONF_QUOTE_MAX + 4];
	struct conf *c = p->c;
	char *rb = strchr(s, ']'), *rest, *name;
	enum sect sect;
	int i;

	if (rb == NULL)
		return perr(p, "unterminated section header '%s'", quote(q, s));
	rest = trim(rb + 1);
	if (*rest != '\0' && *rest != '#' && *rest != ';')
		return perr(p, "text after the section header: '%s'", quote(q, rest));
	*rb = '\0';
	name = trim(s + 1);
	if (end_path(p) == -1)
		return -1;
	for (sect = SECT_INTERFACE; sect <= SECT_PATH; sect++)
		if (strcasecmp(name, sect_names[sect]) == 0)
			break;
	if (sect > SECT_PATH)
		return perr(p, "unknown section [%s]", quote(q, name));
	p->sect = sect;
	if (sect == SECT_PEER) {
		if (p->sect_line[SECT_PEER] == 0)
			p->sect_line[SECT_PEER] = p->line;
		if (c->npeers == CONF_MAX_PEERS)
			return perr(p, "more than %d [Peer] sections", CONF_MAX_PEERS);
		p->peer = &c->peers[c->npeers++];
		p->peer->line = p->line;
		p->peer->allowed = c->nallowed_ips;
		snprintf(p->peer->name, sizeof(p->peer->name), "peer%d", c->npeers);
		for (i = 0; i < K_COUNT; i++)
			if (keys[i].sect == SECT_PEER)
				p->seen[i] = 0;
		return 0;
	}
	if (sect != SECT_PATH) {
		if (p->sect_line[sect] != 0)
			return perr(p, "duplicate section [%s] (first on line %d)",
				    sect_names[sect], p->sect_line[sect]);
		p->sect_line[sect] = p->line;
		return 0;
	}
	if (p->sect_line[SECT_PATH] == 0)
		p->sect_line[SECT_PATH] = p->line;
	if (c->npaths == CONF_MAX_PATHS)
		return perr(p, "more than %d [Path] sections", CONF_MAX_PATHS);
	p->path = &c->paths[c->npaths++];
	p->path->connections = CONF_CONNS_DEFAULT;
	p->path->line = p->line;
	for (i = 0; i < K_COUNT; i++)
		if (keys[i].sect == SECT_PATH)
			p->seen[i] = 0;
	return 0;
}

static int
parse_line(struct parser *p, char *s)
{
	char q[CONF_QUOTE_MAX + 4];
	char *eq;

	s = trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	if ((eq = strchr(s, '=')) == NULL)
		return perr(p, "expected 'Key = value' or '[Section]', not '%s'", quote(q, s));
	*eq = '\0';
	return parse_keyval(p, trim(s), eq + 1);
}

/* Keys against peers: who authenticates how, and that no two peers are one. */
static int
check_peers(struct parser *p)
{
	struct conf *c = p->c;
	int i, j, priv = p->seen[K_PRIVKEY] ? p->seen[K_PRIVKEY] : p->seen[K_PRIVKEYFILE];

	for (i = 0; i < c->npeers; i++) {
		const struct conf_peer *pe = &c->peers[i];

		if (c->has_private_key && !pe->has_key)
			return perr_at(p, pe->line != 0 ? pe->line : priv,
				       "PrivateKey needs the peer's key: set [Peer] PublicKey");
		if (pe->has_key && !c->has_private_key)
			return perr_at(p, pe->key_line,
				       "PublicKey needs our key: set PrivateKey in [Interface]");
		if (pe->has_psk && !c->has_private_key)
			return perr_at(p, pe->line,
				       "[Peer] PresharedKey goes with key pairs; with a pre-shared "
				       "key alone, set it in [Interface]");
		if (i > 0 && !c->has_private_key)
			return perr_at(p, pe->line,
				       "several [Peer] sections need key pairs (PrivateKey, "
				       "PublicKey): a pre-shared key alone cannot tell peers apart");
		for (j = 0; j < i; j++) {
			if (strcmp(c->peers[j].name, pe->name) == 0)
				return perr_at(p, pe->line, "duplicate peer name '%s' (line %d)",
					       pe->name, c->peers[j].line);
			if (pe->has_key &&
			    sodium_memcmp(c->peers[j].key, pe->key, CONF_KEY_LEN) == 0)
				return perr_at(p, pe->key_line,
					       "PublicKey is peer '%s''s already (line %d): one key, "
					       "one peer",
					       c->peers[j].name, c->peers[j].line);
		}
	}
	return 0;
}

/* The rules that span keys, once the whole file is read. */
static int
check(struct parser *p)
{
	struct conf *c = p->c;
	int i, iface = p->sect_line[SECT_INTERFACE];

	if (iface == 0)
		return perr_at(p, 1, "missing [Interface] section");
	if (c->mode == MODE_UDP && c->naddrs > 0)
		return perr_at(p, p->seen[K_ADDRESS], "Address is for Mode = tun, not udp");
	if (c->mode == MODE_UDP && c->nallowed_ips > 0)
		return perr_at(p, p->allowed_line, "AllowedIPs is for Mode = tun, not udp");
	if (c->mode == MODE_UDP && c->npeers > 1)
		return perr_at(p, c->peers[1].line, "Mode = udp serves one peer: one [Peer] only");
	if (c->mode == MODE_UDP && !c->has_udp_listen && !c->has_udp_target)
		return perr_at(p, p->seen[K_MODE], "Mode = udp needs UdpListen or UdpTarget");
	if (c->mode == MODE_TUN && (c->has_udp_listen || c->has_udp_target))
		return perr_at(p, p->seen[c->has_udp_listen ? K_UDPLISTEN : K_UDPTARGET],
			       "%s needs Mode = udp",
			       c->has_udp_listen ? "UdpListen" : "UdpTarget");
	if (c->mode == MODE_TUN && c->mtu > CONF_TUN_MTU_MAX)
		return perr_at(p, p->seen[K_MTU], "MTU '%d': at most %d with Mode = tun", c->mtu,
			       CONF_TUN_MTU_MAX);
	if (c->mode == MODE_TUN && c->playout_ms > 0)
		return perr_at(p, p->seen[K_PLAYOUT], "PlayoutDelay is for Mode = udp, not tun");
	if (c->dead_ms < 2 * c->heartbeat_ms)
		return perr_at(p, p->seen[K_DEAD] ? p->seen[K_DEAD] : p->seen[K_HEARTBEAT],
			       "DeadTimeout (%dms) must be at least twice Heartbeat (%dms)",
			       c->dead_ms, c->heartbeat_ms);

	/* Authentication is not optional: a key pair, a pre-shared key, or both. */
	if (c->npeers == 0) {
		/* pre-shared-key mode needs no [Peer]: the one peer is implicit */
		c->npeers = 1;
		strcpy(c->peers[0].name, "peer1");
	}
	if (check_peers(p) == -1)
		return -1;
	if (!c->has_private_key && !c->has_psk)
		return perr_at(p, iface,
			       "no keys: set PrivateKey and [Peer] PublicKey, or PresharedKey");
	/* Alone, the pre-shared key is the only secret: the handshake refuses all zeros. */
	if (!c->has_private_key && sodium_is_zero(c->psk, CONF_KEY_LEN))
		return perr_at(p, p->seen[K_PSK] ? p->seen[K_PSK] : p->seen[K_PSKFILE],
			       "PresharedKey is all zeros: make one with \"mptun genkey\"");

	/* A server listens and is dialed; a client dials each path's endpoint. */
	if (c->nlisten > 0) {
		if (c->has_endpoint)
			return perr_at(p, p->endpoint_line,
				       "Endpoint is for the client side, but Listen (line %d) "
				       "makes this a server",
				       p->seen[K_LISTEN]);
		for (i = 0; c->npeers > 1 && i < c->npeers; i++)
			if (c->peers[i].nallowed == 0)
				return perr_at(p, c->peers[i].line,
					       "[Peer] '%s' has no AllowedIPs: with several peers, "
					       "each needs the inner addresses routed to it",
					       c->peers[i].name);
		if (c->npaths > 0)
			return perr_at(p, c->paths[0].line,
				       "[Path] is for the client side, but Listen (line %d) "
				       "makes this a server",
				       p->seen[K_LISTEN]);
		return 0;
	}
	if (c->npeers > 1)
		return perr_at(p, c->peers[1].line,
			       "a client (no Listen) has one [Peer], its server; several are for "
			       "the listening side");
	for (i = 0; i < c->npaths; i++)
		if (c->paths[i].has_endpoint)
			break;
	if (!c->has_endpoint && i == c->npaths)
		return perr_at(p, iface,
			       "neither Listen (server) nor an Endpoint in [Peer] or [Path] "
			       "(client) is set");
	for (i = 0; i < c->npaths; i++)
		if (conf_path_endpoint(c, &c->paths[i]) == NULL)
			return perr_at(p, c->paths[i].line,
				       "[Path] '%s': missing endpoint: set Endpoint here or in "
				       "[Peer]",
				       c->paths[i].name);
	if (c->npaths == 0) {
		/* The implicit path: the peer's endpoint, the defaults, any interface. */
		struct conf_path *pa = &c->paths[c->npaths++];
		strcpy(pa->name, CONF_DEFAULT_PATH);
		pa->connections = CONF_CONNS_DEFAULT;
		pa->express = 1;
	}
	return 0;
}

int
conf_parse(struct conf *c, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	char line[CONF_LINE_MAX + 1];
	struct parser p;
	size_t pos = 0, n;
	const char *nl;
	int r = -1;

	memset(c, 0, sizeof *c);
	snprintf(c->file, sizeof c->file, "%s", name);
	strcpy(c->ifname, CONF_DEFAULT_IFNAME);
	c->mode = MODE_TUN;
	c->mtu = CONF_MTU_DEFAULT;
	c->cipher = CIPHER_AUTO;
	c->sched = SCHED_BALANCE;
	c->realtime = RT_AUTO;
	c->rt_budget = CONF_RT_BUDGET_DEFAULT;
	c->reorder_hold_ms = CONF_REORDER_HOLD_DEFAULT;
	c->retransmit_age_ms = CONF_RETRANSMIT_AGE_DEFAULT;
	c->heartbeat_ms = CONF_HEARTBEAT_DEFAULT;
	c->dead_ms = CONF_DEAD_DEFAULT;

	memset(&p, 0, sizeof p);
	p.c = c;
	p.name = name;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* UTF-8 byte order mark */
		pos = 3;
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		p.line++;
		if (n > CONF_LINE_MAX) {
			perr(&p, "line longer than %d bytes", CONF_LINE_MAX);
			goto out;
		}
		if (memchr(text + pos, '\0', n) != NULL) {
			perr(&p, "NUL byte in the line");
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (parse_line(&p, line) == -1)
			goto out;
	}
	if (end_path(&p) == -1 || check(&p) == -1)
		goto out;
	r = 0;
out:
	sodium_memzero(line, sizeof line); /* it may have held a key */
	if (r == -1)
		sodium_memzero(c, sizeof *c);
	return r;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (len <= CONF_FILE_MAX && (n = read(fd, buf + len, CONF_FILE_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONF_FILE_MAX);
		goto out;
	}
	r = conf_parse(c, path, buf, len, err, errlen);
out:
	if (buf != NULL) {
		sodium_memzero(buf, CONF_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return r;
}
