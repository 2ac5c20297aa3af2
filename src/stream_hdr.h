/*
 * stream_hdr: the stream header inside a DATA payload of a byte-stream session.
 *
 * A pipe or a set of forwarded TCP connections shares one reliable session; each DATA
 * payload starts with a header naming the stream and what happens to it (doc/protocol.md,
 * "Streams"):
 *
 *   kind (1) | stream id (4, big endian) | data (DATA only, 1..MTU-5 bytes)
 *
 * Pure: encoding and bounds-checked decoding, nothing else.
 */
#ifndef MPTUN_STREAM_HDR_H
#define MPTUN_STREAM_HDR_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_HDR_LEN	5
#define STREAM_ID_STDIO 0 /* the pipe's stdin/stdout stream: open from the start */

enum stream_kind {
	STREAM_OPEN = 1,  /* a new stream: connect it to the target */
	STREAM_DATA = 2,  /* bytes of the stream */
	STREAM_FIN = 3,	  /* the sender's half is finished: no more DATA on it */
	STREAM_RESET = 4, /* the stream is gone (refused, failed): forget it at once */
	STREAM_KIND_MAX = 4
};

/* A decoded header; data points into the payload it came from. */
struct stream_msg {
	uint8_t kind;
	uint32_t id;
	const uint8_t *data;
	size_t len;
};

/*
 * Decode one payload of len bytes. 0, or -1 when it is malformed: shorter than the
 * header, an unknown kind, DATA without data, or OPEN / FIN / RESET with any.
 */
int stream_hdr_decode(struct stream_msg *m, const uint8_t *p, size_t len);
/* Write a header (STREAM_HDR_LEN bytes) at out. */
void stream_hdr_put(uint8_t *out, enum stream_kind kind, uint32_t id);
const char *stream_kind_name(uint8_t kind);

#endif
