/*
 * fuzz_synnet: libFuzzer harness for synnet's two parsers of untrusted input: frames
 * (rst_parse, then rst_forge on whatever parsed) and setting words (opt_setting, which
 * also serves the control socket). Printing what parsed must parse again.
 */
/* fuzz-sources: tests/synnet/opt.c tests/synnet/imp.c tests/synnet/rng.c tests/synnet/rst.c */
/* fuzz-sources: src/buf.c src/log.c */
/* fuzz-libs: -lm */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../synnet/imp.h"
#include "../synnet/opt.h"
#include "../synnet/rst.h"

#define FUZZ_WORDS_MAX 32

static void
settings(const uint8_t *data, size_t size)
{
	char buf[512], *w[FUZZ_WORDS_MAX], *save = NULL, *s, err[128], out[OPT_FORMAT_MAX];
	struct imp_params p;
	int n = 0, i = 0, used;

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (s = strtok_r(buf, " ", &save); s && n < FUZZ_WORDS_MAX; s = strtok_r(NULL, " ", &save))
		w[n++] = s;
	imp_params_clear(&p);
	while (i < n) {
		used = opt_setting(&p, n - i, w + i, err, sizeof(err));
		if (used == -1)
			return;
		i += used;
	}
	opt_format(&p, out, sizeof(out));
	/* the canonical form must be accepted again */
	n = 0;
	save = NULL;
	for (s = strtok_r(out, " ", &save); s && n < FUZZ_WORDS_MAX; s = strtok_r(NULL, " ", &save))
		w[n++] = s;
	imp_params_clear(&p);
	for (i = 0; i < n; i += used) {
		used = opt_setting(&p, n - i, w + i, err, sizeof(err));
		if (used == -1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rst_seg seg;
	uint8_t out[RST_FRAME_MAX];

	if (rst_parse(data, size, &seg) == 0 && rst_forge(data, size, &seg, out, sizeof(out)) == 0)
		abort();
	settings(data, size);
	return 0;
}
