/*
 * fuzz_via: arbitrary text into the host:port and hop URI parsers. Whatever parses must
 * print to a form that parses back to the same struct (round trip).
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
	static struct conf_via v, w;
	static struct conf_hostport a, b;
	char s[2048], out[2048], err[256];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (proxy_parse_via(&v, s, err, sizeof(err)) == 0) {
		proxy_format_via(&v, out, sizeof(out));
		memset(&w, 0, sizeof(w));
		must(proxy_parse_via(&w, out, err, sizeof(err)) == 0);
		must(memcmp(&v, &w, sizeof(v)) == 0);
	} else {
		must(err[0] != '\0');
	}
	memset(&a, 0, sizeof(a));
	if (proxy_parse_hostport(&a, s, err, sizeof(err)) == 0) {
		proxy_format_hostport(&a, out, sizeof(out));
		memset(&b, 0, sizeof(b));
		must(proxy_parse_hostport(&b, out, err, sizeof(err)) == 0);
		must(strcmp(a.host, b.host) == 0 && a.port == b.port);
	}
	return 0;
}
