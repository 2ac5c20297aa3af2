/*
 * conf: the configuration, parsed from an INI file into plain structs.
 *
 * Pure: parsing has no side effects (no sockets, no name resolution, no key file reads
 * beyond what conf_load documents), and every error names file:line. conf_print writes the
 * canonical form; parsing that output gives an equal struct (round trip).
 */
#ifndef MPTUN_CONF_H
#define MPTUN_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_PATHS 32
#define CONF_MAX_ADDRS 8
#define CONF_MAX_PEERS 4096        /* [Peer] sections (the listening side's clients) */
#define CONF_MAX_ALLOWED_IPS 16384 /* AllowedIPs prefixes of all peers together */
#define CONF_MAX_LISTEN 8
#define CONF_MAX_VIA 4
#define CONF_MAX_CONNS 16   /* connections per path */
#define CONF_NAME_MAX 32    /* path / interface labels, including NUL */
#define CONF_HOST_MAX 256   /* host names, including NUL */
#define CONF_STR_MAX 1024   /* paths, commands */
#define CONF_KEY_LEN 32     /* X25519 keys and pre-shared keys */

#define CONF_MTU_DEFAULT 16000
#define CONF_MTU_MIN 576
#define CONF_MTU_MAX 65535
#define CONF_TUN_MTU_MAX 65525 /* a packet and its 10-byte offload header fill a frame */
#define CONF_PLAYOUT_MAX 1000  /* ms: PlayoutDelay at most */
#define CONF_DSCP_MAX 63       /* DSCP: six bits */

/*
 * Congestion control a path asks for when Congestion is unset, and the listening side's:
 * cubic, until the connection shows losses with its queue nearly empty, then BBR
 * (conn.c auto_congestion). Tunnelled flows never see the outer connections' losses, so an
 * outer connection that backs off on random loss throws the path away for nothing: through
 * mptun on 2 x 50 Mbit/s, 20 ms, 0.5 % random loss one inner flow got 11 Mbit/s with outer
 * cubic and 70 with outer BBR. But on clean paths BBR's standing queue cost the inner flow
 * 10-20 % (2 x 50 Mbit/s, 20 ms: 77-81 against 92-94 with cubic).
 */
#define CONF_CONGESTION_DEFAULT "cubic"
#define CONF_CONGESTION_LOSSY "bbr"

/* [Path] Interface = * : a template that opens one path per usable local interface */
#define CONF_PATH_ANY_IFACE "*"

enum conf_mode { MODE_TUN, MODE_UDP };
enum conf_sched { SCHED_BALANCE, SCHED_ORDERED, SCHED_REDUNDANT };
/* Which small packets get a copy on another path (session.c, send_small). */
enum conf_realtime { RT_AUTO, RT_ALL, RT_OFF };
#define CONF_RT_BUDGET_DEFAULT 5 /* percent of the bytes sent that copies may add */
#define CONF_RT_BUDGET_MAX 100
enum conf_cipher {
	CIPHER_AUTO,
	CIPHER_CHACHA20POLY1305,
	CIPHER_AES256GCM,
	CIPHER_NONE,
	CIPHER_AEGIS256X4,
};
enum via_kind { VIA_TCP, VIA_SOCKS5, VIA_HTTP };

/* host:port as written; host names are resolved when dialing, not when parsing. */
struct conf_hostport {
	char host[CONF_HOST_MAX]; /* without brackets for IPv6 literals */
	uint16_t port;
};

/* An interface address with prefix length. */
struct conf_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

/* One [Peer]: who may connect (or whom we dial), and which inner addresses are its. */
struct conf_peer {
	char name[CONF_NAME_MAX]; /* Name; unset: "peerN", N its place among the [Peer]s */
	int has_name;
	int line;		  /* its [Peer] header; 0: the implicit peer */
	int key_line;		  /* its PublicKey */
	int has_key;
	uint8_t key[CONF_KEY_LEN]; /* PublicKey */
	int has_psk;
	uint8_t psk[CONF_KEY_LEN]; /* PresharedKey here: this peer's, not [Interface]'s */
	int allowed, nallowed; /* its AllowedIPs: conf.allowed_ips[allowed .. allowed+nallowed) */
};

struct conf_via {
	enum via_kind kind;
	struct conf_hostport hp;
	char user[CONF_HOST_MAX]; /* empty: no authentication */
	char pass[CONF_HOST_MAX];
};

struct conf_path {
	char name[CONF_NAME_MAX];
	char ifname[CONF_NAME_MAX]; /* Interface: SO_BINDTODEVICE; empty if unset */
	int has_source;
	struct conf_addr source; /* Source: local address to bind (prefix unused) */
	int has_endpoint;
	struct conf_hostport endpoint; /* overrides [Peer] Endpoint */
	struct conf_via via[CONF_MAX_VIA];
	int nvia;
	int connections;        /* default 1 */
	int priority;           /* default 0; lower is filled first by ordered */
	int backup;             /* carries traffic only while no primary path is up */
	int express;            /* one more connection, for small packets only (sched.h);
	                         * default yes, no with Connections at CONF_MAX_CONNS */
	char congestion[CONF_NAME_MAX]; /* TCP_CONGESTION; empty: the default (see conf.c) */
	int has_dscp;
	int dscp;               /* DSCP: the outer packets' code point, 0..CONF_DSCP_MAX */
	int congestion_line;    /* line of Congestion, for messages (congestion.h) */
	int line;               /* line of the [Path] header, for messages */
};

struct conf {
	char file[CONF_STR_MAX]; /* the file name, for messages */

	/* [Interface] */
	char ifname[CONF_NAME_MAX]; /* Name, default "mp0" */
	enum conf_mode mode;
	struct conf_addr addrs[CONF_MAX_ADDRS];
	int naddrs;
	int mtu;
	struct conf_hostport listen[CONF_MAX_LISTEN];
	int nlisten;
	int has_private_key;
	uint8_t private_key[CONF_KEY_LEN];
	char private_key_file[CONF_STR_MAX]; /* as written; the key is read into private_key */
	int has_psk;
	uint8_t psk[CONF_KEY_LEN];
	char psk_file[CONF_STR_MAX]; /* PresharedKeyFile as written; the key is read into psk */
	enum conf_cipher cipher;
	enum conf_sched sched;
	enum conf_realtime realtime; /* Realtime, default auto */
	int rt_budget;               /* RealtimeBudget, percent */
	char control_socket[CONF_STR_MAX]; /* empty: /run/mptun/<Name>.<netns inode>.sock */
	char user[CONF_NAME_MAX];          /* drop privileges to this user after set-up */
	char post_up[CONF_STR_MAX], pre_down[CONF_STR_MAX], post_down[CONF_STR_MAX];
	char on_path_up[CONF_STR_MAX], on_path_down[CONF_STR_MAX];
	/* Mode = udp */
	int has_udp_listen;
	struct conf_hostport udp_listen; /* local UDP socket to bind */
	int has_udp_target;
	struct conf_hostport udp_target; /* where datagrams from the peer go; unset: last sender */
	int playout_ms; /* PlayoutDelay: the peer's datagrams leave this long after the fastest
			 * transit, at the pace they were sent (udpchan.h); 0: off (default) */
	/* tunables, in milliseconds */
	int reorder_hold_ms;    /* longest a tun/udp packet waits for a gap (default 100) */
	int retransmit_age_ms;  /* tun/udp frames older than this are not re-sent (default 200) */
	int heartbeat_ms;       /* heartbeat interval on each connection (default 200) */
	int dead_ms;            /* no sign of life for this long: the connection is dead (1000) */

	/* [Peer] sections, in file order: a client has one (its server), a server one per
	 * client. Without any (pre-shared-key mode needs none) peers[0] is an implicit one. */
	struct conf_peer peers[CONF_MAX_PEERS];
	int npeers;
	/* Endpoint: the client's one [Peer] */
	int has_endpoint;
	struct conf_hostport endpoint;
	/* AllowedIPs of every peer, host bits zero, by peer in file order (conf_peer.allowed) */
	struct conf_addr allowed_ips[CONF_MAX_ALLOWED_IPS];
	int nallowed_ips;

	/* [Path] sections, in file order */
	struct conf_path paths[CONF_MAX_PATHS];
	int npaths;
};

/*
 * Parse the file at path into c. On error return -1 and write "file:line: message" into
 * err. PrivateKeyFile is read here (refused if group or others can read it).
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
/* The same from a string (name is used in messages); PrivateKeyFile is read as above. */
int conf_parse(struct conf *c, const char *name, const char *text, size_t len, char *err,
	       size_t errlen);
/* Write the canonical form. Secrets are printed (check is run by the key owner). */
void conf_print(const struct conf *c, FILE *f);
/* Is this the client side (dials) rather than the server side (listens)? */
int conf_is_client(const struct conf *c);
/* The TOS byte a path's outer packets carry: its DSCP << 2, or 0 without DSCP. */
int conf_path_tos(const struct conf_path *p);
/* The endpoint a path dials: its own, or the peer's. */
const struct conf_hostport *conf_path_endpoint(const struct conf *c, const struct conf_path *p);
const char *conf_mode_name(enum conf_mode m);
const char *conf_sched_name(enum conf_sched s);
const char *conf_realtime_name(enum conf_realtime r);
const char *conf_cipher_name(enum conf_cipher c);

#endif
