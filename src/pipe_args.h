/*
 * pipe_args: the command line of `mptun pipe`, and the configuration it stands for.
 *
 * Options are parsed into struct pipe_opts; pipe_args_conf then writes the equivalent
 * configuration text and has conf_parse check it like any config file, so a target, a Via
 * URI, an interface name or a key has exactly one parser. No sockets, no name resolution;
 * the only files read are -c CONFIG and --psk-file (by conf.c).
 */
#ifndef MPTUN_PIPE_ARGS_H
#define MPTUN_PIPE_ARGS_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"

#define PIPE_TIMEOUT_DEFAULT 600 /* no connection for this long: give up, s */
#define PIPE_TIMEOUT_MAX     (7 * 86400)
#define PIPE_MAX_TARGETS     CONF_MAX_PATHS
#define PIPE_MAX_IFACES	     8
#define PIPE_ARG_MAX	     1024 /* longest target argument */

/* What the command line asks for. */
struct pipe_opts {
	int listen;			 /* listen (1) or connect (0) */
	char *targets[PIPE_MAX_TARGETS]; /* listen: [addr:]port; connect: host:port[@if][,via=] */
	int ntargets;
	char *ifaces[PIPE_MAX_IFACES]; /* -i: each target once per interface */
	int nifaces;
	int conns;
	const char *config, *psk, *psk_file, *cipher, *sched, *congestion, *dscp;
	int mtu;
	const char *forward, *target;
	int has_prbs;
	uint64_t prbs_seed;
	uint64_t limit;
	double rate;
	uint64_t chaos;
	double timeout;
	double idle_timeout; /* forwarded connections: close after this long idle (0: never) */
	int two_way;	     /* the peer's end of stream never ends ours */
	int quiet, verbose;
};

/* Fill o from argv (argv[0] "pipe"). -1 on a bad command line, said on stderr naming the
 * option or argument at fault; --help prints the usage and exits 0. */
int pipe_args_parse(struct pipe_opts *o, int argc, char **argv);
/* The configuration o stands for (keys from -c), or NULL (said on stderr, naming the
 * option or argument at fault). Free with sodium_memzero and free: it holds keys. */
struct conf *pipe_args_conf(const struct pipe_opts *o);
void pipe_usage(FILE *f);

#endif
