/*
 * netlink: configure links and addresses through rtnetlink (libmnl), no shelling out.
 *
 * One request socket with NETLINK_EXT_ACK so the kernel's error text is reported. The link
 * and address monitor (for path failover) lives here as well, on its own socket.
 */
#ifndef MPTUN_NETLINK_H
#define MPTUN_NETLINK_H

#include <ev.h>
#include <net/if.h>

#include "conf.h"

struct nl;
struct nl_monitor;

/* A change seen by the monitor. */
struct nl_event {
	enum { NL_EV_LINK, NL_EV_ADDR } kind;
	int ifindex;
	char ifname[IFNAMSIZ]; /* links only */
	int up;                /* links: up with carrier; addresses: added */
	int family;            /* addresses */
	uint8_t addr[16];
};

/* Open the request socket; NULL (logged) on failure. */
struct nl *nl_open(void);
void nl_close(struct nl *nl);
/*
 * Set MTU, transmit queue length and GSO size limit (0: leave each) and bring the link up.
 * -1 (logged) on error.
 */
int nl_link_setup(struct nl *nl, int ifindex, int mtu, int txqlen, unsigned int gso_max);
/* Add an address with prefix to the link. -1 (logged) on error. */
int nl_addr_add(struct nl *nl, int ifindex, const struct conf_addr *a);

/*
 * Watch links and addresses (own socket, own watcher). cb runs for every change of a link's
 * state (up with carrier, or not) and every address added or removed. A lost event
 * (ENOBUFS) makes it dump the current state again, reporting what changed.
 */
struct nl_monitor *nl_monitor_open(struct ev_loop *loop,
				   void (*cb)(void *arg, const struct nl_event *ev), void *arg);
void nl_monitor_close(struct nl_monitor *m);

#endif
