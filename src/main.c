/*
 * main: the mptun command — run, check, show, genkey, pubkey, reflect, pipe.
 *
 * `run` wires the pieces: configuration, keys, the tun device, the session, paths (dialing
 * side) or listeners (listening side), the control socket and signals. Signals only set
 * flags that loop-side watchers act on (libev's ev_signal does exactly that).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
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
#include "crypto.h"
#include "ctl.h"
#include "listener.h"
#include "log.h"
#include "netlink.h"
#include "path.h"
#include "reflect.h"
#include "session.h"
#include "tun.h"
#include "udpchan.h"
#include "pipe.h"

struct daemon {
	struct ev_loop *loop;
	struct conf *conf;
	struct crypto_id cid;
	struct session s;
	struct tun tun;
	struct udpchan udp; /* instead of tun when Mode = udp */
	struct listener *listeners[CONF_MAX_LISTEN];
	struct nl_monitor *nlmon;
	struct ctl *ctl;
	ev_signal sig_int, sig_term, sig_usr1, sig_usr2;
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: mptun run CONFIG [--syslog] [-v]\n"
		"       mptun check CONFIG\n"
		"       mptun show [-c CONFIG | -s SOCKET] [--json]\n"
		"       mptun genkey\n"
		"       mptun pubkey < private.key\n"
		"       mptun reflect [options] LISTEN TARGET\n"
		"       mptun pipe listen|connect ... (mptun pipe --help)\n");
	exit(2);
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
cmd_check(int argc, char **argv)
{
	struct conf *c;

	if (argc != 2)
		usage();
	c = load_or_exit(argv[1]);
	conf_print(c, stdout);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	int ch, json = 0;
	struct conf *c;

	while ((ch = getopt_long(argc, argv, "c:s:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c = load_or_exit(optarg);
			ctl_path(c, path, sizeof(path));
			sodium_memzero(c, sizeof(*c));
			free(c);
			break;
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (path[0] == '\0') {
		struct conf dflt;

		memset(&dflt, 0, sizeof(dflt));
		snprintf(dflt.ifname, sizeof(dflt.ifname), "mp0");
		ctl_path(&dflt, path, sizeof(path));
	}
	return ctl_request(path, json ? "show json" : "show", stdout);
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
	ctl_write_state(&d->s, f, 0);
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

static void
signals_start(struct daemon *d)
{
	ev_signal_init(&d->sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&d->sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&d->sig_usr1, sig_usr1_cb, SIGUSR1);
	ev_signal_init(&d->sig_usr2, sig_usr2_cb, SIGUSR2);
	d->sig_usr1.data = d;
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_usr1);
	ev_signal_start(d->loop, &d->sig_usr2);
	signal(SIGPIPE, SIG_IGN);
}

/* Tell systemd we are ready, if it asked (Type=notify). */
static void
notify_ready(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	int fd;

	if (sock == NULL || (sock[0] != '/' && sock[0] != '@') ||
	    strlen(sock) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sun,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sock)));
	close(fd);
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
	crypto_peer_init(&d->s.peer, c->has_peer_key ? c->peer_key : NULL);
	return 0;
}

/* --- the channel: the tun device, or a UDP socket when Mode = udp --- */

static struct chan *
chan_of(struct daemon *d)
{
	return d->conf->mode == MODE_UDP ? &d->udp.ch : &d->tun.ch;
}

static int
chan_open(struct daemon *d)
{
	int fd, ifindex;

	if (d->conf->mode == MODE_UDP) {
		if (udpchan_open(&d->udp, d->conf) == -1)
			return -1;
		udpchan_start(&d->udp, d->loop, &d->s);
		return 0;
	}
	if ((fd = tun_open(d->conf, &ifindex)) == -1)
		return -1;
	tun_start(&d->tun, d->loop, &d->s, fd, ifindex);
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
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"syslog", no_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	struct daemon d;
	struct rlimit nocore = {0, 0};
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ch, i, use_syslog = 0, verbose = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "Sv", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			use_syslog = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
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
	if (crypto_init() == -1)
		fatalx("libsodium initialisation failed");
	d.loop = ev_default_loop(EVFLAG_AUTO);
	if (session_init(&d.s, d.loop, d.conf, chan_of(&d), &d.cid) == -1)
		fatalx("out of memory");
	if (keys_init(&d) == -1)
		goto out;
	if (chan_open(&d) == -1)
		goto out;
	for (i = 0; i < d.conf->nlisten; i++)
		if ((d.listeners[i] = listener_new(&d.s, &d.conf->listen[i])) == NULL)
			goto out_tun;
	for (i = 0; conf_is_client(d.conf) && i < d.conf->npaths; i++) {
		struct path *p = path_new(&d.s, i, d.conf->paths[i].name, &d.conf->paths[i]);

		if (p == NULL)
			fatalx("out of memory");
		d.s.paths[d.s.npaths++] = p;
		path_start(p);
	}
	/* links and addresses coming and going take paths down and up at once */
	d.nlmon = nl_monitor_open(d.loop, session_net_event, &d.s);
	ctl_path(d.conf, sock, sizeof(sock));
	if ((d.ctl = ctl_open(d.loop, sock, &d.s)) == NULL)
		goto out_tun;
	signals_start(&d);
	notify_ready();
	log_info("%s: running (%s side, %d path%s)", d.conf->ifname,
		 conf_is_client(d.conf) ? "dialing" : "listening", d.s.npaths,
		 d.s.npaths == 1 ? "" : "s");
	ev_run(d.loop, 0);
	rc = 0;
	ctl_close(d.ctl);
	nl_monitor_close(d.nlmon);
out_tun:
	chan_stop(&d);
out:
	for (i = 0; i < CONF_MAX_LISTEN; i++)
		listener_free(d.listeners[i]);
	session_free(&d.s);
	crypto_id_wipe(&d.cid);
	sodium_memzero(d.conf, sizeof(*d.conf));
	free(d.conf);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	log_init("mptun", 0);
	if (argc < 2)
		usage();
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(cmd, "genkey") == 0)
		return crypto_cmd_genkey();
	if (strcmp(cmd, "pubkey") == 0)
		return crypto_cmd_pubkey(stdin);
	if (strcmp(cmd, "reflect") == 0)
		return reflect_main(argc, argv);
	if (strcmp(cmd, "pipe") == 0)
		return pipe_main(argc, argv);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
		usage();
	fprintf(stderr, "mptun: unknown command %s\n", cmd);
	usage();
}
