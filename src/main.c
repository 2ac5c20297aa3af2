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
#include "hooks.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "netlink.h"
#include "path.h"
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
	struct session s;
	struct tun tun;
	struct udpchan udp; /* instead of tun when Mode = udp */
	struct listener *listeners[CONF_MAX_LISTEN];
	struct nl_monitor *nlmon;
	struct ctl *ctl;
	struct notify *notify;
	ev_signal sig_int, sig_term, sig_usr1, sig_usr2, sig_hup;
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: mptun run CONFIG [--syslog] [-v]\n"
		"       mptun check CONFIG\n"
		"       mptun show [-c CONFIG | -s SOCKET] [--json | --prometheus] [--watch [SECS]]\n"
		"       mptun reload [-c CONFIG | -s SOCKET]\n"
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

/* SIGHUP and the control socket's "reload": both logged by reload_apply. */
static int
daemon_reload(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;

	return reload_apply(&d->s, d->conf, msg, len);
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
		fatalx("cannot initialise libsodium or the record cipher library");
	d.loop = ev_default_loop(EVFLAG_AUTO);
	if (session_init(&d.s, d.loop, d.conf, chan_of(&d),
			 d.conf->mode == MODE_UDP ? (size_t)d.conf->mtu : TUN_PAYLOAD_MAX, &d.cid) == -1)
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
	ctl_on_reload(d.ctl, daemon_reload, &d);
	if (privs_drop(d.conf->user, sock) == -1)
		goto out_ctl;
	signals_start(&d);
	hooks_post_up(d.loop, d.conf);
	/* READY=1 once a connection is up (dialing side) or now (listening side) */
	d.notify = notify_start(d.loop, &d.s, conf_is_client(d.conf) && d.s.npaths > 0);
	log_info("%s: running (%s side, %d path%s)", d.conf->ifname,
		 conf_is_client(d.conf) ? "dialing" : "listening", d.s.npaths,
		 d.s.npaths == 1 ? "" : "s");
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
	session_free(&d.s);
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
		return ctl_cmd_show(argc, argv);
	if (strcmp(cmd, "reload") == 0)
		return ctl_cmd_reload(argc, argv);
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
