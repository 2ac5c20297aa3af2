/*
 * netlink: rtnetlink requests with libmnl (see netlink.h).
 *
 * Requests are synchronous: send, then read the ACK (with extended ack text on error).
 * They run at start-up and on reload, never per packet.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "log.h"
#include "netlink.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

#define NL_BUF 8192 /* one request or one answer */

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
};

struct nl *
nl_open(void)
{
	struct nl *nl;
	int one = 1;

	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return NULL;
	if ((nl->sock = mnl_socket_open(NETLINK_ROUTE)) == NULL) {
		log_warn("netlink socket");
		free(nl);
		return NULL;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("netlink bind");
		nl_close(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return nl;
}

void
nl_close(struct nl *nl)
{
	if (nl == NULL)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/* Pull the kernel's extended ack message, if any, out of an NLMSG_ERROR. */
static const char *
ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&err->msg);
	mnl_attr_for_each_payload((const void *)((const char *)err + off), mnl_nlmsg_get_payload_len(nlh) - off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* Send a request and wait for its ACK. what names it in messages. */
static int
request(struct nl *nl, struct nlmsghdr *nlh, const char *what)
{
	char buf[NL_BUF];
	const struct nlmsgerr *err;
	const char *text;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		log_warn("netlink %s: send", what);
		return -1;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			log_warn("netlink %s: receive", what);
			return -1;
		}
		nlh = (struct nlmsghdr *)buf;
		if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_seq != nl->seq)
			continue;
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		err = mnl_nlmsg_get_payload(nlh);
		if (err->error == 0)
			return 0;
		text = ext_ack_msg(nlh);
		errno = -err->error;
		if (text != NULL)
			log_warn("netlink %s (%s)", what, text);
		else
			log_warn("netlink %s", what);
		return -1;
	}
}

int
nl_link_setup(struct nl *nl, int ifindex, int mtu, int txqlen)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	if (txqlen > 0)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, (uint32_t)txqlen);
	return request(nl, nlh, "set link");
}

int
nl_addr_add(struct nl *nl, int ifindex, const struct conf_addr *a)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = a->family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = (unsigned int)ifindex;
	/* no DAD on a point-to-point tunnel: the address is usable at once */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->addr);
	return request(nl, nlh, "add address");
}
