/*
 * main: the mptun command — run, check, show, reload, genkey, pubkey, reflect, pipe.
 *
 * `run` wires the pieces: configuration, keys, the tun device, the session, paths (dialing
 * side) or listeners (listening side), the control socket and signals. Signals only set
 * flags that loop-side watchers act on (libev's ev_signal does exactly that).
 *
 * Service life cycle: set-up as root, then the privilege drop (privs.h), PostUp, READY=1
 * (notify.h); SIGHUP reloads (reload.h); at the end PreDown, teardown, PostDown.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "conf.h"
#include "congestion.h"
#include "crypto.h"
#include "ctl.h"
#include "hooks.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "netlink.h"
#include "paths.h"
#include "peer.h"
#include "privs.h"
#include "reflect.h"
#include "reload.h"
#include "resolve.h"
#include "session.h"
#include "tun.h"
#include "udpchan.h"
#include "pipe.h"

struct daemon {
	struct ev_loop *loop;
	struct conf *conf;
	struct crypto_id cid;
	struct peers peers; /* each with its session and paths */
	struct tun tun;
	struct udpchan udp; /* instead of tun when Mode = udp */
	struct listener *listeners[CONF_MAX_LISTEN];
	struct nl_monitor *nlmon;
	struct ctl *ctl;
	struct notify *notify;
	ev_signal sig_int, sig_term, sig_usr1, sig_usr2, sig_hup;
};

/*
 * The commands: `mptun --help` lists their synopses, `mptun CMD --help` prints CMD's help
 * on standard output and exits 0. A usage error says what was wrong, then the synopsis, on
 * standard error, and exits 2. show, reload, reflect and pipe parse (and explain) their
 * own options; help is NULL for them.
 */
struct command {
	const char *name;
	const char *synopsis;
	const char *help;
};

static const struct command commands[] = {
	{"run", "CONFIG [--syslog] [-v]",
	 "Run the tunnel CONFIG describes, in the foreground, until SIGINT or SIGTERM.\n"
	 "  --syslog       log to syslog instead of standard error\n"
	 "  -v, --verbose  log debug messages too (SIGUSR2 cycles the level)\n"
	 "SIGHUP reloads CONFIG, SIGUSR1 logs the state. See mptun(8), mptun.conf(5).\n"},
	{"check", "CONFIG",
	 "Check CONFIG and print its canonical form. Exit 1, with FILE:LINE and the reason on\n"
	 "standard error, if it has an error, or names a congestion control this kernel lacks.\n"},
	{"show", "[-c CONFIG | -s SOCKET] [--json | --prometheus] [--watch [SECS]]", NULL},
	{"reload", "[-c CONFIG | -s SOCKET]", NULL},
	{"genkey", "", "Print a new private key (base64) on standard output.\n"},
	{"pubkey", "< private.key",
	 "Read a private key on standard input and print its public key.\n"},
	{"reflect", "[options] LISTEN TARGET", NULL},
	{"pipe", "listen|connect ...", NULL},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s mptun %s%s%s\n", i == 0 ? "usage:" : "      ", commands[i].name,
			*commands[i].synopsis ? " " : "", commands[i].synopsis);
	fprintf(f, "       mptun --version\n"
		   "mptun COMMAND --help describes a command; see also mptun(8).\n");
}

static const struct command *
command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* cmd's help on standard output, exit 0. */
static void __attribute__((noreturn)) command_help(const struct command *cmd)
{
	printf("usage: mptun %s%s%s\n%s", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis,
	       cmd->help);
	exit(fflush(stdout) == 0 ? 0 : 1);
}

/* What was wrong, then cmd's synopsis, on standard error; exit 2. */
static void __attribute__((noreturn, format(printf, 2, 3)))
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "mptun %s: ", cmd->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: mptun %s%s%s\n", cmd->name, *cmd->synopsis ? " " : "",
		cmd->synopsis);
	exit(2);
}

/*
 * Options of a command that takes no options but --help: returns the index of the first
 * operand. getopt has named an unknown option already.
 */
static int
plain_args(const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h')
			command_help(cmd);
		usage_error(cmd, NULL);
	}
	return optind;
}

/* Exactly want operands from argv[first] on, or a usage error naming the odd one. */
static void
operands(const struct command *cmd, int argc, char **argv, int first, int want, const char *what)
{
	if (argc - first < want)
		usage_error(cmd, "missing %s", what);
	if (argc - first > want)
		usage_error(cmd, "unexpected argument '%s'", argv[first + want]);
}

static struct conf *
load_or_exit(const char *file)
{
	struct conf *c = calloc(1, sizeof(*c));
	char err[1024];

	if (c == NULL)
		fatal("calloc");
	if (conf_load(c, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return c;
}

static int
cmd_check(const struct command *cmd, int argc, char **argv)
{
	struct conf *c;
	char err[1024];
	int first = plain_args(cmd, argc, argv), rc = 0;

	operands(cmd, argc, argv, first, 1, "CONFIG");
	c = load_or_exit(argv[first]);
	/* the file is right; is this machine? (run only warns: see congestion.h) */
	switch (congestion_check_conf(c, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "%s\n", err);
		rc = 1;
		break;
	case 1:
		fprintf(stderr, "warning: %s\n", err);
		break;
	}
	if (rc == 0)
		conf_print(c, stdout);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return rc;
}


/* --- run --- */

static void
sig_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
sig_usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	ctl_write_state(&d->peers, f, 0);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_info("%s", line);
	free(text);
}

static void
sig_usr2_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	log_cycle_level();
	log_warnx("log level now %s", names[log_get_level()]);
}

/* SIGHUP and the control socket's "reload": both logged by reload_apply. */
static int
daemon_reload(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;

	return reload_apply(&d->peers, d->conf, msg, len);
}

static void
sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	char msg[RELOAD_MSG_MAX];

	log_info("signal %d: reloading %s", w->signum, ((struct daemon *)w->data)->conf->file);
	daemon_reload(w->data, msg, sizeof(msg));
}

static void
signals_start(struct daemon *d)
{
	ev_signal_init(&d->sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&d->sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&d->sig_usr1, sig_usr1_cb, SIGUSR1);
	ev_signal_init(&d->sig_usr2, sig_usr2_cb, SIGUSR2);
	ev_signal_init(&d->sig_hup, sig_hup_cb, SIGHUP);
	d->sig_usr1.data = d->sig_hup.data = d;
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_usr1);
	ev_signal_start(d->loop, &d->sig_usr2);
	ev_signal_start(d->loop, &d->sig_hup);
	signal(SIGPIPE, SIG_IGN);
}

static int
keys_init(struct daemon *d)
{
	const struct conf *c = d->conf;
	int rc;

	rc = crypto_id_init(&d->cid, c->has_private_key ? c->private_key : NULL,
			    c->has_psk ? c->psk : NULL, (enum crypto_cipher)c->cipher);
	if (rc != CRYPTO_OK) {
		log_warnx("%s: keys: %s", c->file, crypto_strerror(rc));
		return -1;
	}
	return 0;
}

/* --- the channel: the tun device, or a UDP socket when Mode = udp --- */

static int
chan_open(struct daemon *d)
{
	int fd, ifindex;

	if (d->conf->mode == MODE_UDP) {
		if (udpchan_open(&d->udp, d->conf) == -1)
			return -1;
		udpchan_start(&d->udp, d->loop, &d->peers.peer[0]->s); /* conf: one peer */
		return 0;
	}
	if ((fd = tun_open(d->conf, &ifindex)) == -1)
		return -1;
	peers_set_tun(&d->peers, &d->tun);
	if (tun_start(&d->tun, d->loop, d->conf->ifname, fd, ifindex,
		      d->peers.n == 1 ? &d->peers.peer[0]->s : NULL, peers_route,
		      &d->peers) == -1) {
		log_warnx("%s: out of memory", d->conf->ifname);
		close(fd);
		return -1;
	}
	return 0;
}

static void
chan_stop(struct daemon *d)
{
	if (d->conf->mode == MODE_UDP)
		udpchan_stop(&d->udp);
	else
		tun_stop(&d->tun);
}

static int
cmd_run(const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"syslog", no_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon d;
	struct conn_env env;
	struct rlimit nocore = {0, 0};
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)], err[1024];
	int ch, i, use_syslog = 0, verbose = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "Svh", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			use_syslog = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			command_help(cmd);
		default:
			usage_error(cmd, NULL);
		}
	}
	operands(cmd, argc, argv, optind, 1, "CONFIG");
	log_init("mptun", use_syslog);
	if (verbose)
		log_set_level(LOG_LVL_DEBUG);
	/* keys live in this process's memory: no core dumps unless asked for */
	if (getenv("MPTUN_CORE") == NULL) {
		setrlimit(RLIMIT_CORE, &nocore);
		prctl(PR_SET_DUMPABLE, 0);
	}
	memset(&d, 0, sizeof(d));
	d.conf = load_or_exit(argv[optind]);
	switch (congestion_check_conf(d.conf, err, sizeof(err))) {
	case -1:
		log_warnx("%s: its connections use the kernel's default", err);
		break;
	case 1:
		log_warnx("%s", err);
		break;
	}
	if (crypto_init() == -1)
		fatalx("cannot initialise libsodium or the record cipher library");
	d.loop = ev_default_loop(EVFLAG_AUTO);
	/* the set-up steps: each failure ends the program, and says so (log.h) */
	log_warnings_fatal(1);
	if (keys_init(&d) == -1)
		goto out;
	if (peers_init(&d.peers, d.loop, d.conf, &d.cid,
		       d.conf->mode == MODE_UDP ? &d.udp.ch : NULL,
		       d.conf->mode == MODE_UDP ? udpchan_payload_max(d.conf) : TUN_PAYLOAD_MAX) == -1)
		goto out;
	ctl_path(d.conf, sock, sizeof(sock));
	if (ctl_claim(sock) == -1) /* a daemon running there: refused before touching anything */
		goto out;
	if (chan_open(&d) == -1)
		goto out;
	peers_conn_env(&d.peers, &env);
	for (i = 0; i < d.conf->nlisten; i++)
		if ((d.listeners[i] = listener_new(&env, &d.conf->listen[i], &peers_accept_ops,
						   &d.peers)) == NULL)
			goto out_tun;
	log_warnings_fatal(0); /* a path that cannot dial yet retries */
	if (peers_start(&d.peers) == -1)
		fatalx("out of memory");
	/* links and addresses coming and going take paths down and up at once */
	d.nlmon = nl_monitor_open(d.loop, peers_net_event, &d.peers);
	log_warnings_fatal(1);
	if ((d.ctl = ctl_open(d.loop, sock, &d.peers)) == NULL)
		goto out_tun;
	ctl_on_reload(d.ctl, daemon_reload, &d);
	if (privs_drop(d.conf->user, sock) == -1)
		goto out_ctl;
	log_warnings_fatal(0);
	signals_start(&d);
	hooks_post_up(d.loop, d.conf);
	/* READY=1 once a connection is up (dialing side) or now (listening side) */
	d.notify = notify_start(d.loop, &d.peers,
				conf_is_client(d.conf) && d.peers.peer[0]->paths.n > 0);
	if (conf_is_client(d.conf))
		log_info("%s: running (dialing side, %d path%s)", d.conf->ifname,
			 d.peers.peer[0]->paths.n, d.peers.peer[0]->paths.n == 1 ? "" : "s");
	else
		log_info("%s: running (listening side, %d peer%s)", d.conf->ifname, d.peers.n,
			 d.peers.n == 1 ? "" : "s");
	ev_run(d.loop, 0);
	rc = 0;
	notify_stop(d.notify);
	hooks_down(d.conf, "pre-down");
out_ctl:
	ctl_close(d.ctl);
	nl_monitor_close(d.nlmon);
out_tun:
	chan_stop(&d);
out:
	for (i = 0; i < CONF_MAX_LISTEN; i++)
		listener_free(d.listeners[i]);
	peers_free(&d.peers);
	resolve_shutdown(); /* after the connections: none waits for a name any more */
	if (rc == 0)
		hooks_down(d.conf, "post-down");
	hooks_finish();
	crypto_id_wipe(&d.cid);
	sodium_memzero(d.conf, sizeof(*d.conf));
	free(d.conf);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	char name[32];
	int first;

	log_init("mptun", 0);
	if (argc < 2) {
		fprintf(stderr, "mptun: missing command\n");
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("mptun %s\n", PACKAGE_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if ((cmd = command(argv[1])) == NULL) {
		fprintf(stderr, "mptun: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	/* getopt's own messages then read "mptun run: unrecognized option ..." */
	snprintf(name, sizeof(name), "mptun %s", cmd->name);
	argv[1] = name;
	argc--;
	argv++;
	if (strcmp(cmd->name, "run") == 0)
		return cmd_run(cmd, argc, argv);
	if (strcmp(cmd->name, "check") == 0)
		return cmd_check(cmd, argc, argv);
	if (strcmp(cmd->name, "show") == 0)
		return ctl_cmd_show(argc, argv);
	if (strcmp(cmd->name, "reload") == 0)
		return ctl_cmd_reload(argc, argv);
	if (strcmp(cmd->name, "reflect") == 0)
		return reflect_main(argc, argv);
	if (strcmp(cmd->name, "pipe") == 0)
		return pipe_main(argc, argv);
	/* genkey and pubkey: every warning of theirs ends the program */
	first = plain_args(cmd, argc, argv);
	operands(cmd, argc, argv, first, 0, NULL);
	log_warnings_fatal(1);
	if (strcmp(cmd->name, "genkey") == 0)
		return crypto_cmd_genkey();
	return crypto_cmd_pubkey(stdin);
}
