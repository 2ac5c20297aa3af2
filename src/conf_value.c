/*
 * conf_value: checks of single configuration values (numbers, durations, names,
 * addresses, keys, key files). See conf_value.h; conf.c composes the messages.
 *
 * Keys are decoded with libsodium's base64 (the original variant, with padding): the same
 * encoding as crypto_key_to_base64, without making the config depend on the crypto code.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "conf_value.h"

#define NUM_DIGITS_MAX 15 /* longer digit strings are out of any range here */

int
conf_value_num(const char *s, long lo, long hi, long *out, char *why, size_t whylen)
{
	long long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			snprintf(why, whylen, "not a number");
			return -1;
		}
		if (v <= hi) /* stop growing once too big: no overflow */
			v = v * 10 + (s[i] - '0');
	}
	if (i == 0) {
		snprintf(why, whylen, "not a number");
		return -1;
	}
	if (v < lo || v > hi) {
		snprintf(why, whylen, "out of range (%ld..%ld)", lo, hi);
		return -1;
	}
	*out = (long)v;
	return 0;
}

int
conf_value_duration(const char *s, long lo, long hi, int *ms, char *why, size_t whylen)
{
	char num[NUM_DIGITS_MAX + 1];
	const char *u = s;
	long long mult = 1;
	long v;
	size_t n;

	while (*u >= '0' && *u <= '9')
		u++;
	n = (size_t)(u - s);
	while (*u == ' ' || *u == '\t')
		u++;
	if (strcasecmp(u, "s") == 0)
		mult = 1000;
	else if (*u != '\0' && strcasecmp(u, "ms") != 0)
		n = 0;
	if (n == 0) {
		snprintf(why, whylen, "not a duration (a number, then optionally ms or s)");
		return -1;
	}
	if (n < sizeof num) {
		memcpy(num, s, n);
		num[n] = '\0';
	}
	if (n >= sizeof num || conf_value_num(num, 0, hi, &v, why, whylen) == -1 || v * mult < lo ||
	    v * mult > hi) {
		snprintf(why, whylen, "out of range (%ldms..%ldms)", lo, hi);
		return -1;
	}
	*ms = (int)(v * mult);
	return 0;
}

int
conf_value_label(const char *s, size_t maxlen)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char ch = s[i];
		if (i >= maxlen)
			return 0;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

int
conf_value_ifname(const char *s)
{
	/* The kernel refuses "." and ".." as device names. */
	return conf_value_label(s, CONF_IFNAME_LEN) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int
conf_value_congestion(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= CONF_CC_NAME_LEN ||
		    !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i > 0;
}

int
conf_value_text(const char *s, size_t max, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			snprintf(why, whylen, "control character at position %zu", i + 1);
			return -1;
		}
	if (i >= max) {
		snprintf(why, whylen, "longer than %zu bytes", max - 1);
		return -1;
	}
	return 0;
}

int
conf_value_addr(const char *s, int want_prefix, struct conf_addr *a, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	long pfx;
	int max;

	memset(a, 0, sizeof *a);
	if (strlen(s) >= sizeof buf) {
		snprintf(why, whylen, "not an IPv4 or IPv6 address");
		return -1;
	}
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		if (!want_prefix) {
			snprintf(why, whylen, "an address without /prefix is expected");
			return -1;
		}
		*slash++ = '\0';
	} else if (want_prefix) {
		snprintf(why, whylen, "missing /prefix length");
		return -1;
	}
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "not an IPv4 or IPv6 address");
		return -1;
	}
	if (slash == NULL) {
		a->prefix = (uint8_t)max;
		return 0;
	}
	if (conf_value_num(slash, 0, max, &pfx, why, whylen) == -1) {
		snprintf(why, whylen, "bad prefix length (0..%d)", max);
		return -1;
	}
	a->prefix = (uint8_t)pfx;
	return 0;
}

int
conf_value_is_ip(const char *host)
{
	char buf[CONF_HOST_MAX];
	uint8_t a[16];
	char *pct;

	if (inet_pton(AF_INET, host, a) == 1)
		return 1;
	snprintf(buf, sizeof buf, "%s", host);
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* The named code points: class selectors (RFC 2474), assured (RFC 2597), expedited (RFC 3246). */
static const struct {
	const char *name;
	int dscp;
} dscp_names[] = {
	{"CS0", 0},   {"CS1", 8},   {"AF11", 10}, {"AF12", 12}, {"AF13", 14}, {"CS2", 16},
	{"AF21", 18}, {"AF22", 20}, {"AF23", 22}, {"CS3", 24},	{"AF31", 26}, {"AF32", 28},
	{"AF33", 30}, {"CS4", 32},  {"AF41", 34}, {"AF42", 36}, {"AF43", 38}, {"CS5", 40},
	{"EF", 46},   {"CS6", 48},  {"CS7", 56},
};

int
conf_value_dscp(const char *s, int *out, char *why, size_t whylen)
{
	size_t i;
	long v;

	for (i = 0; i < sizeof dscp_names / sizeof dscp_names[0]; i++)
		if (strcasecmp(s, dscp_names[i].name) == 0) {
			*out = dscp_names[i].dscp;
			return 0;
		}
	if (s[0] < '0' || s[0] > '9') {
		snprintf(why, whylen, "not a DSCP (CS0..CS7, AF11..AF43, EF or 0..%d)",
			 CONF_DSCP_MAX);
		return -1;
	}
	if (conf_value_num(s, 0, CONF_DSCP_MAX, &v, why, whylen) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

const char *
conf_value_dscp_name(int dscp)
{
	size_t i;

	for (i = 0; i < sizeof dscp_names / sizeof dscp_names[0]; i++)
		if (dscp_names[i].dscp == dscp)
			return dscp_names[i].name;
	return NULL;
}

int
conf_value_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
conf_value_key(const char *s, uint8_t out[CONF_KEY_LEN])
{
	size_t binlen;
	const char *end;

	if (strlen(s) != CONF_KEY_B64_LEN)
		return -1;
	if (sodium_base642bin(out, CONF_KEY_LEN, s, CONF_KEY_B64_LEN, NULL, &binlen, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != CONF_KEY_LEN || end != s + CONF_KEY_B64_LEN) {
		sodium_memzero(out, CONF_KEY_LEN);
		return -1;
	}
	return 0;
}

static char *
trim_space(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

int
conf_value_key_file(const char *path, uint8_t out[CONF_KEY_LEN], char *why, size_t whylen)
{
	char buf[CONF_KEYFILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, r = -1;

	/* O_NONBLOCK: a FIFO must not hang the parser; it is refused below anyway. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(why, whylen, "accessible by group or others (mode %04o): chmod 600 it",
			 (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %u, neither root nor us", (unsigned)st.st_uid);
		goto out;
	}
	if ((n = read(fd, buf, sizeof buf)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (n > CONF_KEYFILE_MAX) {
		snprintf(why, whylen, "larger than %d bytes: not a key file", CONF_KEYFILE_MAX);
		goto out;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL || conf_value_key(trim_space(buf), out) == -1) {
		snprintf(why, whylen, "does not hold a key (%d characters of base64)",
			 CONF_KEY_B64_LEN);
		goto out;
	}
	r = 0;
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return r;
}
