/*
 * fuzz_stream: stream_hdr_decode over arbitrary DATA payloads (libFuzzer).
 *
 * A payload that decodes must name a known kind, carry bytes only for DATA (and then at
 * least one), point its data at the end of the input, and survive a round trip: the header
 * written again by stream_hdr_put, followed by the data, gives back the input byte for
 * byte. A payload that does not decode must break one of those rules. Any mismatch aborts.
 */
/* fuzz-sources: src/stream_hdr.c src/buf.c src/log.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	struct stream_msg m;

	if (stream_hdr_decode(&m, data, size) == -1) {
		/* refused: short, an unknown kind, or bytes where there must be none (or some) */
		must(size < STREAM_HDR_LEN || data[0] == 0 || data[0] > STREAM_KIND_MAX ||
		     (data[0] == STREAM_DATA) == (size == STREAM_HDR_LEN));
		return 0;
	}
	must(size >= STREAM_HDR_LEN && m.kind >= 1 && m.kind <= STREAM_KIND_MAX);
	must(m.len == size - STREAM_HDR_LEN && m.data == data + STREAM_HDR_LEN);
	must((m.kind == STREAM_DATA) == (m.len > 0));
	if (size > sizeof(out))
		return 0;
	stream_hdr_put(out, (enum stream_kind)m.kind, m.id);
	memcpy(out + STREAM_HDR_LEN, m.data, m.len);
	must(memcmp(out, data, size) == 0);
	must(strcmp(stream_kind_name(m.kind), "?") != 0);
	return 0;
}
