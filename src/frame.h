/*
 * frame: the session-layer wire format carried inside records (see doc/protocol.md).
 *
 * Every frame starts with a 4-byte header: type (1), flags (1), payload length (2, big
 * endian). A type-specific fixed part follows, then `length` payload bytes. A record holds
 * one or more whole frames. Every wire limit of the session layer is a constant here.
 * Pure: encoding and bounds-checked decoding, nothing else.
 */
#ifndef MPTUN_FRAME_H
#define MPTUN_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* 2: tun DATA payloads start with a virtio_net_hdr; 3: udp ones with a send stamp */
#define PROTO_VERSION 3

enum frame_type {
	FRAME_HELLO = 1,   /* first frame each way on a connection: who we are, where we stand */
	FRAME_DATA = 2,    /* a sequenced packet / datagram / stream chunk */
	FRAME_ACK = 3,     /* cumulative: every seq below has been delivered or given up */
	FRAME_PING = 4,    /* heartbeat; also tells how far this connection has carried seqs */
	FRAME_PONG = 5,    /* heartbeat answer, echoes the ping's stamp */
	FRAME_ABANDON = 6, /* the sender will never (re)send any seq below this one */
	FRAME_TYPE_MAX = 6
};

/* HELLO flags */
#define FRAME_HELLO_F_BACKUP 0x01 /* the dialer's path is a backup: both ends spare it */
#define FRAME_HELLO_F_EXPRESS 0x02 /* a connection for small packets only (sched.h) */

/*
 * A listener's answer to a HELLO it will not take (struct frame_hello refused): it sends a
 * HELLO carrying the reason instead of its own, and the connection ends there. The dialer
 * says why in its log rather than guessing.
 */
enum frame_refusal {
	FRAME_REFUSED_NONE = 0,	  /* taken */
	FRAME_REFUSED_FULL = 1,	  /* too many paths or connections */
	FRAME_REFUSED_KEY_IN_USE = 2, /* another live client holds this key's session */
	FRAME_REFUSED_BUSY = 3,	  /* the listener serves one client, and another is connected */
	FRAME_REFUSED_MAX = 3
};

/* DATA flags */
#define FRAME_F_RETX 0x01 /* a re-send: says nothing about what this connection carried */
#define FRAME_F_UNORDERED 0x02 /* may be delivered ahead of a gap (a small packet: its own flow) */

#define FRAME_HDR_LEN 4
#define FRAME_HELLO_FIXED 26     /* version, sid 8, tx_base 8, flags, path, conn, mtu 2, tos, refused, 2 spare */
#define FRAME_DATA_FIXED 8       /* seq */
#define FRAME_ACK_FIXED 8        /* next expected seq */
#define FRAME_PING_FIXED 16      /* stamp, carried mark */
#define FRAME_PONG_FIXED 8       /* echoed stamp */
#define FRAME_ABANDON_FIXED 8    /* lowest seq still to come */
#define FRAME_DATA_OVERHEAD (FRAME_HDR_LEN + FRAME_DATA_FIXED)
#define FRAME_PAYLOAD_MAX 65535  /* the length field */
#define FRAME_WINDOW 4096        /* seqs a sender may have unacknowledged: the reorder window */
#define FRAME_NAME_MAX 31        /* HELLO carries the path name as its payload */
#define FRAME_MAX (FRAME_HDR_LEN + FRAME_HELLO_FIXED + FRAME_PAYLOAD_MAX)

struct frame_hello {
	uint8_t version;
	uint64_t sid;     /* random per daemon run: a change means the peer restarted */
	uint64_t tx_base; /* the lowest seq the sender will still send */
	uint8_t flags;
	uint8_t path;     /* path index on the dialing side */
	uint8_t conn;     /* connection index within the path */
	uint16_t mtu;
	uint8_t tos;      /* the dialer's path marks its packets so (DSCP << 2); 0: unmarked */
	uint8_t refused;  /* enum frame_refusal: the listener's refusal (then nothing else counts) */
	char name[FRAME_NAME_MAX + 1]; /* path name, NUL-terminated */
};

/* A decoded frame; payload points into the record it came from. */
struct frame {
	uint8_t type;
	uint8_t flags;
	uint64_t a; /* DATA/ACK/ABANDON seq, PING/PONG stamp */
	uint64_t b; /* PING carried mark */
	struct frame_hello hello;
	const uint8_t *payload;
	size_t len;
};

/*
 * Decode the next frame from *p (len bytes). Returns the number of bytes it took, 0 if the
 * bytes end (cleanly) before any frame, or -1 if they are malformed: unknown type, short
 * input, a length past the end.
 */
long frame_decode(struct frame *f, const uint8_t *p, size_t len);

/* Write a DATA header for a payload of len bytes already in place after it (12 bytes). */
void frame_put_data_hdr(uint8_t *out, uint64_t seq, uint8_t flags, size_t len);
/* Encoders for control frames; each returns the length written (out must be large enough). */
size_t frame_put_ack(uint8_t *out, uint64_t next);
size_t frame_put_ping(uint8_t *out, uint64_t stamp, uint64_t mark);
size_t frame_put_pong(uint8_t *out, uint64_t stamp);
size_t frame_put_abandon(uint8_t *out, uint64_t next);
size_t frame_put_hello(uint8_t *out, const struct frame_hello *h);
/* What a refusal means, for the dialer's log ("another client is using this key"). */
const char *frame_refusal_text(int refused);
#define FRAME_CTL_MAX (FRAME_HDR_LEN + FRAME_HELLO_FIXED + FRAME_NAME_MAX)

#endif
