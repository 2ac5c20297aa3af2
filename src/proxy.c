/*
 * proxy: host:port and hop URI parsing, and the SOCKS5 / HTTP CONNECT client state machines
 * (see proxy.h for the contract).
 *
 * Every byte from a proxy is untrusted. SOCKS5 replies are assembled in h->in only up to the
 * length their own header announces (checked before it is trusted); HTTP responses are
 * scanned byte by byte with the status line kept (bounded) and the rest of the header only
 * counted, so a response costs PROXY_HTTP_HEADER_MAX bytes of input at most and no memory.
 * Nothing here allocates, reads a clock or touches an fd.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proxy.h"

#define SANITIZE_MAX 64 /* longest excerpt of a proxy's text quoted in a message */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct proxy_hop *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Record an error as "kind host:port: message" and latch the failed state. */
static int
fail(struct proxy_hop *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(h->err, sizeof(h->err), "%s %s: ", proxy_kind_name(h->via.kind), h->label);
	if (n < 0 || (size_t)n >= sizeof(h->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(h->err + n, sizeof(h->err) - (size_t)n, fmt, ap);
	va_end(ap);
	h->state = PROXY_S_FAILED;
	return PROXY_ERR;
}

/* Copy at most SANITIZE_MAX bytes of untrusted text, printable ASCII only. */
static void
sanitize(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i;

	if (outlen == 0)
		return;
	if (n > SANITIZE_MAX)
		n = SANITIZE_MAX;
	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[n] = '\0';
}

/* ---- host:port ---- */

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* A host name or IPv4 literal: letters, digits, '-', '.', '_'. */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* An IPv6 literal with an optional %zone; addr receives the address when not NULL. */
static int
v6_ok(const char *s, size_t n, uint8_t addr[16])
{
	char tmp[INET6_ADDRSTRLEN];
	uint8_t a[16];
	const char *pct = memchr(s, '%', n);
	size_t alen = pct != NULL ? (size_t)(pct - s) : n;

	if (alen == 0 || alen >= sizeof(tmp))
		return 0;
	if (pct != NULL && !name_ok(pct + 1, n - alen - 1))
		return 0;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET6, tmp, a) != 1)
		return 0;
	if (addr != NULL)
		memcpy(addr, a, 16);
	return 1;
}

/* A decimal port 1..65535: digits only (no sign, no spaces), at most 5 of them. */
static int
port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * A bracket opens an IPv6 literal; otherwise the last ':' separates the port, and a second
 * ':' means an IPv6 address written without brackets, refused rather than guessed at.
 */
int
proxy_parse_hostport(struct conf_hostport *out, const char *s, char *err, size_t errlen)
{
	const char *host, *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL) {
			seterr(err, errlen, "'%s': missing ']'", s);
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(end - host);
		if (!v6_ok(host, hlen, NULL)) {
			seterr(err, errlen, "'%s': bad IPv6 address", s);
			return -1;
		}
		if (end[1] != ':') {
			seterr(err, errlen, "'%s': missing port (write [addr]:port)", s);
			return -1;
		}
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			seterr(err, errlen, "'%s': missing port (write host:port)", s);
			return -1;
		}
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			seterr(err, errlen, "'%s': IPv6 addresses go in brackets: [addr]:port", s);
			return -1;
		}
		host = s;
		hlen = (size_t)(colon - s);
		if (hlen == 0) {
			seterr(err, errlen, "'%s': missing host", s);
			return -1;
		}
		if (!name_ok(host, hlen)) {
			seterr(err, errlen, "'%s': bad host name", s);
			return -1;
		}
	}
	if (hlen >= sizeof(out->host)) {
		seterr(err, errlen, "'%.32s...': host over %zu bytes", s, sizeof(out->host) - 1);
		return -1;
	}
	if (port_parse(colon + 1, &out->port) == -1) {
		seterr(err, errlen, "'%s': bad port (1 to 65535)", s);
		return -1;
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	return 0;
}

void
proxy_format_hostport(const struct conf_hostport *hp, char *out, size_t outlen)
{
	if (strchr(hp->host, ':') != NULL)
		snprintf(out, outlen, "[%s]:%u", hp->host, (unsigned)hp->port);
	else
		snprintf(out, outlen, "%s:%u", hp->host, (unsigned)hp->port);
}

/* ---- hop URIs ---- */

static const struct {
	const char *name;
	enum via_kind kind;
} schemes[] = {
	{"tcp", VIA_TCP},
	{"socks5", VIA_SOCKS5},
	{"socks5h", VIA_SOCKS5}, /* curl's spelling of "the proxy resolves": what we do anyway */
	{"http", VIA_HTTP},
};

const char *
proxy_kind_name(enum via_kind k)
{
	switch (k) {
	case VIA_TCP:
		return "tcp";
	case VIA_SOCKS5:
		return "socks5";
	case VIA_HTTP:
		return "http";
	}
	return "?";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (NUL-terminated); -1 on a bad escape, %00 or overflow. */
static int
pct_decode(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static void
pct_encode(char *out, size_t outlen, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = name_char(c) || c == '~';

		if (o + (plain ? 1 : 3) >= outlen)
			break;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (outlen > 0)
		out[o] = '\0';
}

/*
 * scheme "://" [ user ":" password "@" ] host ":" port [ "/" ]. The scheme is matched
 * without case; anything after the authority (path, query, fragment) is refused, since a
 * hop has none and a stray one is more likely a typo than intent.
 */
int
proxy_parse_via(struct conf_via *out, const char *uri, char *err, size_t errlen)
{
	const char *sep = strstr(uri, "://"), *auth, *at, *colon;
	char hostport[CONF_HOST_MAX + 16];
	size_t i, slen, alen;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (sep == NULL) {
		seterr(err, errlen, "'%s': not a hop (tcp://, socks5:// or http://host:port)", uri);
		return -1;
	}
	slen = (size_t)(sep - uri);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == slen &&
		    strncasecmp(uri, schemes[i].name, slen) == 0) {
			out->kind = schemes[i].kind;
			found = 1;
			break;
		}
	}
	if (!found) {
		seterr(err, errlen, "'%s': unknown scheme (tcp, socks5 or http)", uri);
		return -1;
	}
	auth = sep + 3;
	alen = strlen(auth);
	if (alen > 0 && auth[alen - 1] == '/')
		alen--; /* "http://proxy:3128/" as browsers print it */
	if (memchr(auth, '/', alen) != NULL || memchr(auth, '?', alen) != NULL ||
	    memchr(auth, '#', alen) != NULL) {
		seterr(err, errlen, "'%s': a hop has no path or query", uri);
		return -1;
	}

	/* the last '@': host names cannot hold one, so the rest is the userinfo */
	at = NULL;
	for (i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	if (at != NULL) {
		size_t ulen = (size_t)(at - auth);

		if (out->kind == VIA_TCP) {
			seterr(err, errlen, "'%s': tcp:// hops take no user name", uri);
			return -1;
		}
		colon = memchr(auth, ':', ulen);
		if (colon == NULL || colon == auth) {
			seterr(err, errlen, "'%s': credentials are written user:password@", uri);
			return -1;
		}
		if (pct_decode(out->user, sizeof(out->user), auth, (size_t)(colon - auth)) == -1 ||
		    pct_decode(out->pass, sizeof(out->pass), colon + 1, (size_t)(at - colon - 1)) ==
			    -1) {
			seterr(err, errlen,
			       "'%s': bad user name or password (bad %%-escape or over %d bytes)",
			       uri, PROXY_SOCKS5_NAME_MAX);
			return -1;
		}
		/* RFC 7617: a Basic user-id cannot contain ':' */
		if (out->kind == VIA_HTTP && strchr(out->user, ':') != NULL) {
			seterr(err, errlen, "'%s': an HTTP user name cannot contain ':'", uri);
			return -1;
		}
		auth = at + 1;
		alen -= ulen + 1;
	}
	if (alen >= sizeof(hostport)) {
		seterr(err, errlen, "'%.40s...': host over %d bytes", uri, CONF_HOST_MAX - 1);
		return -1;
	}
	memcpy(hostport, auth, alen);
	hostport[alen] = '\0';
	if (proxy_parse_hostport(&out->hp, hostport, err, errlen) == -1)
		return -1;
	return 0;
}

void
proxy_format_via(const struct conf_via *v, char *out, size_t outlen)
{
	char hp[CONF_HOST_MAX + 16];
	char user[3 * CONF_HOST_MAX], pass[3 * CONF_HOST_MAX];

	proxy_format_hostport(&v->hp, hp, sizeof(hp));
	if (v->user[0] == '\0' || v->kind == VIA_TCP) {
		snprintf(out, outlen, "%s://%s", proxy_kind_name(v->kind), hp);
		return;
	}
	pct_encode(user, sizeof(user), v->user);
	pct_encode(pass, sizeof(pass), v->pass);
	snprintf(out, outlen, "%s://%s:%s@%s", proxy_kind_name(v->kind), user, pass, hp);
}

const struct conf_hostport *
proxy_chain_target(const struct conf_via *via, int nvia, int i,
		   const struct conf_hostport *endpoint)
{
	return i + 1 < nvia ? &via[i + 1].hp : endpoint;
}

/* ---- the client state machines ---- */

static void
out_set(struct proxy_hop *h, size_t n)
{
	h->out_len = n;
	h->out_off = 0;
}

/* Length of the target host without an IPv6 %zone: a zone means nothing to a remote proxy. */
static size_t
target_host_len(const struct proxy_hop *h)
{
	const char *pct = strchr(h->target.host, '%');

	return pct != NULL ? (size_t)(pct - h->target.host) : strlen(h->target.host);
}

static void
socks5_greeting(struct proxy_hop *h)
{
	struct wr w;

	wr_init(&w, h->out, sizeof(h->out));
	wr_u8(&w, PROXY_SOCKS5_VER);
	if (h->via.user[0] != '\0') {
		/* offer both: a proxy that needs no password may still pick "none" */
		wr_u8(&w, 2);
		wr_u8(&w, PROXY_SOCKS5_METHOD_NONE);
		wr_u8(&w, PROXY_SOCKS5_METHOD_USERPASS);
	} else {
		wr_u8(&w, 1);
		wr_u8(&w, PROXY_SOCKS5_METHOD_NONE);
	}
	out_set(h, w.off);
	h->state = PROXY_S_METHOD;
}

/* RFC 1929: VER ULEN UNAME PLEN PASSWD; lengths were checked by proxy_start. */
static void
socks5_auth(struct proxy_hop *h)
{
	size_t ulen = strlen(h->via.user), plen = strlen(h->via.pass);
	struct wr w;

	wr_init(&w, h->out, sizeof(h->out));
	wr_u8(&w, PROXY_SOCKS5_AUTH_VER);
	wr_u8(&w, (uint8_t)ulen);
	wr_bytes(&w, h->via.user, ulen);
	wr_u8(&w, (uint8_t)plen);
	wr_bytes(&w, h->via.pass, plen);
	out_set(h, w.off);
	h->state = PROXY_S_AUTH;
}

/* RFC 1928 CONNECT: literals as ATYP 1 / 4, names as ATYP 3 for the proxy to resolve. */
static void
socks5_request(struct proxy_hop *h)
{
	size_t n = target_host_len(h);
	uint8_t a[16];
	char tmp[CONF_HOST_MAX];
	struct wr w;

	memcpy(tmp, h->target.host, n);
	tmp[n] = '\0';
	wr_init(&w, h->out, sizeof(h->out));
	wr_u8(&w, PROXY_SOCKS5_VER);
	wr_u8(&w, PROXY_SOCKS5_CMD_CONNECT);
	wr_u8(&w, 0);
	if (inet_pton(AF_INET, tmp, a) == 1) {
		wr_u8(&w, PROXY_SOCKS5_ATYP_IPV4);
		wr_bytes(&w, a, 4);
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		wr_u8(&w, PROXY_SOCKS5_ATYP_IPV6);
		wr_bytes(&w, a, 16);
	} else {
		wr_u8(&w, PROXY_SOCKS5_ATYP_DOMAIN);
		wr_u8(&w, (uint8_t)n);
		wr_bytes(&w, tmp, n);
	}
	wr_u16(&w, h->target.port);
	out_set(h, w.off);
	h->state = PROXY_S_REPLY;
}

/*
 * RFC 4648 base64 with padding, for the Basic credentials. out must hold 4 * ceil(n / 3) + 1
 * bytes. Written here so the module needs nothing beyond libc.
 */
static void
base64(char *out, const uint8_t *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = tab[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = '=';
	}
	*out = '\0';
}

/* RFC 9110 9.3.6: CONNECT authority-form, Host the same, Basic credentials (RFC 7617). */
static int
http_request(struct proxy_hop *h)
{
	char hp[CONF_HOST_MAX + 16];
	char auth[2 * CONF_HOST_MAX + 32];
	char b64[((2 * CONF_HOST_MAX + 2) / 3) * 4 + 4];
	size_t n = target_host_len(h);
	int len;

	if (memchr(h->target.host, ':', n) != NULL)
		snprintf(hp, sizeof(hp), "[%.*s]:%u", (int)n, h->target.host,
			 (unsigned)h->target.port);
	else
		snprintf(hp, sizeof(hp), "%.*s:%u", (int)n, h->target.host,
			 (unsigned)h->target.port);
	b64[0] = '\0';
	if (strchr(h->via.user, ':') != NULL)
		return fail(h, "an HTTP user name cannot contain ':'");
	if (h->via.user[0] != '\0') {
		int alen = snprintf(auth, sizeof(auth), "%s:%s", h->via.user, h->via.pass);

		if (alen < 0 || (size_t)alen >= sizeof(auth))
			return fail(h, "credentials too long");
		base64(b64, (const uint8_t *)auth, (size_t)alen);
		explicit_bzero(auth, sizeof(auth));
	}
	len = snprintf((char *)h->out, sizeof(h->out),
		       "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", hp, hp,
		       b64[0] != '\0' ? "Proxy-Authorization: Basic " : "", b64,
		       b64[0] != '\0' ? "\r\n" : "");
	explicit_bzero(b64, sizeof(b64));
	if (len < 0 || (size_t)len >= sizeof(h->out))
		return fail(h, "request over %d bytes", PROXY_OUT_MAX);
	out_set(h, (size_t)len);
	h->state = PROXY_S_HTTP_STATUS;
	return PROXY_MORE;
}

int
proxy_start(struct proxy_hop *h, const struct conf_via *via, const struct conf_hostport *target)
{
	size_t n;

	memset(h, 0, sizeof(*h));
	h->via = *via;
	h->target = *target;
	/* the copies are NUL-terminated whatever the caller left in its arrays */
	h->via.hp.host[sizeof(h->via.hp.host) - 1] = '\0';
	h->via.user[sizeof(h->via.user) - 1] = '\0';
	h->via.pass[sizeof(h->via.pass) - 1] = '\0';
	h->target.host[sizeof(h->target.host) - 1] = '\0';
	proxy_format_hostport(&h->via.hp, h->label, sizeof(h->label));

	/* the target goes into a request line: only a name or an address may get there */
	n = strlen(h->target.host);
	if (!name_ok(h->target.host, n) && !v6_ok(h->target.host, n, NULL))
		return fail(h, "bad target host name");
	if (h->target.port == 0)
		return fail(h, "bad target port 0");

	switch (h->via.kind) {
	case VIA_TCP:
		h->state = PROXY_S_DONE;
		return PROXY_DONE;
	case VIA_SOCKS5:
		if (target_host_len(h) > PROXY_SOCKS5_NAME_MAX)
			return fail(h, "target name over %d bytes", PROXY_SOCKS5_NAME_MAX);
		if (strlen(h->via.user) > PROXY_SOCKS5_NAME_MAX ||
		    strlen(h->via.pass) > PROXY_SOCKS5_NAME_MAX)
			return fail(h, "user name or password over %d bytes",
				    PROXY_SOCKS5_NAME_MAX);
		socks5_greeting(h);
		return PROXY_MORE;
	case VIA_HTTP:
		return http_request(h);
	}
	return fail(h, "unknown hop kind");
}

size_t
proxy_output(struct proxy_hop *h, uint8_t *out, size_t cap)
{
	size_t n = h->out_len - h->out_off;

	if (n > cap)
		n = cap;
	memcpy(out, h->out + h->out_off, n);
	h->out_off += n;
	if (h->out_off == h->out_len) {
		/* the greeting, password or request has been handed over: forget it */
		explicit_bzero(h->out, h->out_len);
		out_set(h, 0);
	}
	return n;
}

size_t
proxy_pending(const struct proxy_hop *h)
{
	return h->out_len - h->out_off;
}

static const char *
socks5_rep_meaning(uint8_t rep)
{
	/* RFC 1928 section 6 */
	static const char *const m[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	return rep < sizeof(m) / sizeof(m[0]) ? m[rep] : "unassigned reply code";
}

/*
 * How many bytes the SOCKS5 message being assembled has in total, judged from what has
 * arrived; -1 (failed) as soon as the bytes so far are wrong.
 */
static int
socks5_need(struct proxy_hop *h, size_t *need)
{
	const uint8_t *p = h->in;
	size_t n = h->in_len;

	switch (h->state) {
	case PROXY_S_METHOD:
		if (n >= 1 && p[0] != PROXY_SOCKS5_VER) {
			if (p[0] == 'H')
				return fail(h, "answered in HTTP, not SOCKS5 (an http:// proxy?)");
			return fail(h, "not a SOCKS5 reply (VER %u)", p[0]);
		}
		*need = 2;
		return 0;
	case PROXY_S_AUTH:
		*need = 2;
		return 0;
	case PROXY_S_REPLY:
		if (n >= 1 && p[0] != PROXY_SOCKS5_VER)
			return fail(h, "not a SOCKS5 reply (VER %u)", p[0]);
		if (n >= 2 && p[1] != 0)
			return fail(h, "%s (REP %u)", socks5_rep_meaning(p[1]), p[1]);
		if (n < 4) {
			*need = 4;
			return 0;
		}
		switch (p[3]) {
		case PROXY_SOCKS5_ATYP_IPV4:
			*need = 4 + 4 + 2;
			return 0;
		case PROXY_SOCKS5_ATYP_IPV6:
			*need = 4 + 16 + 2;
			return 0;
		case PROXY_SOCKS5_ATYP_DOMAIN:
			/* the length byte first, then the name it announces */
			*need = n < 5 ? 5 : (size_t)5 + p[4] + 2;
			return 0;
		default:
			return fail(h, "unknown address type in reply (ATYP %u)", p[3]);
		}
	default:
		return fail(h, "internal: SOCKS5 input in state %d", (int)h->state);
	}
}

/* A complete SOCKS5 message is in h->in: act on it. */
static int
socks5_message(struct proxy_hop *h)
{
	struct rd r;
	uint8_t ver, code;

	rd_init(&r, h->in, h->in_len);
	rd_u8(&r, &ver);
	rd_u8(&r, &code);
	if (r.err)
		return fail(h, "internal: short message");
	h->in_len = 0;
	switch (h->state) {
	case PROXY_S_METHOD:
		if (code == PROXY_SOCKS5_METHOD_NONE) {
			socks5_request(h);
			return PROXY_MORE;
		}
		if (code == PROXY_SOCKS5_METHOD_USERPASS && h->via.user[0] != '\0') {
			socks5_auth(h);
			return PROXY_MORE;
		}
		if (code == PROXY_SOCKS5_METHOD_REFUSED)
			return fail(h, "no acceptable authentication method (METHOD 0xff)%s",
				    h->via.user[0] != '\0'
					    ? ""
					    : "; it may want user:password@ in the hop");
		return fail(h, "chose a method that was not offered (METHOD 0x%02x)", code);
	case PROXY_S_AUTH:
		/* RFC 1929 says VER 1; some servers echo 5: the status is what matters */
		if (ver != PROXY_SOCKS5_AUTH_VER && ver != PROXY_SOCKS5_VER)
			return fail(h, "bad authentication reply (VER %u)", ver);
		if (code != 0)
			return fail(h, "authentication failed (STATUS %u)", code);
		socks5_request(h);
		return PROXY_MORE;
	case PROXY_S_REPLY:
		/* VER and REP were checked by socks5_need; BND.ADDR and BND.PORT are skipped */
		h->state = PROXY_S_DONE;
		return PROXY_DONE;
	default:
		return fail(h, "internal: SOCKS5 message in state %d", (int)h->state);
	}
}

/*
 * Assemble one message at a time in h->in, taking from the input only as many bytes as the
 * message is known to need so far (socks5_need): nothing of what follows is consumed.
 */
static int
socks5_input(struct proxy_hop *h, const uint8_t *in, size_t len, size_t *used)
{
	size_t pos = 0, need = 0, take;
	int rc;

	for (;;) {
		if (socks5_need(h, &need) == PROXY_ERR)
			return PROXY_ERR;
		if (h->in_len == need) {
			rc = socks5_message(h);
			if (rc != PROXY_MORE) {
				*used = pos;
				return rc;
			}
			/* the proxy cannot answer what it has not been sent yet */
			if (pos < len)
				return fail(h, "sent %zu unexpected bytes", len - pos);
			*used = pos;
			return PROXY_MORE;
		}
		if (pos == len) {
			*used = pos;
			return PROXY_MORE;
		}
		/* need <= PROXY_SOCKS5_REPLY_MAX <= sizeof(h->in), and need > in_len here */
		take = need - h->in_len;
		if (take > len - pos)
			take = len - pos;
		memcpy(h->in + h->in_len, in + pos, take);
		h->in_len += take;
		pos += take;
	}
}

static const char *
http_meaning(int code)
{
	static const struct {
		int code;
		const char *text;
	} m[] = {
		{400, "Bad Request"},
		{401, "Unauthorized"},
		{403, "Forbidden"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{407, "Proxy Authentication Required"},
		{408, "Request Timeout"},
		{429, "Too Many Requests"},
		{500, "Internal Server Error"},
		{501, "Not Implemented"},
		{502, "Bad Gateway"},
		{503, "Service Unavailable"},
		{504, "Gateway Timeout"},
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].code == code)
			return m[i].text;
	return NULL;
}

/* "HTTP/1.x SSS[ reason]" (RFC 9112 4): anything else fails. */
static int
http_status(struct proxy_hop *h)
{
	const uint8_t *p = h->in;
	size_t n = h->in_len;
	char reason[SANITIZE_MAX + 1];
	const char *meaning;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (n > 12 && p[12] != ' ')) {
		sanitize(reason, sizeof(reason), p, n);
		return fail(h, "malformed status line '%s'", reason);
	}
	h->http_code = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->http_code / 100 == 2 || (h->http_code / 100 == 1 && h->http_code != 101)) {
		h->state = PROXY_S_HTTP_HEADER;
		h->line_len = 0;
		return PROXY_MORE;
	}
	meaning = http_meaning(h->http_code);
	if (meaning == NULL) {
		reason[0] = '\0';
		if (n > 13)
			sanitize(reason, sizeof(reason), p + 13, n - 13);
		meaning = reason[0] != '\0' ? reason : "unexpected status";
	}
	/* 407 is the proxy's own refusal; some (tinyproxy) answer 401 to a CONNECT instead */
	if (h->http_code == 407 || h->http_code == 401)
		return fail(h, "%d %s%s", h->http_code, meaning,
			    h->via.user[0] != '\0' ? " (credentials refused)"
						   : "; give user:password@ in the hop");
	return fail(h, "%d %s", h->http_code, meaning);
}

/*
 * One byte at a time: the status line is collected into h->in (bounded), the header fields
 * after it are only counted, line by line, until the empty line that ends the header. A
 * line ends at LF; a CR before it is ignored (RFC 9112 2.2 lets a recipient accept bare LF).
 * header_len bounds the whole answer, interim 1xx ones included.
 */
static int
http_input(struct proxy_hop *h, const uint8_t *in, size_t len, size_t *used)
{
	size_t pos;

	for (pos = 0; pos < len; pos++) {
		uint8_t c = in[pos];

		if (++h->header_len > PROXY_HTTP_HEADER_MAX)
			return fail(h, "response header over %d bytes", PROXY_HTTP_HEADER_MAX);
		if (h->state == PROXY_S_HTTP_STATUS) {
			if (h->in_len == sizeof(h->in))
				return fail(h, "malformed status line (over %d bytes)",
					    PROXY_HTTP_STATUS_LINE_MAX);
			if (c == '\n') {
				if (http_status(h) == PROXY_ERR)
					return PROXY_ERR;
				h->in_len = 0;
			} else {
				h->in[h->in_len++] = c;
			}
			continue;
		}
		/* header fields are skipped: a 2xx to CONNECT has no body (RFC 9110 9.3.6) */
		if (c == '\n') {
			if (h->line_len > 0) {
				h->line_len = 0;
				continue;
			}
			if (h->http_code / 100 == 1) {
				/* an interim response: the real one follows */
				h->state = PROXY_S_HTTP_STATUS;
				continue;
			}
			h->state = PROXY_S_DONE;
			*used = pos + 1;
			return PROXY_DONE;
		}
		if (c != '\r')
			h->line_len++;
	}
	*used = len;
	return PROXY_MORE;
}

int
proxy_input(struct proxy_hop *h, const uint8_t *in, size_t len, size_t *used)
{
	*used = 0;
	switch (h->state) {
	case PROXY_S_DONE:
		return PROXY_DONE;
	case PROXY_S_FAILED:
		return PROXY_ERR;
	case PROXY_S_IDLE:
		return fail(h, "internal: input before proxy_start");
	case PROXY_S_HTTP_STATUS:
	case PROXY_S_HTTP_HEADER:
		return http_input(h, in, len, used);
	default:
		return socks5_input(h, in, len, used);
	}
}

static const char *
awaited(const struct proxy_hop *h)
{
	switch (h->state) {
	case PROXY_S_METHOD:
		return "the method choice";
	case PROXY_S_AUTH:
		return "the authentication reply";
	case PROXY_S_REPLY:
		return "the CONNECT reply";
	case PROXY_S_HTTP_STATUS:
		return h->header_len > 0 ? "the rest of the status line" : "the response";
	case PROXY_S_HTTP_HEADER:
		return "the end of the response header";
	default:
		return "nothing";
	}
}

int
proxy_eof(struct proxy_hop *h)
{
	if (h->state == PROXY_S_DONE)
		return PROXY_DONE;
	if (h->state == PROXY_S_FAILED)
		return PROXY_ERR;
	return fail(h, "connection closed while waiting for %s", awaited(h));
}

int
proxy_timeout(struct proxy_hop *h)
{
	if (h->state == PROXY_S_DONE)
		return PROXY_DONE;
	if (h->state == PROXY_S_FAILED)
		return PROXY_ERR;
	return fail(h, "timed out waiting for %s", awaited(h));
}

const char *
proxy_error(const struct proxy_hop *h)
{
	return h->err;
}

void
proxy_clear(struct proxy_hop *h)
{
	explicit_bzero(h, sizeof(*h));
}
