/*
 * fuzz_conf: libFuzzer harness for the configuration parser.
 *
 * Any input: conf_parse must not crash or read out of bounds, and an error must be one
 * printable line starting with "fuzz.conf:". An accepted input must round-trip: its
 * canonical form parses, and prints the same text again (abort otherwise).
 */
/* fuzz-sources: src/conf.c src/conf_value.c src/conf_print.c src/proxy.c src/buf.c src/log.c */
/* fuzz-libs: libsodium */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
print(const struct conf *c, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	if (f == NULL)
		abort();
	conf_print(c, f);
	fclose(f);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c1, c2;
	char err[1024], *p1, *p2;
	size_t n1, n2, i;

	if (conf_parse(&c1, "fuzz.conf", (const char *)data, size, err, sizeof err) == -1) {
		if (strncmp(err, "fuzz.conf:", 10) != 0)
			abort();
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20)
				abort();
		return 0;
	}
	p1 = print(&c1, &n1);
	if (conf_parse(&c2, "fuzz.conf", p1, n1, err, sizeof err) == -1) {
		fprintf(stderr, "canonical form rejected: %s\n%s", err, p1);
		abort();
	}
	p2 = print(&c2, &n2);
	if (n1 != n2 || memcmp(p1, p2, n1) != 0) {
		fprintf(stderr, "canonical form not stable:\n%s---\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	return 0;
}
