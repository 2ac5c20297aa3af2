/*
 * fuzz_http: arbitrary HTTP CONNECT responses against the client state machine.
 *
 * Input: byte 0 picks credentials or not, byte 1 seeds the chunk sizes, the rest is what
 * the proxy sends. Checked: nothing is consumed past a chunk, a DONE leaves the bytes after
 * the header unconsumed, an error always has a message, and at most PROXY_HTTP_HEADER_MAX
 * bytes are ever taken as header.
 */
/* fuzz-sources: src/proxy.c src/buf.c src/log.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static void
must(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proxy_hop h;
	struct conf_via v;
	struct conf_hostport t;
	uint8_t out[PROXY_OUT_MAX];
	size_t pos = 2, used, taken = 0;
	unsigned seed;
	int rc = PROXY_MORE;

	if (size < 2)
		return 0;
	must(proxy_parse_via(&v, (data[0] & 1) ? "http://user:pass@b:3128" : "http://b:3128", NULL,
			     0) == 0);
	must(proxy_parse_hostport(&t, (data[0] & 2) ? "[::1]:443" : "peer:443", NULL, 0) == 0);
	seed = data[1];
	must(proxy_start(&h, &v, &t) == PROXY_MORE);
	while (proxy_output(&h, out, sizeof(out)) > 0)
		;
	while (pos < size && rc == PROXY_MORE) {
		size_t chunk = seed == 0 ? size - pos : 1 + (seed % 97);

		if (chunk > size - pos)
			chunk = size - pos;
		seed = seed * 1103515245u + 12345u;
		uint8_t *c = malloc(chunk);
		must(c != NULL);
		memcpy(c, data + pos, chunk);
		rc = proxy_input(&h, c, chunk, &used);
		free(c);
		must(used <= chunk);
		if (rc == PROXY_MORE)
			must(used == chunk);
		if (rc != PROXY_ERR)
			taken += used;
		pos += chunk;
	}
	must(taken <= PROXY_HTTP_HEADER_MAX);
	if (rc == PROXY_ERR)
		must(proxy_error(&h)[0] != '\0');
	if (rc == PROXY_DONE) {
		/* the header ends with LF, right before what was left */
		must(taken > 0 && data[2 + taken - 1] == '\n');
		must(proxy_input(&h, data, size, &used) == PROXY_DONE && used == 0);
	}
	return 0;
}
