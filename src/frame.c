/*
 * frame: encode and decode session-layer frames (see frame.h and doc/protocol.md).
 * Decoding reads through struct rd only; a frame that does not fit is malformed.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "frame.h"

static const uint8_t fixed_len[FRAME_TYPE_MAX + 1] = {
	[FRAME_HELLO] = FRAME_HELLO_FIXED, [FRAME_DATA] = FRAME_DATA_FIXED,
	[FRAME_ACK] = FRAME_ACK_FIXED,     [FRAME_PING] = FRAME_PING_FIXED,
	[FRAME_PONG] = FRAME_PONG_FIXED,   [FRAME_ABANDON] = FRAME_ABANDON_FIXED,
};

long
frame_decode(struct frame *f, const uint8_t *p, size_t len)
{
	struct rd r;
	uint16_t plen;
	uint8_t spare[2];
	struct frame_hello *h = &f->hello;

	if (len == 0)
		return 0;
	rd_init(&r, p, len);
	rd_u8(&r, &f->type);
	rd_u8(&r, &f->flags);
	rd_u16(&r, &plen);
	if (r.err || f->type == 0 || f->type > FRAME_TYPE_MAX)
		return -1;
	f->a = f->b = 0;
	switch (f->type) {
	case FRAME_HELLO:
		rd_u8(&r, &h->version);
		rd_u64(&r, &h->sid);
		rd_u64(&r, &h->tx_base);
		rd_u8(&r, &h->flags);
		rd_u8(&r, &h->path);
		rd_u8(&r, &h->conn);
		rd_u16(&r, &h->mtu);
		rd_u8(&r, &h->tos);
		rd_u8(&r, &h->refused);
		rd_bytes(&r, spare, sizeof(spare));
		if (plen > FRAME_NAME_MAX)
			return -1;
		break;
	case FRAME_PING:
		rd_u64(&r, &f->a);
		rd_u64(&r, &f->b);
		break;
	default:
		if (fixed_len[f->type] == 8)
			rd_u64(&r, &f->a);
		break;
	}
	if (r.err || rd_ptr(&r, &f->payload, plen) == -1)
		return -1;
	f->len = plen;
	if (f->type == FRAME_HELLO) {
		memcpy(h->name, f->payload, plen);
		h->name[plen] = '\0';
		if (strlen(h->name) != plen)
			return -1;
	}
	return (long)r.off;
}

static void
put_hdr(struct wr *w, uint8_t type, uint8_t flags, size_t len)
{
	wr_u8(w, type);
	wr_u8(w, flags);
	wr_u16(w, (uint16_t)len);
}

void
frame_put_data_hdr(uint8_t *out, uint64_t seq, uint8_t flags, size_t len)
{
	struct wr w;

	wr_init(&w, out, FRAME_DATA_OVERHEAD);
	put_hdr(&w, FRAME_DATA, flags, len);
	wr_u64(&w, seq);
}

static size_t
put_u64_frame(uint8_t *out, uint8_t type, uint64_t v)
{
	struct wr w;

	wr_init(&w, out, FRAME_HDR_LEN + 8);
	put_hdr(&w, type, 0, 0);
	wr_u64(&w, v);
	return w.off;
}

size_t
frame_put_ack(uint8_t *out, uint64_t next)
{
	return put_u64_frame(out, FRAME_ACK, next);
}

size_t
frame_put_pong(uint8_t *out, uint64_t stamp)
{
	return put_u64_frame(out, FRAME_PONG, stamp);
}

size_t
frame_put_abandon(uint8_t *out, uint64_t next)
{
	return put_u64_frame(out, FRAME_ABANDON, next);
}

size_t
frame_put_ping(uint8_t *out, uint64_t stamp, uint64_t mark)
{
	struct wr w;

	wr_init(&w, out, FRAME_HDR_LEN + FRAME_PING_FIXED);
	put_hdr(&w, FRAME_PING, 0, 0);
	wr_u64(&w, stamp);
	wr_u64(&w, mark);
	return w.off;
}

size_t
frame_put_hello(uint8_t *out, const struct frame_hello *h)
{
	size_t nlen = strnlen(h->name, FRAME_NAME_MAX);
	struct wr w;

	wr_init(&w, out, FRAME_CTL_MAX);
	put_hdr(&w, FRAME_HELLO, 0, nlen);
	wr_u8(&w, h->version);
	wr_u64(&w, h->sid);
	wr_u64(&w, h->tx_base);
	wr_u8(&w, h->flags);
	wr_u8(&w, h->path);
	wr_u8(&w, h->conn);
	wr_u16(&w, h->mtu);
	wr_u8(&w, h->tos);
	wr_u8(&w, h->refused);
	wr_u16(&w, 0);
	wr_bytes(&w, h->name, nlen);
	return w.off;
}

const char *
frame_refusal_text(int refused)
{
	switch (refused) {
	case FRAME_REFUSED_FULL:
		return "the server has too many paths or connections";
	case FRAME_REFUSED_KEY_IN_USE:
		return "another live client is using this key";
	case FRAME_REFUSED_BUSY:
		return "the server is serving another client";
	}
	return "refused for a reason this version does not know";
}
