/*
 * fuzz_frame: frame_decode over arbitrary record plaintext (libFuzzer).
 *
 * The input is decoded frame after frame, as conn.c does with an opened record. Every
 * frame that decodes must lie inside the input, with its payload at its end, and must
 * survive a round trip: the encoder of its type writes it again, and the bytes match the
 * input except where the encoder writes fixed values (control frames carry flags 0, the
 * HELLO spare bytes 0, fixed-size control frames no payload). Decoding that output must
 * give the same fields back. Any mismatch aborts.
 */
/* fuzz-sources: src/frame.c src/buf.c src/log.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define HELLO_SPARE_OFF (FRAME_HDR_LEN + 24) /* after version ... mtu, tos, refused */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

/* Encode f again into out; the length written. */
static size_t
encode(const struct frame *f, uint8_t *out)
{
	switch (f->type) {
	case FRAME_HELLO:
		return frame_put_hello(out, &f->hello);
	case FRAME_DATA:
		frame_put_data_hdr(out, f->a, f->flags, f->len);
		memcpy(out + FRAME_DATA_OVERHEAD, f->payload, f->len);
		return FRAME_DATA_OVERHEAD + f->len;
	case FRAME_ACK:
		return frame_put_ack(out, f->a);
	case FRAME_PING:
		return frame_put_ping(out, f->a, f->b);
	case FRAME_PONG:
		return frame_put_pong(out, f->a);
	case FRAME_ABANDON:
		return frame_put_abandon(out, f->a);
	}
	abort();
}

/* The bytes the encoder must produce for the input frame in, of n bytes. */
static size_t
expected(const struct frame *f, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t fixed = n - f->len;

	memcpy(out, in, n);
	if (f->type == FRAME_DATA)
		return n;
	out[1] = 0; /* control frames: no flags */
	if (f->type == FRAME_HELLO) {
		memset(out + HELLO_SPARE_OFF, 0, 2);
		return n;
	}
	out[2] = out[3] = 0; /* fixed-size control frames: no payload */
	return fixed;
}

static void
same(const struct frame *a, const struct frame *b)
{
	must(a->type == b->type && a->a == b->a && a->b == b->b && a->len == b->len);
	must(a->len == 0 || memcmp(a->payload, b->payload, a->len) == 0);
	if (a->type == FRAME_DATA)
		must(a->flags == b->flags);
	if (a->type == FRAME_HELLO) {
		const struct frame_hello *x = &a->hello, *y = &b->hello;

		must(x->version == y->version && x->sid == y->sid && x->tx_base == y->tx_base);
		must(x->flags == y->flags && x->path == y->path && x->conn == y->conn);
		must(x->mtu == y->mtu && x->tos == y->tos && x->refused == y->refused &&
		     strcmp(x->name, y->name) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FRAME_MAX], want[FRAME_MAX];
	struct frame f, g;
	size_t off = 0, m, w;
	long n;

	while (off < size) {
		n = frame_decode(&f, data + off, size - off);
		if (n <= 0)
			break;
		/* inside the input, the payload at the end of the frame */
		must((size_t)n >= FRAME_HDR_LEN && (size_t)n <= size - off);
		must(f.type >= 1 && f.type <= FRAME_TYPE_MAX && (size_t)n <= FRAME_MAX);
		must(f.payload + f.len == data + off + (size_t)n);
		must(f.payload >= data + off + FRAME_HDR_LEN);
		if (f.type == FRAME_HELLO)
			must(f.len <= FRAME_NAME_MAX && strlen(f.hello.name) == f.len);
		w = expected(&f, data + off, (size_t)n, want);
		if (f.type != FRAME_DATA && f.type != FRAME_HELLO)
			f.len = 0; /* the encoders of fixed-size control frames drop any payload */
		m = encode(&f, out);
		must(m == w && memcmp(out, want, m) == 0);
		must(frame_decode(&g, out, m) == (long)m);
		same(&f, &g);
		off += (size_t)n;
	}
	return 0;
}
