/*
 * conf_value: the syntax of single configuration values, apart from the file format.
 *
 * Pure: no state, no side effects; only conf_value_key_file reads a file. Each function
 * checks one value string in full and says why it is wrong in words that follow
 * "Key 'value': " (the caller, conf.c, adds that and file:line).
 */
#ifndef MPTUN_CONF_VALUE_H
#define MPTUN_CONF_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define CONF_IFNAME_LEN	 15  /* IFNAMSIZ - 1 */
#define CONF_CC_NAME_LEN 15  /* TCP_CA_NAME_MAX - 1 */
#define CONF_KEY_B64_LEN 44  /* base64 of CONF_KEY_LEN bytes, with padding */
#define CONF_KEYFILE_MAX 256 /* a key file holds one base64 line */

/* Decimal digits only, no sign, within [lo, hi]. 0, or -1 with why. */
int conf_value_num(const char *s, long lo, long hi, long *out, char *why, size_t whylen);
/* A number and an optional unit "ms" (the default) or "s", in ms within [lo, hi]. */
int conf_value_duration(const char *s, long lo, long hi, int *ms, char *why, size_t whylen);
/* 1..maxlen characters of [A-Za-z0-9_.-], not starting with '-'? 1 if so, else 0. */
int conf_value_label(const char *s, size_t maxlen);
/* A network device name (conf_value_label of 15, not "." or "..")? */
int conf_value_ifname(const char *s);
/* A TCP congestion control name: 1..15 of [a-z0-9_]? */
int conf_value_congestion(const char *s);
/* File names, commands: shorter than max bytes, no control character but tab. */
int conf_value_text(const char *s, size_t max, char *why, size_t whylen);
/* "addr/prefix" when want_prefix, else a bare address (prefix set to the full length). */
int conf_value_addr(const char *s, int want_prefix, struct conf_addr *a, char *why, size_t whylen);
/* An IPv4 or IPv6 literal (IPv6 may carry a %zone)? */
int conf_value_is_ip(const char *host);
/* A DSCP: a name (CS0..CS7, AF11..AF43, EF; any case) or a number 0..CONF_DSCP_MAX. */
int conf_value_dscp(const char *s, int *out, char *why, size_t whylen);
/* The name of code point dscp, or NULL when it has none (it is then written as a number). */
const char *conf_value_dscp_name(int dscp);
/* yes|no|true|false|on|off|1|0, any case. 0, or -1. */
int conf_value_bool(const char *s, int *out);
/* Exactly CONF_KEY_B64_LEN characters of standard padded base64 for CONF_KEY_LEN bytes. */
int conf_value_key(const char *s, uint8_t out[CONF_KEY_LEN]);
/*
 * Read a key from the file at path: a regular file that group and others cannot access,
 * owned by root or by us, holding one base64 key. 0, or -1 with why.
 */
int conf_value_key_file(const char *path, uint8_t out[CONF_KEY_LEN], char *why, size_t whylen);

#endif
