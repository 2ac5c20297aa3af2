/*
 * congestion: whether this kernel offers the TCP congestion controls a configuration names.
 *
 * conf.c only checks that a Congestion value is a well-formed name: the file is parsed
 * without looking at the machine. This module is the separate step that does look, for
 * `mptun check` (an error) and `mptun run` (a warning: the connections then use the
 * kernel's default). A name is offered when the kernel lists it in
 * /proc/sys/net/ipv4/tcp_available_congestion_control, or when a module tcp_NAME is
 * installed for the running kernel (modules.dep): the kernel loads it on first use, since
 * the daemon keeps CAP_NET_ADMIN.
 */
#ifndef MPTUN_CONGESTION_H
#define MPTUN_CONGESTION_H

#include <stddef.h>

#include "conf.h"

enum congestion_avail {
	CONGESTION_AVAILABLE, /* registered with the kernel now */
	CONGESTION_LOADABLE,  /* a module of the running kernel provides it */
	CONGESTION_MISSING,   /* neither */
	CONGESTION_UNKNOWN,   /* not registered, and no module list to look in */
};

/* Whether this kernel offers the congestion control name. */
enum congestion_avail congestion_available(const char *name);
/*
 * Check every path's Congestion of c. 0: all offered. -1: one is missing, and err holds
 * "FILE:LINE: message". 1: none missing, but one could not be told, and err says which.
 */
int congestion_check_conf(const struct conf *c, char *err, size_t errlen);

#endif
