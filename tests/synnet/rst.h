/*
 * rst: recognise a TCP segment in an Ethernet frame and forge the RST that kills its
 * connection at the receiver.
 *
 * The forged RST travels the same way as the segment it follows, from the segment's
 * sender to its receiver, with seq = the segment's seq plus its length: exactly the
 * receiver's next expected sequence number once the segment has arrived, so the
 * receiver resets at once (RFC 5961 answers any other in-window seq with a challenge
 * ACK instead). Pure: every frame byte is read through the bounds-checked readers.
 */
#ifndef SYNNET_RST_H
#define SYNNET_RST_H

#include <stddef.h>
#include <stdint.h>

/* Header lengths and fields used here. */
#define RST_ETH_LEN   14
#define RST_IP4_LEN   20
#define RST_IP6_LEN   40
#define RST_TCP_LEN   20
#define RST_ETH_IP4   0x0800
#define RST_ETH_IP6   0x86dd
#define RST_PROTO_TCP 6
#define RST_TCP_FIN   0x01
#define RST_TCP_SYN   0x02
#define RST_TCP_RST   0x04
#define RST_TCP_ACK   0x10
/* Longest forged frame (Ethernet + IPv6 + TCP). */
#define RST_FRAME_MAX (RST_ETH_LEN + RST_IP6_LEN + RST_TCP_LEN)

struct rst_seg {
	int v6;
	size_t l3_off;	 /* offset of the IP header */
	uint8_t src[16]; /* addresses: 4 or 16 bytes used */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint8_t tos;	 /* IPv4 TOS or IPv6 traffic class */
	uint32_t paylen; /* TCP payload bytes */
};

/* Parse frame as Ethernet + IPv4/IPv6 (no extension headers) + TCP; -1 if it is not. */
int rst_parse(const uint8_t *frame, size_t len, struct rst_seg *seg);
/* 1 if seg belongs to an established flow on port (0: any port) and is no RST itself. */
int rst_match(const struct rst_seg *seg, uint16_t port);
/* 1 if a and b are segments of one TCP connection (either way), else 0. */
int rst_same_flow(const struct rst_seg *a, const struct rst_seg *b);
/*
 * Write into out (cap >= RST_FRAME_MAX) the RST that follows seg from its sender to its
 * receiver, reusing the frame's Ethernet header; returns the frame length, 0 on error.
 */
size_t rst_forge(const uint8_t *frame, size_t len, const struct rst_seg *seg, uint8_t *out,
		 size_t cap);

#endif
