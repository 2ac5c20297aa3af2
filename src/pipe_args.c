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
 *                                Interface = eth0
 *                                Via = socks5://r:1080
 *
 * Messages then name "command line:LINE", the line of that text.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
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
		"Moves stdin to the peer's stdout and back over every path at once.\n"
		"  -n, --connections N   TCP connections per path (default 1)\n"
		"  -i, --interface IF    dial each target over IF too (repeatable)\n"
		"  --psk KEY, --psk-file FILE\n"
		"                        the pre-shared key (mptun genkey makes one)\n"
		"  -c, --config FILE     keys (and, without targets, paths or Listen) from FILE\n"
		"  --cipher NAME, --scheduler NAME, --congestion NAME, --mtu N\n"
		"  -f, --forward [ADDR:]PORT\n"
		"                        accept TCP connections here; the peer connects each\n"
		"  -t, --target HOST:PORT\n"
		"                        connect each connection the peer forwards to HOST:PORT\n"
		"  --prbs SEED           send a test stream (--limit bytes) and verify the one "
		"received\n"
		"  --limit BYTES         send at most BYTES (suffixes k, M, G, T: powers of 1024)\n"
		"  --rate BYTES          send at most BYTES per second\n"
		"  --chaos N             cut a connection about every N records sent\n"
		"  --timeout SECS        give up after SECS without a connection (default %d)\n"
		"  -q, --quiet           no progress line;  -v, --verbose (twice: debug)\n"
		"Exit status: 0 every byte delivered and acknowledged both ways, 1 incomplete,\n"
		"2 usage, 3 --prbs mismatch.\n",
		PIPE_TIMEOUT_DEFAULT);
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
	if (errno != 0 || end == s || *s == '-')
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

int
pipe_args_parse(struct pipe_opts *o, int argc, char **argv)
{
	enum {
		O_PSK = 256,
		O_PSKFILE,
		O_CIPHER,
		O_SCHED,
		O_CC,
		O_MTU,
		O_PRBS,
		O_LIMIT,
		O_RATE,
		O_CHAOS,
		O_TIMEOUT
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
		{"mtu", required_argument, NULL, O_MTU},
		{"forward", required_argument, NULL, 'f'},
		{"target", required_argument, NULL, 't'},
		{"prbs", required_argument, NULL, O_PRBS},
		{"limit", required_argument, NULL, O_LIMIT},
		{"rate", required_argument, NULL, O_RATE},
		{"chaos", required_argument, NULL, O_CHAOS},
		{"timeout", required_argument, NULL, O_TIMEOUT},
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
	if (argc < 2 || (strcmp(argv[1], "listen") != 0 && strcmp(argv[1], "connect") != 0))
		return -1;
	o->listen = strcmp(argv[1], "listen") == 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "n:i:c:f:t:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (conf_value_num(optarg, 1, CONF_MAX_CONNS, &n, why, sizeof(why)) == -1) {
				fprintf(stderr, "mptun pipe: -n %s: %s\n", optarg, why);
				return -1;
			}
			o->conns = (int)n;
			break;
		case 'i':
			if (o->nifaces >= PIPE_MAX_IFACES || !conf_value_ifname(optarg)) {
				fprintf(stderr, "mptun pipe: -i %s: bad or too many interfaces\n",
					optarg);
				return -1;
			}
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
		case O_MTU:
			if (conf_value_num(optarg, CONF_MTU_MIN, CONF_MTU_MAX, &n, why,
					   sizeof(why)) == -1) {
				fprintf(stderr, "mptun pipe: --mtu %s: %s\n", optarg, why);
				return -1;
			}
			o->mtu = (int)n;
			break;
		case 'f':
			o->forward = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case O_PRBS:
		case O_LIMIT:
		case O_RATE:
		case O_CHAOS:
			if (parse_size(optarg, &v) == -1) {
				fprintf(stderr, "mptun pipe: %s: not a number\n", optarg);
				return -1;
			}
			if (ch == O_PRBS) {
				o->has_prbs = 1;
				o->prbs_seed = v;
			} else if (ch == O_LIMIT) {
				o->limit = v;
			} else if (ch == O_RATE) {
				o->rate = (double)v;
			} else {
				o->chaos = v;
			}
			break;
		case O_TIMEOUT:
			if (conf_value_num(optarg, 1, 86400, &n, why, sizeof(why)) == -1) {
				fprintf(stderr, "mptun pipe: --timeout %s: %s\n", optarg, why);
				return -1;
			}
			o->timeout = (double)n;
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
		default:
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (o->ntargets >= PIPE_MAX_TARGETS || strlen(argv[optind]) >= PIPE_ARG_MAX) {
			fprintf(stderr, "mptun pipe: too many or too long targets\n");
			return -1;
		}
		o->targets[o->ntargets++] = argv[optind];
	}
	if (o->ntargets == 0 && o->config == NULL) {
		fprintf(stderr, "mptun pipe: %s\n",
			o->listen ? "listen where? give [ADDR:]PORT"
				  : "connect to what? give HOST:PORT");
		return -1;
	}
	if (o->forward != NULL && o->has_prbs) {
		fprintf(stderr,
			"mptun pipe: --prbs is for the stdin/stdout stream, not --forward\n");
		return -1;
	}
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

static void
put_key(FILE *f, const char *name, const uint8_t key[CONF_KEY_LEN])
{
	char b64[sodium_base64_ENCODED_LEN(CONF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, CONF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	fprintf(f, "%s = %s\n", name, b64);
	sodium_memzero(b64, sizeof(b64));
}

/* One [Path] for target t (host:port[@if][,via=URI]...), over interface ifc if set. */
static int
put_path(FILE *f, const struct pipe_opts *o, const char *t, const char *ifc, int idx)
{
	char buf[PIPE_ARG_MAX], *seg, *save = NULL, *at, *rb;

	snprintf(buf, sizeof(buf), "%s", t);
	seg = strtok_r(buf, ",", &save);
	if (seg == NULL)
		return -1;
	/* '@' after the port (an IPv6 literal has ']' before it) names the interface */
	rb = strrchr(seg, ']');
	at = strrchr(rb != NULL ? rb : seg, '@');
	if (at != NULL) {
		*at = '\0';
		ifc = at + 1;
	}
	fprintf(f, "[Path]\nName = p%d\nEndpoint = %s\nConnections = %d\n", idx, seg, o->conns);
	if (ifc != NULL)
		fprintf(f, "Interface = %s\n", ifc);
	if (o->congestion != NULL)
		fprintf(f, "Congestion = %s\n", o->congestion);
	while ((seg = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(seg, "via=", 4) != 0) {
			fprintf(stderr, "mptun pipe: %s: expected via=URI, not '%s'\n", t, seg);
			return -1;
		}
		fprintf(f, "Via = %s\n", seg + 4);
	}
	return 0;
}

/* The configuration text for the command line; base: keys from -c. */
static int
write_conf(FILE *f, const struct pipe_opts *o, const struct conf *base)
{
	int i, j, idx = 1;

	fprintf(f, "[Interface]\nName = pipe\n");
	if (o->mtu > 0 || base != NULL)
		fprintf(f, "MTU = %d\n", o->mtu > 0 ? o->mtu : base->mtu);
	if (o->cipher != NULL)
		fprintf(f, "Cipher = %s\n", o->cipher);
	else if (base != NULL)
		fprintf(f, "Cipher = %s\n", conf_cipher_name(base->cipher));
	if (o->sched != NULL)
		fprintf(f, "Scheduler = %s\n", o->sched);
	if (base != NULL && base->has_private_key)
		put_key(f, "PrivateKey", base->private_key);
	if (o->psk != NULL)
		fprintf(f, "PresharedKey = %s\n", o->psk);
	else if (o->psk_file != NULL)
		fprintf(f, "PresharedKeyFile = %s\n", o->psk_file);
	else if (base != NULL && base->has_psk)
		put_key(f, "PresharedKey", base->psk);
	for (i = 0; o->listen && i < o->ntargets; i++) {
		if (strspn(o->targets[i], "0123456789") == strlen(o->targets[i]))
			fprintf(f, "Listen = 0.0.0.0:%s\nListen = [::]:%s\n", o->targets[i],
				o->targets[i]);
		else
			fprintf(f, "Listen = %s\n", o->targets[i]);
	}
	if (base != NULL && base->has_peer_key) {
		fprintf(f, "[Peer]\n");
		put_key(f, "PublicKey", base->peer_key);
	}
	for (i = 0; !o->listen && i < o->ntargets; i++) {
		if (o->nifaces == 0 || strchr(o->targets[i], '@') != NULL) {
			if (put_path(f, o, o->targets[i], NULL, idx++) == -1)
				return -1;
			continue;
		}
		for (j = 0; j < o->nifaces; j++)
			if (put_path(f, o, o->targets[i], o->ifaces[j], idx++) == -1)
				return -1;
	}
	return 0;
}

/* Build the configuration: from the command line, with keys (or everything) from -c. */
struct conf *
pipe_args_conf(const struct pipe_opts *o)
{
	struct conf *base = NULL, *c = calloc(1, sizeof(*c));
	char err[1024], *text = NULL;
	size_t len = 0;
	FILE *f;
	int i, rc = -1;

	if (c == NULL)
		fatal("calloc");
	for (i = 0; i < o->ntargets; i++) {
		if (!one_line(o->targets[i])) {
			fprintf(stderr, "mptun pipe: control character in an argument\n");
			goto out;
		}
	}
	if (o->config != NULL) {
		if ((base = calloc(1, sizeof(*base))) == NULL)
			fatal("calloc");
		if (conf_load(base, o->config, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
		if (o->ntargets == 0) {
			/* the file says where too */
			if (o->listen != (base->nlisten > 0)) {
				fprintf(stderr, "mptun pipe: %s is a %s config\n", o->config,
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
	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	i = write_conf(f, o, base);
	fclose(f);
	if (i == 0 && conf_parse(c, "command line", text, len, err, sizeof(err)) == 0)
		rc = 0;
	else if (i == 0)
		fprintf(stderr, "mptun pipe: %s\n", err);
out:
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
