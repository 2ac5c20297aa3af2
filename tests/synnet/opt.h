/*
 * opt: the words that describe a link direction's impairments, as in
 * "rate 100mbit delay 20ms jitter 2ms loss 1%", and their canonical printed form.
 *
 * Pure and strict: a value out of range or a word not understood is an error with a
 * message, never a guess; printing and parsing again gives the same parameters.
 */
#ifndef SYNNET_OPT_H
#define SYNNET_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "imp.h"

/* Longest canonical form of one direction's settings. */
#define OPT_FORMAT_MAX 512
/* Ceilings that keep every product in the model inside 64 bits. */
#define OPT_MAX_RATE_BPS (1000ULL * 1000 * 1000 * 1000) /* 1 Tbit/s */
#define OPT_MAX_TIME_NS	 (3600ULL * 1000 * 1000 * 1000) /* one hour */
#define OPT_MAX_BYTES	 (1ULL << 32)

/*
 * Apply the setting at argv[0] (with its values after it) to p: the number of words used
 * (>= 1), or -1 with a message in err.
 */
int opt_setting(struct imp_params *p, int argc, char **argv, char *err, size_t errlen);
/* "20ms", "1.5s", "250us", "100ns"; a bare number means milliseconds. */
int opt_time(const char *s, uint64_t *ns);
/* "100mbit", "1gbit", "64kbit", "1000bit" (also k/m/g alone), "kbps"/"mbps" in bytes/s. */
int opt_rate(const char *s, uint64_t *bps);
/* "1500b", "64kb"/"64k", "1mb"/"1m" (binary multiples); a bare number means bytes. */
int opt_size(const char *s, uint64_t *bytes);
/* "5%" or "5" (percent), "0.5%": a probability in [0, 1]. */
int opt_prob(const char *s, double *p);
/* A decimal or 0x-hex unsigned integer. */
int opt_u64(const char *s, uint64_t *v);
/* "on"/"off" (also 1/0, yes/no). */
int opt_onoff(const char *s, int *v);
/* The canonical words for p (empty for a clean link) into buf; returns the length. */
size_t opt_format(const struct imp_params *p, char *buf, size_t len);

#endif
