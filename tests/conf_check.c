/*
 * conf_check: "mptun check" reduced to the conf module, for the golden tests while (or
 * where) the full binary is not at hand. Same contract: on success the canonical form on
 * stdout and exit 0; on error the message "FILE:LINE: message" alone on stderr and exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"

int
main(int argc, char **argv)
{
	static struct conf c; /* large: keep it off the stack */
	char err[1024];

	if (argc != 2) {
		fprintf(stderr, "usage: conf_check CONFIG\n");
		return 2;
	}
	if (conf_load(&c, argv[1], err, sizeof err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	conf_print(&c, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
