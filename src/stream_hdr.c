/*
 * stream_hdr: the stream header codec (see stream_hdr.h).
 */
#include "config.h"

#include "buf.h"
#include "stream_hdr.h"

int
stream_hdr_decode(struct stream_msg *m, const uint8_t *p, size_t len)
{
	struct rd r;

	rd_init(&r, p, len);
	rd_u8(&r, &m->kind);
	rd_u32(&r, &m->id);
	if (r.err || m->kind == 0 || m->kind > STREAM_KIND_MAX)
		return -1;
	m->len = rd_left(&r);
	rd_ptr(&r, &m->data, m->len);
	/* only DATA carries bytes, and never none: an empty DATA would say nothing */
	if ((m->kind == STREAM_DATA) != (m->len > 0))
		return -1;
	return 0;
}

void
stream_hdr_put(uint8_t *out, enum stream_kind kind, uint32_t id)
{
	struct wr w;

	wr_init(&w, out, STREAM_HDR_LEN);
	wr_u8(&w, (uint8_t)kind);
	wr_u32(&w, id);
}

const char *
stream_kind_name(uint8_t kind)
{
	static const char *const names[] = {"?", "open", "data", "fin", "reset"};

	return kind <= STREAM_KIND_MAX ? names[kind] : "?";
}
