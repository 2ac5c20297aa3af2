/*
 * proxy: the relay hops a connection crosses before it reaches the peer, as pure code.
 *
 * Two parts. Parsing and printing of `host:port` and of the `Via =` hop URIs
 * (`tcp://h:p`, `socks5://[u:p@]h:p`, `http://[u:p@]h:p`), shared with the config parser so
 * every address is read in one place. And a client state machine per hop that produces the
 * bytes to send (SOCKS5 greeting, RFC 1929 authentication, CONNECT request; or one HTTP
 * CONNECT request) and consumes the proxy's replies until the tunnel stands.
 *
 * No fds, no clock, no allocation: the caller moves bytes between the socket and
 * proxy_output/proxy_input, owns the timeouts (and reports them with proxy_timeout), and
 * dials the first hop itself. Nothing past the end of a proxy's reply is consumed: bytes that
 * follow it belong to the next layer and are left to the caller through *used.
 */
#ifndef MPTUN_PROXY_H
#define MPTUN_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Wire limits. */
#define PROXY_SOCKS5_VER	   5
#define PROXY_SOCKS5_AUTH_VER	   1	/* RFC 1929 sub-negotiation version */
#define PROXY_SOCKS5_NAME_MAX	   255	/* ATYP 3 domain, RFC 1929 UNAME and PASSWD */
#define PROXY_SOCKS5_REPLY_MAX	   262	/* VER REP RSV ATYP, 1+255 domain, port */
#define PROXY_HTTP_HEADER_MAX	   8192 /* whole response header, 1xx interim ones included */
#define PROXY_HTTP_STATUS_LINE_MAX 512	/* longest status line kept for parsing */
#define PROXY_OUT_MAX		   2048 /* largest message we send (HTTP request with auth) */
#define PROXY_ERR_MAX		   384
#define PROXY_LABEL_MAX		   (CONF_HOST_MAX + 8) /* "[host]:port" */
/* Longest proxy_format_via output with its NUL: scheme, "%XX" credentials, label. */
#define PROXY_VIA_TEXT_MAX (16 + 6 * PROXY_SOCKS5_NAME_MAX + PROXY_LABEL_MAX)

/* SOCKS5 constants (RFC 1928, RFC 1929). */
#define PROXY_SOCKS5_METHOD_NONE     0x00
#define PROXY_SOCKS5_METHOD_USERPASS 0x02
#define PROXY_SOCKS5_METHOD_REFUSED  0xff
#define PROXY_SOCKS5_CMD_CONNECT     0x01
#define PROXY_SOCKS5_ATYP_IPV4	     0x01
#define PROXY_SOCKS5_ATYP_DOMAIN     0x03
#define PROXY_SOCKS5_ATYP_IPV6	     0x04

/* Results of proxy_start and proxy_input. */
#define PROXY_MORE 0 /* send proxy_output's bytes, then wait for more input */
#define PROXY_DONE 1 /* the tunnel stands: the next layer owns the connection */
#define PROXY_ERR  (-1)

enum proxy_state {
	PROXY_S_IDLE,	     /* not started */
	PROXY_S_METHOD,	     /* SOCKS5: waiting for the method choice */
	PROXY_S_AUTH,	     /* SOCKS5: waiting for the RFC 1929 status */
	PROXY_S_REPLY,	     /* SOCKS5: waiting for the CONNECT reply */
	PROXY_S_HTTP_STATUS, /* HTTP: reading the status line */
	PROXY_S_HTTP_HEADER, /* HTTP: skipping header fields up to the empty line */
	PROXY_S_DONE,
	PROXY_S_FAILED,
};

struct proxy_hop {
	struct conf_via via;	     /* this hop (a copy: the config may be reloaded) */
	struct conf_hostport target; /* what this hop is asked to connect to */
	char label[PROXY_LABEL_MAX]; /* "host:port" of the hop, for messages */
	enum proxy_state state;
	int http_code;		    /* status of the current HTTP response */
	size_t header_len;	    /* HTTP header bytes seen so far */
	size_t line_len;	    /* HTTP: bytes in the current header line */
	uint8_t out[PROXY_OUT_MAX]; /* pending output: [out_off, out_len) */
	size_t out_len, out_off;
	uint8_t in[PROXY_HTTP_STATUS_LINE_MAX]; /* the reply being assembled */
	size_t in_len;
	char err[PROXY_ERR_MAX];
};

/*
 * Parse `host:port`, `[v6]:port` (an optional %zone inside the brackets). Host names are
 * checked for legal characters, never resolved. Returns 0, or -1 with a message in err.
 */
int proxy_parse_hostport(struct conf_hostport *out, const char *s, char *err, size_t errlen);
/* Print hp as proxy_parse_hostport reads it: brackets around IPv6 literals. */
void proxy_format_hostport(const struct conf_hostport *hp, char *out, size_t outlen);

/*
 * Parse one hop URI: scheme tcp, socks5 (socks5h is read as socks5) or http; user and
 * password are percent-decoded (so ':', '@', ',' and '#' can be written %3A, %40, %2C, %23).
 * Returns 0, or -1 with a message in err.
 */
int proxy_parse_via(struct conf_via *out, const char *uri, char *err, size_t errlen);
/* Canonical form: lower-case scheme, credentials percent-encoded; parsing it gives *v. */
void proxy_format_via(const struct conf_via *v, char *out, size_t outlen);
const char *proxy_kind_name(enum via_kind k);

/*
 * The address the i-th TCP step of a path dials through its chain: hop i's proxy is asked
 * to connect to this. It is via[i + 1]'s address, or endpoint after the last hop.
 */
const struct conf_hostport *proxy_chain_target(const struct conf_via *via, int nvia, int i,
					       const struct conf_hostport *endpoint);

/*
 * Begin talking to hop via (already connected) and ask it for target. Returns PROXY_DONE
 * at once for tcp:// hops, PROXY_MORE when proxy_output has bytes to send, PROXY_ERR when
 * the request cannot be expressed (a name over 255 bytes for SOCKS5, for instance).
 */
int proxy_start(struct proxy_hop *h, const struct conf_via *via,
		const struct conf_hostport *target);
/* Move up to cap pending bytes into out and forget them; 0 when nothing is pending. */
size_t proxy_output(struct proxy_hop *h, uint8_t *out, size_t cap);
/* Bytes still pending in proxy_output. */
size_t proxy_pending(const struct proxy_hop *h);
/*
 * Feed bytes received from the proxy. PROXY_MORE: all consumed, call proxy_output and wait.
 * PROXY_DONE: the tunnel stands; the first *used bytes were the proxy's, the rest belong
 * to the next layer. PROXY_ERR: see proxy_error. Never reads past in[len - 1].
 */
int proxy_input(struct proxy_hop *h, const uint8_t *in, size_t len, size_t *used);
/* The proxy closed the connection before the tunnel stood: fail with a message saying when. */
int proxy_eof(struct proxy_hop *h);
/* The caller's timer ran out: fail with a message saying what was awaited. */
int proxy_timeout(struct proxy_hop *h);
/* "socks5 a:1080: connection refused (REP 5)"; "" while no error. */
const char *proxy_error(const struct proxy_hop *h);
/* Wipe the credentials and buffers (they held the password). */
void proxy_clear(struct proxy_hop *h);

#endif
