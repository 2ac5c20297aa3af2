/*
 * test_proxy: host:port and hop URI parsing (good, bad, round trip), and the SOCKS5 and HTTP
 * CONNECT client state machines fed whole, split byte by byte, and with every failure the
 * proxies can answer.
 */
#include "config.h"

#include "check.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "proxy.h"


static struct conf_hostport
hp(const char *s)
{
	struct conf_hostport h;
	char err[256];

	if (proxy_parse_hostport(&h, s, err, sizeof(err)) == -1) {
		fprintf(stderr, "hp(%s): %s\n", s, err);
		failures++;
		memset(&h, 0, sizeof(h));
	}
	return h;
}

static struct conf_via
via(const char *s)
{
	struct conf_via v;
	char err[256];

	if (proxy_parse_via(&v, s, err, sizeof(err)) == -1) {
		fprintf(stderr, "via(%s): %s\n", s, err);
		failures++;
	}
	return v;
}

static void
test_hostport(void)
{
	static const char *const good[] = {"a.b:80",	       "1.2.3.4:1",   "[::1]:443",
					   "[fe80::1%eth0]:1", "x_y-z:65535", "[2001:db8::1]:8080"};
	static const char *const bad[] = {"a",	      "a:",	"a:0",	      "a:65536",  "a:12a",
					  "::1:80",   "[::1]",	"[::1]80",    "[zz]:1",	  ":80",
					  "a b:1",    "[::1:1", "a:+80",      "a:000080", "[]:1",
					  "[::1%]:1", "a/b:1",	"[1.2.3.4]:1"};
	struct conf_hostport h;
	char err[256], out[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(proxy_parse_hostport(&h, good[i], err, sizeof(err)) == 0);
		proxy_format_hostport(&h, out, sizeof(out));
		CHECK(strcmp(out, good[i]) == 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (proxy_parse_hostport(&h, bad[i], err, sizeof(err)) != -1) {
			fprintf(stderr, "accepted bad hostport '%s'\n", bad[i]);
			failures++;
		}
		CHECK(err[0] != '\0');
	}
	h = hp("[::1]:443");
	CHECK(strcmp(h.host, "::1") == 0 && h.port == 443);
	h = hp("example.org:1080");
	CHECK(strcmp(h.host, "example.org") == 0 && h.port == 1080);
}

static void
test_via(void)
{
	/* input, canonical output */
	static const char *const rt[][2] = {
		{"tcp://h:1", "tcp://h:1"},
		{"socks5://a:1080", "socks5://a:1080"},
		{"SOCKS5H://a:1080/", "socks5://a:1080"},
		{"socks5://u:p@a:1080", "socks5://u:p@a:1080"},
		{"http://user:p%40ss%2C%3A@[::1]:3128/", "http://user:p%40ss%2C%3A@[::1]:3128"},
		{"HTTP://b:3128", "http://b:3128"},
		{"socks5://u%3Ax:@a:1", "socks5://u%3Ax:@a:1"},
		{"http://a%20b:c%7ed@b:1", "http://a%20b:c~d@b:1"},
	};
	static const char *const bad[] = {"ftp://h:1",
					  "h:1",
					  "tcp://u:p@h:1",
					  "http://u@h:1",
					  "http://h:1/path",
					  "socks5://u:p%zz@h:1",
					  "socks5://:p@h:1",
					  "http://a%3Ab:p@h:1",
					  "socks5://u:p%00@h:1",
					  "socks5://u:p%4@h:1",
					  "http://h",
					  "http://h:1?x",
					  "socks5://",
					  "tcp://[::1]",
					  "socks5://u:p@",
					  ""};
	struct conf_via v, w;
	char err[256], out[PROXY_VIA_TEXT_MAX], out2[PROXY_VIA_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		if (proxy_parse_via(&v, rt[i][0], err, sizeof(err)) == -1) {
			fprintf(stderr, "via '%s': %s\n", rt[i][0], err);
			failures++;
			continue;
		}
		proxy_format_via(&v, out, sizeof(out));
		if (strcmp(out, rt[i][1]) != 0) {
			fprintf(stderr, "via '%s' printed '%s', want '%s'\n", rt[i][0], out,
				rt[i][1]);
			failures++;
		}
		CHECK(proxy_parse_via(&w, out, err, sizeof(err)) == 0);
		CHECK(memcmp(&v, &w, sizeof(v)) == 0);
		proxy_format_via(&w, out2, sizeof(out2));
		CHECK(strcmp(out, out2) == 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (proxy_parse_via(&v, bad[i], err, sizeof(err)) != -1) {
			fprintf(stderr, "accepted bad via '%s'\n", bad[i]);
			failures++;
		}
		CHECK(err[0] != '\0');
	}
	v = via("http://user:p%40ss%2C%3A@[::1]:3128/");
	CHECK(v.kind == VIA_HTTP && strcmp(v.user, "user") == 0 && strcmp(v.pass, "p@ss,:") == 0);
	CHECK(strcmp(v.hp.host, "::1") == 0 && v.hp.port == 3128);
	v = via("tcp://r:9");
	CHECK(v.kind == VIA_TCP && v.user[0] == '\0');

	/* the longest hop prints within PROXY_VIA_TEXT_MAX and reads back */
	{
		memset(&v, 0, sizeof(v));
		v.kind = VIA_SOCKS5;
		memset(v.user, '%', PROXY_SOCKS5_NAME_MAX);
		memset(v.pass, '/', PROXY_SOCKS5_NAME_MAX);
		memset(v.hp.host, 'a', CONF_HOST_MAX - 1);
		v.hp.port = 65535;
		proxy_format_via(&v, out, PROXY_VIA_TEXT_MAX);
		CHECK(strlen(out) < PROXY_VIA_TEXT_MAX - 1);
		CHECK(proxy_parse_via(&w, out, err, sizeof(err)) == 0);
		CHECK(memcmp(&v, &w, sizeof(v)) == 0);
	}
	/* a password of 255 bytes fits, 256 does not */
	{
		char uri[700];
		int n = snprintf(uri, sizeof(uri), "socks5://u:%0255d@h:1", 0);

		CHECK(n > 0 && proxy_parse_via(&v, uri, err, sizeof(err)) == 0);
		CHECK(strlen(v.pass) == 255);
		snprintf(uri, sizeof(uri), "socks5://u:%0256d@h:1", 0);
		CHECK(proxy_parse_via(&v, uri, err, sizeof(err)) == -1);
	}
}

static void
test_chain(void)
{
	struct conf_via vs[2];
	struct conf_hostport end = hp("peer:443");

	vs[0] = via("socks5://a:1080");
	vs[1] = via("http://b:3128");
	CHECK(proxy_chain_target(vs, 2, 0, &end) == &vs[1].hp);
	CHECK(proxy_chain_target(vs, 2, 1, &end) == &end);
	CHECK(proxy_chain_target(vs, 0, -1, &end) == &end);
}

/* Drain all pending output into buf; returns its length. */
static size_t
drain(struct proxy_hop *h, uint8_t *buf, size_t cap)
{
	size_t n = 0, k;

	while ((k = proxy_output(h, buf + n, cap - n < 7 ? cap - n : 7)) > 0)
		n += k; /* in pieces of 7 to exercise partial output */
	CHECK(proxy_pending(h) == 0);
	return n;
}

/* Feed a message whole, or one byte at a time; returns the final result, *used overall. */
static int
feed(struct proxy_hop *h, const void *p, size_t n, int split, size_t *used)
{
	const uint8_t *b = p;
	size_t off = 0, u;
	int rc = PROXY_MORE;

	if (!split) {
		rc = proxy_input(h, b, n, used);
		return rc;
	}
	while (off < n) {
		rc = proxy_input(h, b + off, 1, &u);
		if (rc == PROXY_ERR) {
			*used = off;
			return rc;
		}
		off += u;
		if (rc == PROXY_DONE) {
			*used = off;
			return rc;
		}
		CHECK(u == 1);
	}
	*used = off;
	return rc;
}

static void
test_tcp(void)
{
	struct proxy_hop h;
	struct conf_via v = via("tcp://r:9");
	struct conf_hostport t = hp("peer:443");
	uint8_t buf[16];
	size_t used = 99;

	CHECK(proxy_start(&h, &v, &t) == PROXY_DONE);
	CHECK(proxy_output(&h, buf, sizeof(buf)) == 0);
	CHECK(proxy_input(&h, buf, 4, &used) == PROXY_DONE && used == 0);
}

static void
test_socks5(int split)
{
	struct proxy_hop h;
	struct conf_via v;
	struct conf_hostport t;
	uint8_t buf[1024];
	size_t n, used;
	static const uint8_t m_none[] = {5, 0}, m_up[] = {5, 2}, auth_ok[] = {1, 0};
	static const uint8_t rep_v4[] = {5, 0, 0, 1, 10, 0, 0, 1, 0x04, 0x38, 'X', 'Y'};
	static const uint8_t rep_v6[] = {5, 0, 0, 4, 0, 0, 0, 0, 0, 0,	  0,
					 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xbb};
	static const uint8_t rep_dn[] = {5,   0,   0,	3,   7, 'e', 'x', 'a',
					 'm', 'p', 'l', 'e', 0, 80,  'Z'};

	/* no authentication, a name target: ATYP 3, then an IPv4 reply with data after it */
	v = via("socks5://a:1080");
	t = hp("peer.example:443");
	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 3 && memcmp(buf, "\x05\x01\x00", 3) == 0);
	CHECK(feed(&h, m_none, sizeof(m_none), split, &used) == PROXY_MORE && used == 2);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 4 + 1 + 12 + 2);
	CHECK(memcmp(buf, "\x05\x01\x00\x03\x0cpeer.example\x01\xbb", n) == 0);
	CHECK(feed(&h, rep_v4, sizeof(rep_v4), split, &used) == PROXY_DONE);
	CHECK(used == 10);
	CHECK(proxy_error(&h)[0] == '\0');

	/* username/password, an IPv4 literal target, an IPv6 reply */
	v = via("socks5://us%3Aer:secret@a:1080");
	t = hp("192.0.2.7:22");
	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 4 && memcmp(buf, "\x05\x02\x00\x02", 4) == 0);
	CHECK(feed(&h, m_up, sizeof(m_up), split, &used) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 3 + 5 + 6 && memcmp(buf, "\x01\x05us:er\x06secret", n) == 0);
	CHECK(feed(&h, auth_ok, sizeof(auth_ok), split, &used) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 10 && memcmp(buf, "\x05\x01\x00\x01\xc0\x00\x02\x07\x00\x16", n) == 0);
	CHECK(feed(&h, rep_v6, sizeof(rep_v6), split, &used) == PROXY_DONE && used == 22);

	/* credentials offered but the proxy picks none; an IPv6 literal target; a name reply */
	t = hp("[2001:db8::5%eth1]:443");
	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	drain(&h, buf, sizeof(buf));
	CHECK(feed(&h, m_none, sizeof(m_none), split, &used) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	CHECK(n == 22 && buf[3] == 4 && buf[4] == 0x20 && buf[19] == 5 && buf[20] == 1 &&
	      buf[21] == 0xbb);
	CHECK(feed(&h, rep_dn, sizeof(rep_dn), split, &used) == PROXY_DONE);
	CHECK(used == sizeof(rep_dn) - 1);
	proxy_clear(&h);
}

/* Run a SOCKS5 exchange to the CONNECT reply and feed it reply; expect an error containing s. */
static void
socks5_fail(const uint8_t *method, const uint8_t *auth, const uint8_t *reply, size_t rlen,
	    const char *user, const char *want, int split)
{
	struct proxy_hop h;
	struct conf_via v = via(user != NULL ? user : "socks5://a:1080");
	struct conf_hostport t = hp("peer:443");
	uint8_t buf[1024];
	size_t used;
	int rc;

	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	drain(&h, buf, sizeof(buf));
	rc = feed(&h, method, 2, split, &used);
	if (rc == PROXY_MORE && auth != NULL) {
		drain(&h, buf, sizeof(buf));
		rc = feed(&h, auth, 2, split, &used);
	}
	if (rc == PROXY_MORE && reply != NULL) {
		drain(&h, buf, sizeof(buf));
		rc = feed(&h, reply, rlen, split, &used);
	}
	CHECK(rc == PROXY_ERR);
	if (strstr(proxy_error(&h), want) == NULL) {
		fprintf(stderr, "error '%s' lacks '%s'\n", proxy_error(&h), want);
		failures++;
	}
	/* once failed, always failed */
	CHECK(proxy_input(&h, buf, 1, &used) == PROXY_ERR);
}

static void
test_socks5_errors(int split)
{
	static const uint8_t m_none[] = {5, 0}, m_up[] = {5, 2};
	static const char *const meaning[] = {
		"general SOCKS server failure", "connection not allowed by ruleset",
		"network unreachable",		"host unreachable",
		"connection refused",		"TTL expired",
		"command not supported",	"address type not supported",
		"unassigned reply code"};
	uint8_t rep[10] = {5, 0, 0, 1, 1, 2, 3, 4, 0, 80};
	char want[128];
	int code;

	for (code = 1; code <= 9; code++) {
		rep[1] = (uint8_t)code;
		snprintf(want, sizeof(want), "socks5 a:1080: %s (REP %d)", meaning[code - 1], code);
		socks5_fail(m_none, NULL, rep, sizeof(rep), NULL, want, split);
	}
	rep[1] = 0xff;
	socks5_fail(m_none, NULL, rep, sizeof(rep), NULL, "unassigned reply code (REP 255)", split);
	CHECK(strcmp(meaning[4], "connection refused") == 0);

	socks5_fail((const uint8_t *)"\x05\xff", NULL, NULL, 0, NULL, "(METHOD 0xff)", split);
	socks5_fail((const uint8_t *)"\x05\x02", NULL, NULL, 0, NULL, "not offered (METHOD 0x02)",
		    split);
	socks5_fail((const uint8_t *)"\x05\x01", NULL, NULL, 0, NULL, "not offered (METHOD 0x01)",
		    split);
	socks5_fail((const uint8_t *)"\x04\x00", NULL, NULL, 0, NULL, "(VER 4)", split);
	socks5_fail((const uint8_t *)"HT", NULL, NULL, 0, NULL, "answered in HTTP", split);
	socks5_fail(m_up, (const uint8_t *)"\x01\x01", NULL, 0, "socks5://u:p@a:1080",
		    "socks5 a:1080: authentication failed (STATUS 1)", split);
	socks5_fail(m_up, (const uint8_t *)"\x07\x00", NULL, 0, "socks5://u:p@a:1080",
		    "bad authentication reply (VER 7)", split);
	rep[1] = 0;
	rep[0] = 4;
	socks5_fail(m_none, NULL, rep, sizeof(rep), NULL, "not a SOCKS5 reply (VER 4)", split);
	rep[0] = 5;
	rep[3] = 2;
	socks5_fail(m_none, NULL, rep, sizeof(rep), NULL, "(ATYP 2)", split);
	{
		struct proxy_hop h;
		struct conf_via v = via("socks5://u:p@a:1080");
		struct conf_hostport t = hp("peer:443");
		uint8_t buf[64];
		size_t used;

		CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
		drain(&h, buf, sizeof(buf));
		/* data the proxy could not have been asked for yet */
		CHECK(proxy_input(&h, (const uint8_t *)"\x05\x02\x01", 3, &used) == PROXY_ERR);
		CHECK(strstr(proxy_error(&h), "sent 1 unexpected bytes") != NULL);
		CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
		CHECK(proxy_input(&h, (const uint8_t *)"\x05", 1, &used) == PROXY_MORE);
		CHECK(proxy_eof(&h) == PROXY_ERR);
		CHECK(strcmp(proxy_error(&h), "socks5 a:1080: connection closed while waiting "
					      "for the method choice") == 0);
		CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
		CHECK(proxy_timeout(&h) == PROXY_ERR);
		CHECK(strstr(proxy_error(&h), "timed out waiting for the method choice") != NULL);
	}
}

static int
http_run(const char *uri, const char *resp, size_t rlen, int split, size_t *used,
	 struct proxy_hop *h)
{
	struct conf_via v = via(uri);
	struct conf_hostport t = hp("peer.example:443");
	uint8_t buf[4096];

	CHECK(proxy_start(h, &v, &t) == PROXY_MORE);
	drain(h, buf, sizeof(buf));
	return feed(h, resp, rlen, split, used);
}

static void
test_http(int split)
{
	struct proxy_hop h;
	struct conf_via v;
	struct conf_hostport t;
	uint8_t buf[4096];
	size_t n, used;
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n"
				 "Proxy-Agent: x\r\n\r\nEXTRA";
	static const char lf[] = "HTTP/1.0 200\n\nX";
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 OK\r\n\r\n!";
	static const char *const malformed[] = {
		"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n",  "FOO\r\n\r\n",
		"HTTP/1.1 20\r\n\r\n",	    "HTTP/1.1 200OK\r\n\r\n", "\r\nHTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 099 x\r\n\r\n",   "HTTP/1.1 600 x\r\n\r\n", "SSH-2.0-OpenSSH\r\n"};
	size_t i;
	int rc;

	/* the request: authority form, Host, Basic credentials */
	v = via("http://user:pass@b:3128");
	t = hp("[2001:db8::1]:443");
	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	buf[n] = '\0';
	CHECK(strcmp((char *)buf, "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"
				  "Host: [2001:db8::1]:443\r\n"
				  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n") == 0);
	v = via("http://b:3128");
	t = hp("peer.example:443");
	CHECK(proxy_start(&h, &v, &t) == PROXY_MORE);
	n = drain(&h, buf, sizeof(buf));
	buf[n] = '\0';
	CHECK(strcmp((char *)buf,
		     "CONNECT peer.example:443 HTTP/1.1\r\nHost: peer.example:443\r\n\r\n") == 0);

	/* 200 with bytes after the header: they are left to the caller */
	rc = http_run("http://b:3128", ok, sizeof(ok) - 1, split, &used, &h);
	CHECK(rc == PROXY_DONE && used == sizeof(ok) - 1 - 5);
	rc = http_run("http://b:3128", lf, sizeof(lf) - 1, split, &used, &h);
	CHECK(rc == PROXY_DONE && used == sizeof(lf) - 2);
	rc = http_run("http://b:3128", interim, sizeof(interim) - 1, split, &used, &h);
	CHECK(rc == PROXY_DONE && used == sizeof(interim) - 2);

	/* 407 with and without credentials, other codes */
	rc = http_run("http://b:3128", "HTTP/1.1 407 Nope\r\n\r\n", 21, split, &used, &h);
	CHECK(rc == PROXY_ERR);
	CHECK(strncmp(proxy_error(&h), "http b:3128: 407 Proxy Authentication Required", 46) == 0);
	rc = http_run("http://u:p@b:3128", "HTTP/1.1 407 Nope\r\n\r\n", 21, split, &used, &h);
	CHECK(rc == PROXY_ERR && strstr(proxy_error(&h), "credentials refused") != NULL);
	rc = http_run("http://b:3128", "HTTP/1.0 403 x\r\n", 16, split, &used, &h);
	CHECK(rc == PROXY_ERR && strcmp(proxy_error(&h), "http b:3128: 403 Forbidden") == 0);
	rc = http_run("http://b:3128", "HTTP/1.1 418 I'm a\01teapot\r\n", 27, split, &used, &h);
	CHECK(rc == PROXY_ERR && strcmp(proxy_error(&h), "http b:3128: 418 I'm a?teapot") == 0);
	rc = http_run("http://b:3128", "HTTP/1.1 302\r\n", 14, split, &used, &h);
	CHECK(rc == PROXY_ERR &&
	      strcmp(proxy_error(&h), "http b:3128: 302 unexpected status") == 0);
	rc = http_run("http://b:3128", "HTTP/1.1 101 Switching\r\n", 24, split, &used, &h);
	CHECK(rc == PROXY_ERR);

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		rc = http_run("http://b:3128", malformed[i], strlen(malformed[i]), split, &used,
			      &h);
		if (rc != PROXY_ERR || strstr(proxy_error(&h), "malformed status line") == NULL) {
			fprintf(stderr, "malformed '%s': rc %d '%s'\n", malformed[i], rc,
				proxy_error(&h));
			failures++;
		}
	}

	/* a status line that never ends, and a header over the limit */
	{
		static char big[PROXY_HTTP_HEADER_MAX + 64];

		memset(big, 'A', sizeof(big));
		memcpy(big, "HTTP/1.1 200 ", 13);
		rc = http_run("http://b:3128", big, sizeof(big), split, &used, &h);
		CHECK(rc == PROXY_ERR && strstr(proxy_error(&h), "over 512 bytes") != NULL);

		/* many short header lines: exactly at the limit passes, one more byte fails */
		memset(big, 0, sizeof(big));
		strcpy(big, "HTTP/1.1 200 OK\r\n");
		while (strlen(big) < PROXY_HTTP_HEADER_MAX - 2 - 9)
			strcat(big, "X-Pad: y\r\n");
		n = strlen(big);
		while (n < PROXY_HTTP_HEADER_MAX - 2)
			big[n++] = 'z';
		memcpy(big + n, "\r\n", 2);
		n += 2;
		/* the last line "zzz\r\n" is a field line; the empty line would follow */
		rc = http_run("http://b:3128", big, n, split, &used, &h);
		CHECK(rc == PROXY_MORE);
		CHECK(proxy_input(&h, (const uint8_t *)"\r\n", 2, &used) == PROXY_ERR);
		CHECK(strstr(proxy_error(&h), "response header over 8192 bytes") != NULL);
		big[n - 2] = '\n';
		big[n - 1] = '\n';
		rc = http_run("http://b:3128", big, n, split, &used, &h);
		CHECK(rc == PROXY_DONE && used == n);
	}

	rc = http_run("http://b:3128", "HTTP/1.1 200 OK\r\nX: y\r\n", 23, split, &used, &h);
	CHECK(rc == PROXY_MORE);
	CHECK(proxy_eof(&h) == PROXY_ERR);
	CHECK(strcmp(proxy_error(&h), "http b:3128: connection closed while waiting for the end "
				      "of the response header") == 0);
}

int
main(void)
{
	int split;

	log_init("test_proxy", 0);
	test_hostport();
	test_via();
	test_chain();
	test_tcp();
	for (split = 0; split <= 1; split++) {
		test_socks5(split);
		test_socks5_errors(split);
		test_http(split);
	}
	if (failures > 0) {
		fprintf(stderr, "test_proxy: %d failures\n", failures);
		return 1;
	}
	printf("test_proxy: ok\n");
	return 0;
}
