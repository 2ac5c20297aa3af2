/*
 * opt: parsing and printing of impairment settings (see opt.h). Units follow tc and
 * netem where they have one (kbit vs kbps, "loss gemodel p r 1-h 1-k"), so people who
 * know those tools can read a synnet line at once.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opt.h"

struct unit {
	const char *name;
	double mult;
};

static const struct unit time_units[] = {
	{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"", 1e6}, {NULL, 0},
};
static const struct unit rate_units[] = {
	{"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"k", 1e3},	{"m", 1e6},
	{"g", 1e9}, {"bps", 8},	   {"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9}, {NULL, 0},
};
static const struct unit size_units[] = {
	{"", 1}, {"b", 1}, {"k", 1024}, {"kb", 1024}, {"m", 1048576}, {"mb", 1048576}, {NULL, 0},
};

/*
 * Does s start like a plain number? strtod and strtoull also skip white space and take a
 * sign ("\f-0" is -0, " -5" wraps to 2^64 - 5); a setting's number has neither.
 */
static int
plain_number(const char *s)
{
	return s != NULL && (isdigit((unsigned char)*s) || *s == '.');
}

/* A non-negative finite number followed by one of the units; -1 otherwise. */
static int
parse_unit(const char *s, const struct unit *u, double max, double *out)
{
	char *end;
	double v;

	if (!plain_number(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (; u->name; u++) {
		if (strcasecmp(end, u->name) == 0) {
			v *= u->mult;
			if (v > max)
				return -1;
			*out = v;
			return 0;
		}
	}
	return -1;
}

int
opt_time(const char *s, uint64_t *ns)
{
	double v;

	if (parse_unit(s, time_units, (double)OPT_MAX_TIME_NS, &v) == -1)
		return -1;
	*ns = (uint64_t)llround(v);
	return 0;
}

int
opt_rate(const char *s, uint64_t *bps)
{
	double v;

	if (parse_unit(s, rate_units, (double)OPT_MAX_RATE_BPS, &v) == -1)
		return -1;
	*bps = (uint64_t)llround(v);
	return 0;
}

int
opt_size(const char *s, uint64_t *bytes)
{
	double v;

	if (parse_unit(s, size_units, (double)OPT_MAX_BYTES, &v) == -1)
		return -1;
	*bytes = (uint64_t)llround(v);
	return 0;
}

int
opt_prob(const char *s, double *p)
{
	static const struct unit pct[] = {{"%", 0.01}, {"", 0.01}, {NULL, 0}};

	return parse_unit(s, pct, 1.0, p);
}

int
opt_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!plain_number(s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end != '\0' ? -1 : 0;
}

int
opt_onoff(const char *s, int *v)
{
	if (s && (!strcasecmp(s, "on") || !strcmp(s, "1") || !strcasecmp(s, "yes"))) {
		*v = 1;
		return 0;
	}
	if (s && (!strcasecmp(s, "off") || !strcmp(s, "0") || !strcasecmp(s, "no"))) {
		*v = 0;
		return 0;
	}
	return -1;
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "loss ..." in its three forms; returns words used. */
static int
parse_loss(struct imp_params *p, int argc, char **argv, char *err, size_t errlen)
{
	double v[4] = {0, 0, 1.0, 0};
	int i, n;

	if (argc < 2)
		return fail(err, errlen, "loss: missing value");
	if (!strcasecmp(argv[1], "off")) {
		p->loss_model = IMP_LOSS_NONE;
		p->loss = 0;
		return 2;
	}
	if (!strcasecmp(argv[1], "gemodel")) {
		/* p and r are required, 1-h and 1-k optional: as many as parse */
		for (n = 0, i = 2; i < argc && n < 4 && opt_prob(argv[i], &v[n]) == 0; i++)
			n++;
		if (n < 2)
			return fail(err, errlen, "loss gemodel: needs P R [BADLOSS [GOODLOSS]]");
		p->loss_model = IMP_LOSS_GE;
		p->ge_p = v[0];
		p->ge_r = v[1];
		p->ge_bad = v[2];
		p->ge_good = v[3];
		return 2 + n;
	}
	i = !strcasecmp(argv[1], "random") ? 2 : 1;
	if (i >= argc || opt_prob(argv[i], &v[0]) == -1)
		return fail(err, errlen, "loss: bad probability");
	p->loss_model = v[0] > 0 ? IMP_LOSS_RANDOM : IMP_LOSS_NONE;
	p->loss = v[0];
	return i + 1;
}

int
opt_setting(struct imp_params *p, int argc, char **argv, char *err, size_t errlen)
{
	const char *k = argv[0], *v = argc > 1 ? argv[1] : NULL;

	if (!strcasecmp(k, "clear")) {
		imp_params_clear(p);
		return 1;
	}
	if (!strcasecmp(k, "loss"))
		return parse_loss(p, argc, argv, err, errlen);
	if (v == NULL)
		return fail(err, errlen, "%s: missing value", k);
	if (!strcasecmp(k, "rate")) {
		if (!strcasecmp(v, "off"))
			p->rate_bps = 0;
		else if (opt_rate(v, &p->rate_bps) == -1)
			return fail(err, errlen, "rate: bad value '%s'", v);
	} else if (!strcasecmp(k, "queue")) {
		/* a time unit makes it a duration at the rate, anything else a size */
		uint64_t x;

		if (opt_time(v, &x) == 0 && strpbrk(v, "sS") != NULL && x > 0) {
			p->queue_ns = x;
			p->queue_bytes = 0;
		} else if (opt_size(v, &x) == 0 && x > 0) {
			p->queue_bytes = x;
			p->queue_ns = 0;
		} else {
			return fail(err, errlen, "queue: bad value '%s'", v);
		}
	} else if (!strcasecmp(k, "delay")) {
		if (opt_time(v, &p->delay_ns) == -1)
			return fail(err, errlen, "delay: bad value '%s'", v);
	} else if (!strcasecmp(k, "jitter")) {
		if (opt_time(v, &p->jitter_ns) == -1)
			return fail(err, errlen, "jitter: bad value '%s'", v);
	} else if (!strcasecmp(k, "reorder")) {
		if (opt_onoff(v, &p->reorder) == -1)
			return fail(err, errlen, "reorder: on or off");
	} else if (!strcasecmp(k, "duplicate")) {
		if (opt_prob(v, &p->dup) == -1)
			return fail(err, errlen, "duplicate: bad probability '%s'", v);
	} else if (!strcasecmp(k, "corrupt")) {
		if (opt_prob(v, &p->corrupt) == -1)
			return fail(err, errlen, "corrupt: bad probability '%s'", v);
	} else if (!strcasecmp(k, "blackhole")) {
		if (opt_onoff(v, &p->blackhole) == -1)
			return fail(err, errlen, "blackhole: on or off");
	} else {
		return fail(err, errlen, "unknown setting '%s'", k);
	}
	return 2;
}

static void
put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

static void
put_time(char *buf, size_t len, size_t *off, const char *key, uint64_t ns)
{
	if (ns % 1000000000 == 0)
		put(buf, len, off, " %s %llus", key, (unsigned long long)(ns / 1000000000));
	else if (ns % 1000000 == 0)
		put(buf, len, off, " %s %llums", key, (unsigned long long)(ns / 1000000));
	else if (ns % 1000 == 0)
		put(buf, len, off, " %s %lluus", key, (unsigned long long)(ns / 1000));
	else
		put(buf, len, off, " %s %lluns", key, (unsigned long long)ns);
}

static void
put_rate(char *buf, size_t len, size_t *off, uint64_t bps)
{
	static const char *names[] = {"gbit", "mbit", "kbit"};
	uint64_t m = 1000000000;
	int i;

	for (i = 0; i < 3; i++, m /= 1000) {
		if (bps % m == 0) {
			put(buf, len, off, " rate %llu%s", (unsigned long long)(bps / m), names[i]);
			return;
		}
	}
	put(buf, len, off, " rate %llubit", (unsigned long long)bps);
}

size_t
opt_format(const struct imp_params *p, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (p->rate_bps)
		put_rate(buf, len, &off, p->rate_bps);
	if (p->queue_bytes) {
		if (p->queue_bytes % 1024 == 0)
			put(buf, len, &off, " queue %llukb",
			    (unsigned long long)(p->queue_bytes / 1024));
		else
			put(buf, len, &off, " queue %llub", (unsigned long long)p->queue_bytes);
	} else if (p->queue_ns) {
		put_time(buf, len, &off, "queue", p->queue_ns);
	}
	if (p->delay_ns)
		put_time(buf, len, &off, "delay", p->delay_ns);
	if (p->jitter_ns)
		put_time(buf, len, &off, "jitter", p->jitter_ns);
	if (p->reorder)
		put(buf, len, &off, " reorder on");
	if (p->loss_model == IMP_LOSS_RANDOM)
		put(buf, len, &off, " loss %.15g%%", p->loss * 100);
	else if (p->loss_model == IMP_LOSS_GE)
		put(buf, len, &off, " loss gemodel %.15g%% %.15g%% %.15g%% %.15g%%", p->ge_p * 100,
		    p->ge_r * 100, p->ge_bad * 100, p->ge_good * 100);
	if (p->dup > 0)
		put(buf, len, &off, " duplicate %.15g%%", p->dup * 100);
	if (p->corrupt > 0)
		put(buf, len, &off, " corrupt %.15g%%", p->corrupt * 100);
	if (p->blackhole)
		put(buf, len, &off, " blackhole on");
	/* drop the leading blank */
	if (off > 0)
		memmove(buf, buf + 1, off);
	return off > 0 ? off - 1 : 0;
}
