/*
 * pipe_args: parse `mptun pipe`'s options and write the configuration they stand for (see
 * pipe_args.h).
 *
 * The text written for `pipe connect a:7000@eth0,via=socks5://r:1080 -n 2 --psk-file K`:
 *
 *   [Interface]                  [Path]
 *   Name = pipe                  Name = p1
 *   PresharedKeyFile = K         Endpoint = a:7000
 *                                Connections = 2
 *                                Express = no
 *                                Interface = eth0
 *                                Via = socks5://r:1080
 *
 * conf_parse's messages name a line of that text; each line remembers what the user typed
 * for it (an option, a target), and the message is said about that instead.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "conf_value.h"
#include "log.h"
#include "pipe.h"
#include "pipe_args.h"

void
pipe_usage(FILE *f)
{
	fprintf(f,
		"usage: mptun pipe listen [ADDR:]PORT... [options]\n"
		"       mptun pipe connect HOST:PORT[@IFACE][,via=URI]... [options]\n"
		"Moves stdin to the peer's stdout and back over every path at once, or forwards\n"
		"TCP connections (--forward, --target; a stdin/stdout side of a --target side is\n"
		"connected to that target, as ssh's ProxyCommand needs).\n"
		"One-way (... | mptun pipe connect ... on one side, mptun pipe listen ... > FILE\n"
		"on the other, or the reverse): the end of the sender's data ends the transfer;\n"
		"the receiver has sent nothing and has nothing to send, so its stream ends too,\n"
		"and both exit once every byte is delivered and acknowledged, whatever its stdin.\n"
		"Two-way: a side that has sent anything sends on until its own stdin ends;\n"
		"--two-way makes it so from the start (a side that answers after the end).\n"
		"  -n, --connections N   TCP connections per path (default 1)\n"
		"  -i, --interface IF    dial each target over IF too (repeatable)\n"
		"  --psk KEY, --psk-file FILE\n"
		"                        the pre-shared key (mptun genkey makes one)\n"
		"  -c, --config FILE     keys (and, without targets, paths or Listen) from FILE\n"
		"  --cipher NAME, --scheduler NAME, --congestion NAME, --mtu N\n"
		"  --dscp CODE           mark the outer packets (EF, AF41, CS1, ... or 0-63)\n"
		"  -f, --forward [ADDR:]PORT\n"
		"                        accept TCP connections here; the peer connects each\n"
		"  -t, --target HOST:PORT\n"
		"                        connect each connection the peer forwards to HOST:PORT;\n"
		"                        listen --target (no --forward) serves many clients\n"
		"  --idle-timeout SECS   close a forwarded connection after SECS without traffic;\n"
		"                        0: never (default)\n"
		"  --two-way             the peer's end of stream never ends ours\n"
		"  --prbs SEED           send a test stream (--limit bytes) and verify the one "
		"received\n"
		"  --limit BYTES         send at most BYTES (suffixes k, M, G, T: powers of 1024)\n"
		"  --rate BYTES          send at most BYTES per second\n"
		"  --chaos N             cut a connection about every N records sent\n"
		"  --timeout SECS        give up after SECS without any connection to the peer\n"
		"                        (default %d: shorter outages are ridden out, and the\n"
		"                        transfer resumes where it stopped; a listener of many\n"
		"                        clients forgets one after SECS without its connections)\n"
		"  -q, --quiet           no progress line, and only problems in the log\n"
		"  -v, --verbose         debug log (by default: paths down and up, peer restarts)\n"
		"Exit status: 0 every byte delivered and acknowledged both ways, 1 incomplete,\n"
		"2 usage, 3 --prbs mismatch.\n",
		PIPE_TIMEOUT_DEFAULT);
}

struct text;

static int bad(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A usage error about opt (an option, or what an argument is): say it, return -1. */
static int
bad(const char *opt, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mptun pipe: %s: ", opt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A byte count with an optional binary suffix. -1 when malformed. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' && strcasecmp(end + 1, "iB") != 0 &&
	    strcasecmp(end + 1, "B") != 0)
		return -1;
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A whole number of seconds in [min, max] for option opt. */
static int
parse_secs(const char *opt, const char *arg, long min, long max, double *out)
{
	char why[128];
	long n;

	if (conf_value_num(arg, min, max, &n, why, sizeof(why)) == -1)
		return bad(opt, "bad number of seconds '%s': %s", arg, why);
	*out = (double)n;
	return 0;
}

int
pipe_args_parse(struct pipe_opts *o, int argc, char **argv)
{
	enum {
		O_PSK = 256,
		O_PSKFILE,
		O_CIPHER,
		O_SCHED,
		O_CC,
		O_DSCP,
		O_MTU,
		O_PRBS,
		O_LIMIT,
		O_RATE,
		O_CHAOS,
		O_TIMEOUT,
		O_IDLE,
		O_TWOWAY
	};
	static const struct option opts[] = {
		{"connections", required_argument, NULL, 'n'},
		{"interface", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"psk", required_argument, NULL, O_PSK},
		{"psk-file", required_argument, NULL, O_PSKFILE},
		{"cipher", required_argument, NULL, O_CIPHER},
		{"scheduler", required_argument, NULL, O_SCHED},
		{"congestion", required_argument, NULL, O_CC},
		{"dscp", required_argument, NULL, O_DSCP},
		{"mtu", required_argument, NULL, O_MTU},
		{"forward", required_argument, NULL, 'f'},
		{"target", required_argument, NULL, 't'},
		{"prbs", required_argument, NULL, O_PRBS},
		{"limit", required_argument, NULL, O_LIMIT},
		{"rate", required_argument, NULL, O_RATE},
		{"chaos", required_argument, NULL, O_CHAOS},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"idle-timeout", required_argument, NULL, O_IDLE},
		{"two-way", no_argument, NULL, O_TWOWAY},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[128];
	uint64_t v;
	long n;
	int ch;

	o->conns = 1;
	o->limit = UINT64_MAX;
	o->timeout = PIPE_TIMEOUT_DEFAULT;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		pipe_usage(stdout);
		exit(PIPE_EXIT_OK);
	}
	if (argc < 2) {
		fprintf(stderr, "mptun pipe: listen or connect?\n");
		return -1;
	}
	if (strcmp(argv[1], "listen") != 0 && strcmp(argv[1], "connect") != 0) {
		fprintf(stderr, "mptun pipe: unknown mode '%s': expected listen or connect\n",
			argv[1]);
		return -1;
	}
	o->listen = strcmp(argv[1], "listen") == 0;
	argc--;
	argv++;
	opterr = 0; /* said here, naming the option */
	optind = 0; /* glibc: start afresh even if main used getopt */
	while ((ch = getopt_long(argc, argv, ":n:i:c:f:t:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (conf_value_num(optarg, 1, CONF_MAX_CONNS, &n, why, sizeof(why)) == -1)
				return bad("-n", "bad number '%s': %s", optarg, why);
			o->conns = (int)n;
			break;
		case 'i':
			if (!conf_value_ifname(optarg))
				return bad("-i", "'%s' is not an interface name", optarg);
			if (o->nifaces >= PIPE_MAX_IFACES)
				return bad("-i", "more than %d interfaces", PIPE_MAX_IFACES);
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case O_PSK:
			o->psk = optarg;
			break;
		case O_PSKFILE:
			o->psk_file = optarg;
			break;
		case O_CIPHER:
			o->cipher = optarg;
			break;
		case O_SCHED:
			o->sched = optarg;
			break;
		case O_CC:
			o->congestion = optarg;
			break;
		case O_DSCP:
			o->dscp = optarg;
			break;
		case O_MTU:
			if (conf_value_num(optarg, CONF_MTU_MIN, CONF_MTU_MAX, &n, why,
					   sizeof(why)) == -1)
				return bad("--mtu", "bad MTU '%s': %s", optarg, why);
			o->mtu = (int)n;
			break;
		case 'f':
			o->forward = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case O_PRBS:
		case O_CHAOS:
			if (parse_size(optarg, &v) == -1)
				return bad(ch == O_PRBS ? "--prbs" : "--chaos", "bad number '%s'",
					   optarg);
			if (ch == O_CHAOS) {
				o->chaos = v;
				break;
			}
			o->has_prbs = 1;
			o->prbs_seed = v;
			break;
		case O_LIMIT:
		case O_RATE:
			if (parse_size(optarg, &v) == -1)
				return bad(ch == O_LIMIT ? "--limit" : "--rate",
					   "bad size '%s' (a whole number, optionally with k, M, G "
					   "or T)",
					   optarg);
			if (ch == O_LIMIT)
				o->limit = v;
			else
				o->rate = (double)v;
			break;
		case O_TIMEOUT:
			if (parse_secs("--timeout", optarg, 1, PIPE_TIMEOUT_MAX, &o->timeout) == -1)
				return -1;
			break;
		case O_IDLE:
			if (parse_secs("--idle-timeout", optarg, 0, PIPE_TIMEOUT_MAX,
				       &o->idle_timeout) == -1)
				return -1;
			break;
		case O_TWOWAY:
			o->two_way = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			pipe_usage(stdout);
			exit(PIPE_EXIT_OK);
		case ':':
			/* optopt: the letter of a short option; 0 for a long one (in argv) */
			if (optopt != 0)
				fprintf(stderr, "mptun pipe: -%c: needs a value\n", optopt);
			else
				fprintf(stderr, "mptun pipe: %s: needs a value\n",
					argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0)
				fprintf(stderr, "mptun pipe: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "mptun pipe: unknown option '%s'\n",
					argv[optind - 1]);
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (o->ntargets >= PIPE_MAX_TARGETS)
			return bad(argv[optind], "more than %d targets", PIPE_MAX_TARGETS);
		if (strlen(argv[optind]) >= PIPE_ARG_MAX)
			return bad("target", "longer than %d characters", PIPE_ARG_MAX - 1);
		o->targets[o->ntargets++] = argv[optind];
	}
	if (o->ntargets == 0 && o->config == NULL) {
		fprintf(stderr, "mptun pipe: %s\n",
			o->listen ? "listen where? give [ADDR:]PORT"
				  : "connect to what? give HOST:PORT");
		return -1;
	}
	if (o->forward != NULL && o->has_prbs)
		return bad("--prbs", "is for the stdin/stdout stream, not --forward");
	if (o->listen && o->dscp != NULL)
		return bad("--dscp", "is for connect: the listening side marks its packets as the "
				     "dialing side asks");
	if (o->idle_timeout > 0 && o->forward == NULL && o->target == NULL)
		return bad("--idle-timeout",
			   "only for forwarded connections (--forward, --target)");
	return 0;
}

/* No control characters: the value goes into configuration text as one line. */
static int
one_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * The configuration text being written, and for each line what the user typed that it
 * stands for: conf_parse names a line of this text, the message must name an option.
 */
struct text {
	FILE *f;
	const char **label; /* per line: the word to put in place of the key; NULL: none */
	int nlines, cap;
};

/* One line of text (fmt ends with its only newline), standing for label. */
static void
put(struct text *t, const char *label, const char *fmt, ...)
{
	va_list ap;

	if (t->nlines == t->cap) {
		t->cap = t->cap == 0 ? 64 : 2 * t->cap;
		if ((t->label = reallocarray(t->label, (size_t)t->cap, sizeof(*t->label))) == NULL)
			fatal("reallocarray");
	}
	t->label[t->nlines++] = label;
	va_start(ap, fmt);
	vfprintf(t->f, fmt, ap);
	va_end(ap);
}

static void
put_key(struct text *t, const char *name, const uint8_t key[CONF_KEY_LEN])
{
	char b64[sodium_base64_ENCODED_LEN(CONF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, CONF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	put(t, "-c", "%s = %s\n", name, b64);
	sodium_memzero(b64, sizeof(b64));
}

/* One [Path] for target t (host:port[@if][,via=URI]...), over interface ifc if set. */
static int
put_path(struct text *t, const struct pipe_opts *o, const char *tg, const char *ifc, int idx)
{
	char buf[PIPE_ARG_MAX], *seg, *save = NULL, *at, *rb;
	const char *iflabel = ifc != NULL ? "-i" : "interface";

	snprintf(buf, sizeof(buf), "%s", tg);
	seg = strtok_r(buf, ",", &save);
	if (seg == NULL) {
		fprintf(stderr, "mptun pipe: target '%s': no HOST:PORT\n", tg); /* e.g. "," */
		return -1;
	}
	/* '@' after the port (an IPv6 literal has ']' before it) names the interface */
	rb = strrchr(seg, ']');
	at = strrchr(rb != NULL ? rb : seg, '@');
	if (at != NULL) {
		*at = '\0';
		ifc = at + 1;
	}
	put(t, NULL, "[Path]\n");
	put(t, NULL, "Name = p%d\n", idx);
	put(t, "target", "Endpoint = %s\n", seg);
	put(t, "-n", "Connections = %d\n", o->conns);
	/* a byte stream has no small packets to put ahead: no express connection */
	put(t, NULL, "Express = no\n");
	if (ifc != NULL)
		put(t, iflabel, "Interface = %s\n", ifc);
	if (o->congestion != NULL)
		put(t, "--congestion", "Congestion = %s\n", o->congestion);
	if (o->dscp != NULL)
		put(t, "--dscp", "DSCP = %s\n", o->dscp);
	while ((seg = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(seg, "via=", 4) != 0) {
			fprintf(stderr,
				"mptun pipe: target '%s': unknown word '%s' (expected via=URI)\n",
				tg, seg);
			return -1;
		}
		put(t, "via", "Via = %s\n", seg + 4);
	}
	return 0;
}

/* The configuration text for the command line; base: keys from -c. */
static int
write_conf(struct text *t, const struct pipe_opts *o, const struct conf *base)
{
	const char *tg;
	int i, j, idx = 1;

	put(t, NULL, "[Interface]\n");
	put(t, NULL, "Name = pipe\n");
	if (o->mtu > 0 || base != NULL)
		put(t, "--mtu", "MTU = %d\n", o->mtu > 0 ? o->mtu : base->mtu);
	if (o->cipher != NULL)
		put(t, "--cipher", "Cipher = %s\n", o->cipher);
	else if (base != NULL)
		put(t, "-c", "Cipher = %s\n", conf_cipher_name(base->cipher));
	if (o->sched != NULL)
		put(t, "--scheduler", "Scheduler = %s\n", o->sched);
	if (base != NULL && base->has_private_key)
		put_key(t, "PrivateKey", base->private_key);
	if (o->psk != NULL)
		put(t, "--psk", "PresharedKey = %s\n", o->psk);
	else if (o->psk_file != NULL)
		put(t, "--psk-file", "PresharedKeyFile = %s\n", o->psk_file);
	else if (base != NULL && base->has_psk)
		put_key(t, "PresharedKey", base->psk);
	for (i = 0; o->listen && i < o->ntargets; i++) {
		tg = o->targets[i];
		if (strspn(tg, "0123456789") == strlen(tg)) {
			put(t, "listen address", "Listen = 0.0.0.0:%s\n", tg);
			put(t, "listen address", "Listen = [::]:%s\n", tg);
		} else {
			put(t, "listen address", "Listen = %s\n", tg);
		}
	}
	if (base != NULL && base->peers[0].has_key) {
		put(t, NULL, "[Peer]\n");
		put_key(t, "PublicKey", base->peers[0].key);
	}
	for (i = 0; !o->listen && i < o->ntargets; i++) {
		if (o->nifaces == 0 || strchr(o->targets[i], '@') != NULL) {
			if (put_path(t, o, o->targets[i], NULL, idx++) == -1)
				return -1;
			continue;
		}
		for (j = 0; j < o->nifaces; j++)
			if (put_path(t, o, o->targets[i], o->ifaces[j], idx++) == -1)
				return -1;
	}
	return 0;
}

/*
 * conf_parse's message about the text ("command line:LINE: Key 'value': why"), said about
 * what the user typed instead: "mptun pipe: --cipher 'value': why".
 */
static void
say_conf_error(const struct text *t, const char *err)
{
	static const char prefix[] = "command line:";
	const char *msg = err, *label = NULL;
	char *end;
	long line;

	if (strncmp(err, prefix, sizeof(prefix) - 1) == 0) {
		line = strtol(err + sizeof(prefix) - 1, &end, 10);
		if (*end == ':') {
			msg = end + 1 + (end[1] == ' ');
			if (line >= 1 && line <= t->nlines)
				label = t->label[line - 1];
		}
	}
	if (label == NULL) {
		fprintf(stderr, "mptun pipe: %s\n", msg);
		return;
	}
	/* the key the message starts with becomes the option's name */
	msg += strspn(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	fprintf(stderr, "mptun pipe: %s%s\n", label, msg);
}

/* Values that go into the configuration text must each stay one line. */
static int
all_one_line(const struct pipe_opts *o)
{
	const char *const opt[] = {"--cipher", "--scheduler", "--congestion", "--dscp", "--psk",
				   "--psk-file"};
	const char *const val[] = {o->cipher, o->sched, o->congestion, o->dscp, o->psk,
				   o->psk_file};
	size_t i;
	int j;

	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (val[i] != NULL && !one_line(val[i]))
			return bad(opt[i], "control character in the value");
	for (j = 0; j < o->ntargets; j++)
		if (!one_line(o->targets[j]))
			return bad("target", "control character in an argument");
	return 0;
}

/* Build the configuration: from the command line, with keys (or everything) from -c. */
struct conf *
pipe_args_conf(const struct pipe_opts *o)
{
	struct conf *base = NULL, *c = calloc(1, sizeof(*c));
	struct text t = {NULL, NULL, 0, 0};
	char err[1024], *text = NULL;
	size_t len = 0;
	int i, rc = -1;

	if (c == NULL)
		fatal("calloc");
	if (all_one_line(o) == -1)
		goto out;
	if (o->config != NULL) {
		if ((base = calloc(1, sizeof(*base))) == NULL)
			fatal("calloc");
		if (conf_load(base, o->config, err, sizeof(err)) == -1) {
			fprintf(stderr, "mptun pipe: %s\n", err); /* FILE:LINE: why */
			goto out;
		}
		if (o->ntargets == 0) {
			/* the file says where too */
			if (o->listen != (base->nlisten > 0)) {
				bad("-c", "%s is a %s config", o->config,
				    base->nlisten > 0 ? "listening" : "dialing");
				goto out;
			}
			memcpy(c, base, sizeof(*c));
			rc = 0;
			goto out;
		}
	} else if (o->psk == NULL && o->psk_file == NULL) {
		fprintf(stderr, "mptun pipe: a key is needed: --psk KEY, --psk-file FILE or "
				"-c CONFIG (mptun genkey makes a key)\n");
		goto out;
	}
	if ((t.f = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	i = write_conf(&t, o, base);
	fclose(t.f);
	if (i == 0 && conf_parse(c, "command line", text, len, err, sizeof(err)) == 0)
		rc = 0;
	else if (i == 0)
		say_conf_error(&t, err);
out:
	free(t.label);
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	if (base != NULL) {
		sodium_memzero(base, sizeof(*base));
		free(base);
	}
	if (rc == -1) {
		sodium_memzero(c, sizeof(*c));
		free(c);
		return NULL;
	}
	return c;
}
