/*
 * netlink: configure links and addresses through rtnetlink (libmnl), no shelling out.
 *
 * One request socket with NETLINK_EXT_ACK so the kernel's error text is reported. The link
 * and address monitor (for path failover) lives here as well, on its own socket.
 */
#ifndef MPTUN_NETLINK_H
#define MPTUN_NETLINK_H

#include "conf.h"

struct nl;

/* Open the request socket; NULL (logged) on failure. */
struct nl *nl_open(void);
void nl_close(struct nl *nl);
/* Set MTU, transmit queue length (0: leave) and bring the link up. -1 (logged) on error. */
int nl_link_setup(struct nl *nl, int ifindex, int mtu, int txqlen);
/* Add an address with prefix to the link. -1 (logged) on error. */
int nl_addr_add(struct nl *nl, int ifindex, const struct conf_addr *a);

#endif
