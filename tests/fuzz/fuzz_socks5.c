/*
 * fuzz_socks5: arbitrary SOCKS5 proxy replies against the client state machine.
 *
 * Input: byte 0 picks the hop (credentials or not) and the target (name, IPv4, IPv6);
 * byte 1 seeds the chunk sizes; the rest is what the proxy sends. Checked: nothing is
 * consumed past a chunk, an error always has a message, DONE and ERR are final.
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

static const char *const targets[] = {"peer.example:443", "192.0.2.1:22", "[2001:db8::1]:80",
				      "[fe80::1%eth0]:1"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proxy_hop h;
	struct conf_via v;
	struct conf_hostport t;
	uint8_t out[PROXY_OUT_MAX];
	size_t pos = 2, used;
	unsigned seed;
	int rc = PROXY_MORE;

	if (size < 2)
		return 0;
	must(proxy_parse_via(&v, (data[0] & 1) ? "socks5://user:pass@a:1080" : "socks5://a:1080",
			     NULL, 0) == 0);
	must(proxy_parse_hostport(&t, targets[(data[0] >> 1) & 3], NULL, 0) == 0);
	seed = data[1];
	must(proxy_start(&h, &v, &t) == PROXY_MORE);
	while (pos < size && rc == PROXY_MORE) {
		size_t chunk = seed == 0 ? size - pos : 1 + (seed % 7);

		if (chunk > size - pos)
			chunk = size - pos;
		seed = seed * 1103515245u + 12345u;
		while (proxy_output(&h, out, sizeof(out)) > 0)
			;
		/* a copy on the heap, so ASan sees any read past the chunk */
		uint8_t *c = malloc(chunk);
		must(c != NULL);
		memcpy(c, data + pos, chunk);
		rc = proxy_input(&h, c, chunk, &used);
		free(c);
		must(used <= chunk);
		if (rc == PROXY_MORE)
			must(used == chunk);
		pos += chunk;
	}
	if (rc == PROXY_ERR)
		must(proxy_error(&h)[0] != '\0');
	if (rc == PROXY_DONE)
		must(proxy_input(&h, data, size, &used) == PROXY_DONE && used == 0);
	if (rc == PROXY_MORE)
		must(proxy_eof(&h) == PROXY_ERR && proxy_error(&h)[0] != '\0');
	return 0;
}
