/*
 * rst: TCP segment parsing and RST forging (see rst.h).
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "rst.h"

int
rst_parse(const uint8_t *frame, size_t len, struct rst_seg *seg)
{
	struct rd r;
	uint16_t type, tot, plen, u16;
	uint8_t vihl, proto, off, u8;
	uint32_t u32;
	size_t ihl, l4len;
	const uint8_t *skip;

	memset(seg, 0, sizeof(*seg));
	rd_init(&r, frame, len);
	rd_ptr(&r, &skip, 12);
	rd_u16(&r, &type);
	seg->l3_off = RST_ETH_LEN;
	if (r.err)
		return -1;
	if (type == RST_ETH_IP4) {
		rd_u8(&r, &vihl);
		rd_u8(&r, &seg->tos);
		rd_u16(&r, &tot);
		rd_u32(&r, &u32); /* id, flags, fragment offset */
		rd_u8(&r, &u8);	  /* ttl */
		rd_u8(&r, &proto);
		rd_u16(&r, &u16); /* checksum */
		rd_bytes(&r, seg->src, 4);
		rd_bytes(&r, seg->dst, 4);
		ihl = (size_t)(vihl & 0x0f) * 4;
		/* not fragmented (MF clear, offset zero), sane lengths */
		if (r.err || vihl >> 4 != 4 || proto != RST_PROTO_TCP || (u32 & 0x3fff) != 0 ||
		    ihl < RST_IP4_LEN || tot < ihl || tot > len - RST_ETH_LEN)
			return -1;
		if (rd_ptr(&r, &skip, ihl - RST_IP4_LEN) == -1)
			return -1;
		l4len = tot - ihl;
	} else if (type == RST_ETH_IP6) {
		rd_u32(&r, &u32);
		rd_u16(&r, &plen);
		rd_u8(&r, &proto);
		rd_u8(&r, &u8); /* hop limit */
		rd_bytes(&r, seg->src, 16);
		rd_bytes(&r, seg->dst, 16);
		if (r.err || u32 >> 28 != 6 || proto != RST_PROTO_TCP || plen > rd_left(&r))
			return -1;
		seg->v6 = 1;
		seg->tos = (uint8_t)(u32 >> 20);
		l4len = plen;
	} else {
		return -1;
	}
	rd_u16(&r, &seg->sport);
	rd_u16(&r, &seg->dport);
	rd_u32(&r, &seg->seq);
	rd_u32(&r, &seg->ack);
	rd_u8(&r, &off);
	rd_u8(&r, &seg->flags);
	if (r.err || (size_t)(off >> 4) * 4 < RST_TCP_LEN || (size_t)(off >> 4) * 4 > l4len)
		return -1;
	seg->paylen = (uint32_t)(l4len - (size_t)(off >> 4) * 4);
	return 0;
}

int
rst_match(const struct rst_seg *seg, uint16_t port)
{
	if ((seg->flags & (RST_TCP_RST | RST_TCP_SYN)) || !(seg->flags & RST_TCP_ACK))
		return 0;
	return port == 0 || seg->sport == port || seg->dport == port;
}

int
rst_same_flow(const struct rst_seg *a, const struct rst_seg *b)
{
	size_t n = a->v6 ? 16 : 4;

	if (a->v6 != b->v6)
		return 0;
	if (a->sport == b->sport && a->dport == b->dport && !memcmp(a->src, b->src, n) &&
	    !memcmp(a->dst, b->dst, n))
		return 1;
	return a->sport == b->dport && a->dport == b->sport && !memcmp(a->src, b->dst, n) &&
	       !memcmp(a->dst, b->src, n);
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t
rst_forge(const uint8_t *frame, size_t len, const struct rst_seg *seg, uint8_t *out, size_t cap)
{
	struct wr w;
	size_t alen = seg->v6 ? 16 : 4, tcp_off;
	uint32_t seq = seg->seq + seg->paylen, sum;
	uint16_t c;

	if (len < RST_ETH_LEN || cap < RST_FRAME_MAX)
		return 0;
	if (seg->flags & (RST_TCP_SYN | RST_TCP_FIN))
		seq++;
	wr_init(&w, out, cap);
	wr_bytes(&w, frame, 12); /* same MAC addresses: same way as the segment */
	if (seg->v6) {
		wr_u16(&w, RST_ETH_IP6);
		wr_u32(&w, 6u << 28 | (uint32_t)seg->tos << 20);
		wr_u16(&w, RST_TCP_LEN);
		wr_u8(&w, RST_PROTO_TCP);
		wr_u8(&w, 64);
	} else {
		wr_u16(&w, RST_ETH_IP4);
		wr_u8(&w, 0x45);
		wr_u8(&w, seg->tos);
		wr_u16(&w, RST_IP4_LEN + RST_TCP_LEN);
		wr_u32(&w, 0x4000); /* id 0, DF */
		wr_u8(&w, 64);
		wr_u8(&w, RST_PROTO_TCP);
		wr_u16(&w, 0); /* checksum, below */
	}
	wr_bytes(&w, seg->src, alen);
	wr_bytes(&w, seg->dst, alen);
	tcp_off = w.off;
	wr_u16(&w, seg->sport);
	wr_u16(&w, seg->dport);
	wr_u32(&w, seq);
	wr_u32(&w, seg->flags & RST_TCP_ACK ? seg->ack : 0);
	wr_u8(&w, (RST_TCP_LEN / 4) << 4);
	wr_u8(&w, RST_TCP_RST | (seg->flags & RST_TCP_ACK));
	wr_u16(&w, 0); /* window */
	wr_u16(&w, 0); /* checksum, below */
	wr_u16(&w, 0); /* urgent */
	if (w.err)
		return 0;
	if (!seg->v6) {
		c = fold(sum16(0, out + RST_ETH_LEN, RST_IP4_LEN));
		out[RST_ETH_LEN + 10] = (uint8_t)(c >> 8);
		out[RST_ETH_LEN + 11] = (uint8_t)c;
	}
	/* pseudo header: addresses, protocol, TCP length */
	sum = sum16(0, seg->src, alen);
	sum = sum16(sum, seg->dst, alen);
	sum += RST_PROTO_TCP + RST_TCP_LEN;
	c = fold(sum16(sum, out + tcp_off, RST_TCP_LEN));
	out[tcp_off + 16] = (uint8_t)(c >> 8);
	out[tcp_off + 17] = (uint8_t)c;
	return w.off;
}
