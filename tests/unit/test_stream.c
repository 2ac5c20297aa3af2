/*
 * test_stream: the pure parts of byte-stream sessions — the stream header codec
 * (stream_hdr.c) and the test stream generator and verifier (prbs.c).
 */
#include "config.h"

#include <string.h>

#include "check.h"
#include "prbs.h"
#include "stream_hdr.h"

static void
test_hdr_roundtrip(void)
{
	uint8_t b[64];
	struct stream_msg m;

	stream_hdr_put(b, STREAM_DATA, 0x01020304);
	CHECK(b[0] == 2 && b[1] == 1 && b[2] == 2 && b[3] == 3 && b[4] == 4);
	memcpy(b + STREAM_HDR_LEN, "hello", 5);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN + 5) == 0);
	CHECK(m.kind == STREAM_DATA && m.id == 0x01020304 && m.len == 5);
	CHECK(m.data == b + STREAM_HDR_LEN && memcmp(m.data, "hello", 5) == 0);

	stream_hdr_put(b, STREAM_OPEN, 7);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == 0);
	CHECK(m.kind == STREAM_OPEN && m.id == 7 && m.len == 0);
	stream_hdr_put(b, STREAM_FIN, 0);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == 0 && m.kind == STREAM_FIN);
	stream_hdr_put(b, STREAM_RESET, UINT32_MAX);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == 0 && m.id == UINT32_MAX);
	CHECK(strcmp(stream_kind_name(STREAM_RESET), "reset") == 0);
	CHECK(strcmp(stream_kind_name(99), "?") == 0);
}

static void
test_hdr_malformed(void)
{
	uint8_t b[16] = {0};
	struct stream_msg m;
	size_t n;

	/* every length short of the header */
	stream_hdr_put(b, STREAM_FIN, 1);
	for (n = 0; n < STREAM_HDR_LEN; n++)
		CHECK(stream_hdr_decode(&m, b, n) == -1);
	/* unknown kinds */
	b[0] = 0;
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == -1);
	b[0] = STREAM_KIND_MAX + 1;
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == -1);
	b[0] = 0xff;
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN + 3) == -1);
	/* DATA without bytes; OPEN, FIN, RESET with bytes */
	stream_hdr_put(b, STREAM_DATA, 1);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN) == -1);
	stream_hdr_put(b, STREAM_OPEN, 1);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN + 1) == -1);
	stream_hdr_put(b, STREAM_FIN, 1);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN + 1) == -1);
	stream_hdr_put(b, STREAM_RESET, 1);
	CHECK(stream_hdr_decode(&m, b, STREAM_HDR_LEN + 1) == -1);
}

static void
test_prbs(void)
{
	static uint8_t whole[10000], part[10000];
	size_t off, n;

	prbs_fill(1, 0, whole, sizeof(whole));
	/* any offset and length gives the same bytes as the whole stream */
	for (off = 0; off < 40; off++) {
		for (n = 0; n < 40; n++) {
			memset(part, 0xaa, n + 1);
			prbs_fill(1, off, part, n);
			CHECK(memcmp(part, whole + off, n) == 0);
			CHECK(part[n] == 0xaa); /* nothing written past the end */
			CHECK(prbs_check(1, off, whole + off, n) == -1);
		}
	}
	CHECK(prbs_check(1, 1234, whole + 1234, sizeof(whole) - 1234) == -1);
	/* the first differing byte is found, across chunk boundaries too */
	memcpy(part, whole, sizeof(part));
	part[9000] ^= 1;
	CHECK(prbs_check(1, 0, part, sizeof(part)) == 9000);
	part[17] ^= 0x80;
	CHECK(prbs_check(1, 0, part, sizeof(part)) == 17);
	CHECK(prbs_check(1, 10, part + 10, 100) == 7);
	/* a shifted stream (a lost byte) fails at once, another seed too */
	CHECK(prbs_check(1, 0, whole + 1, 64) != -1);
	CHECK(prbs_check(2, 0, whole, 64) != -1);
	/* not a trivial pattern: bytes vary */
	for (n = 1; n < 64 && whole[n] == whole[0]; n++)
		;
	CHECK(n < 64);
	/* a known value pins the definition: the stream must not change between versions */
	{
		static const uint8_t want[8] = {0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2};

		CHECK(memcmp(whole, want, sizeof(want)) == 0);
	}
}

int
main(void)
{
	test_hdr_roundtrip();
	test_hdr_malformed();
	test_prbs();
	return CHECK_RESULT();
}
