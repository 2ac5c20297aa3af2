/*
 * synnet: a synthetic network for tests. It bridges pairs of interfaces (usually veth
 * ends in a middle network namespace) and does to each frame what a bad network would:
 * rate limit with a real queue, delay and jitter, random or bursty loss, duplication,
 * corruption, black holes, carrier loss, forged TCP resets. Every random choice comes
 * from a seed. Settings change at run time through a control socket.
 *
 *   synnet [-v] [-S SEED] [-s SOCKET] [-f FILE] [-e COMMAND]... [-n FRAMES]
 *   synnet ctl SOCKET COMMAND...
 *
 * SIGHUP runs the configuration file again (as the "reload" command); SIGINT and SIGTERM
 * stop. On exit every interface synnet took down is set up again.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cmd.h"
#include "ctl.h"
#include "emu.h"
#include "log.h"
#include "opt.h"

/* Most -e commands on one command line. */
#define MAIN_MAX_EXPRS 64

static void
usage(void)
{
	fprintf(stderr, "usage: synnet [-v] [-S seed] [-s socket] [-f file] [-e command]... "
			"[-n frames]\n"
			"       synnet ctl SOCKET COMMAND...\n");
	exit(2);
}

static void
stop_cb(EV_P_ ev_signal *w, int revents)
{
	ev_break(EV_A_ EVBREAK_ALL);
}

static void
hup_cb(EV_P_ ev_signal *w, int revents)
{
	struct emu *e = w->data;
	char err[256];

	if (e->config == NULL)
		return;
	if (cmd_file(e, e->config, stderr, err, sizeof(err)) == -1)
		log_warnx("reload: %s", err);
	else
		log_info("reloaded %s", e->config);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	struct emu emu;
	struct ctl ctl = {.fd = -1};
	ev_signal sig_int, sig_term, sig_hup;
	const char *sock = NULL, *config = NULL, *exprs[MAIN_MAX_EXPRS];
	char err[256];
	uint64_t seed = 1, npkt = EMU_DEFAULT_PKTS;
	int ch, nexpr = 0, i;

	if (argc >= 2 && !strcmp(argv[1], "ctl"))
		return ctl_client(argc - 2, argv + 2);
	log_init("synnet", 0);
	while ((ch = getopt(argc, argv, "ve:f:n:s:S:")) != -1) {
		switch (ch) {
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'e':
			if (nexpr == MAIN_MAX_EXPRS)
				fatalx("too many -e");
			exprs[nexpr++] = optarg;
			break;
		case 'f':
			config = optarg;
			break;
		case 'n':
			if (opt_u64(optarg, &npkt) == -1 || npkt < 2 * PORT_BATCH ||
			    npkt > (1u << 24))
				fatalx("-n: bad frame count");
			break;
		case 's':
			sock = optarg;
			break;
		case 'S':
			if (opt_u64(optarg, &seed) == -1)
				fatalx("-S: bad seed");
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	loop = ev_default_loop(0);
	if (emu_init(&emu, loop, (size_t)npkt, seed) == -1)
		return 1;
	emu.config = config;
	/* timer slack would add up to 50 us to every departure */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (emu.config && cmd_file(&emu, emu.config, stdout, err, sizeof(err)) == -1)
		fatalx("%s", err);
	for (i = 0; i < nexpr; i++)
		if (cmd_exec(&emu, exprs[i], stdout, err, sizeof(err)) == -1)
			fatalx("-e '%s': %s", exprs[i], err);
	fflush(stdout);
	/* the socket comes last: once it exists, the links are in place */
	if (sock && ctl_listen(&ctl, &emu, sock) == -1)
		return 1;
	ev_signal_init(&sig_int, stop_cb, SIGINT);
	ev_signal_init(&sig_term, stop_cb, SIGTERM);
	ev_signal_init(&sig_hup, hup_cb, SIGHUP);
	sig_hup.data = &emu;
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_hup);
	log_info("running: %d link(s), seed %llu", emu.nlinks, (unsigned long long)emu.seed);
	if (!cmd_quit)
		ev_run(loop, 0);
	ctl_close(&ctl);
	emu_free(&emu);
	log_info("stopped");
	return 0;
}
