/*
 * test_frame: every frame type round-trips through its encoder and frame_decode; short,
 * oversized and unknown input is refused, never read past.
 */
#include "config.h"

#include <string.h>

#include "check.h"
#include "frame.h"

static void
test_roundtrip(void)
{
	uint8_t buf[FRAME_MAX];
	struct frame f;
	struct frame_hello h, *g = &f.hello;
	size_t n;

	n = frame_put_ack(buf, 0x0102030405060708ULL);
	CHECK(frame_decode(&f, buf, n) == (long)n && f.type == FRAME_ACK && f.a == 0x0102030405060708ULL);
	n = frame_put_ping(buf, 77, 99);
	CHECK(frame_decode(&f, buf, n) == (long)n && f.type == FRAME_PING && f.a == 77 && f.b == 99);
	n = frame_put_pong(buf, 1234);
	CHECK(frame_decode(&f, buf, n) == (long)n && f.type == FRAME_PONG && f.a == 1234);
	n = frame_put_abandon(buf, 5);
	CHECK(frame_decode(&f, buf, n) == (long)n && f.type == FRAME_ABANDON && f.a == 5);

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.sid = 42;
	h.tx_base = 1000;
	h.path = 3;
	h.conn = 2;
	h.mtu = 16000;
	h.tos = 46 << 2;
	strcpy(h.name, "fibre");
	n = frame_put_hello(buf, &h);
	CHECK(frame_decode(&f, buf, n) == (long)n && f.type == FRAME_HELLO);
	CHECK(g->sid == 42 && g->tx_base == 1000 && g->path == 3 && g->conn == 2 &&
	      g->mtu == 16000 && g->tos == 0xb8 && strcmp(g->name, "fibre") == 0);
	/* the tos byte sits right after the MTU, the three spare bytes after it are zero */
	CHECK(buf[FRAME_HDR_LEN + 22] == 0xb8 && buf[FRAME_HDR_LEN + 23] == 0 &&
	      buf[FRAME_HDR_LEN + 24] == 0 && buf[FRAME_HDR_LEN + 25] == 0);

	/* DATA: header in front of a payload already in place */
	memset(buf + FRAME_DATA_OVERHEAD, 0xab, 1500);
	frame_put_data_hdr(buf, 9, FRAME_F_RETX, 1500);
	CHECK(frame_decode(&f, buf, FRAME_DATA_OVERHEAD + 1500) == FRAME_DATA_OVERHEAD + 1500);
	CHECK(f.type == FRAME_DATA && f.a == 9 && f.flags == FRAME_F_RETX && f.len == 1500 &&
	      f.payload == buf + FRAME_DATA_OVERHEAD);
}

static void
test_several(void)
{
	uint8_t buf[256];
	struct frame f;
	size_t n = 0;
	long k;

	n += frame_put_ack(buf + n, 1);
	n += frame_put_ping(buf + n, 2, 3);
	n += frame_put_pong(buf + n, 4);
	k = frame_decode(&f, buf, n);
	CHECK(k > 0 && f.type == FRAME_ACK);
	k += frame_decode(&f, buf + k, n - (size_t)k);
	CHECK(f.type == FRAME_PING);
	k += frame_decode(&f, buf + k, n - (size_t)k);
	CHECK(f.type == FRAME_PONG && (size_t)k == n);
	CHECK(frame_decode(&f, buf + n, 0) == 0);
}

static void
test_malformed(void)
{
	uint8_t buf[FRAME_MAX];
	struct frame f;
	struct frame_hello h;
	size_t n, i;

	/* every truncation of every frame is refused */
	n = frame_put_ping(buf, 1, 2);
	for (i = 1; i < n; i++)
		CHECK(frame_decode(&f, buf, i) == -1);
	frame_put_data_hdr(buf, 1, 0, 100);
	CHECK(frame_decode(&f, buf, FRAME_DATA_OVERHEAD + 99) == -1);
	/* unknown types */
	buf[0] = 0;
	CHECK(frame_decode(&f, buf, 64) == -1);
	buf[0] = FRAME_TYPE_MAX + 1;
	CHECK(frame_decode(&f, buf, 64) == -1);
	/* a HELLO name longer than allowed, or with a NUL inside */
	memset(&h, 0, sizeof(h));
	strcpy(h.name, "ok");
	n = frame_put_hello(buf, &h);
	buf[FRAME_HDR_LEN + FRAME_HELLO_FIXED] = '\0';
	CHECK(frame_decode(&f, buf, n) == -1);
	buf[2] = 0;
	buf[3] = FRAME_NAME_MAX + 1;
	CHECK(frame_decode(&f, buf, sizeof(buf)) == -1);
}

int
main(void)
{
	test_roundtrip();
	test_several();
	test_malformed();
	return CHECK_RESULT();
}
