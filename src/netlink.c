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
#include "util.h"

#define NL_MON_LINKS 256 /* interfaces whose state the monitor remembers */

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
nl_link_setup(struct nl *nl, int ifindex, int mtu, int txqlen, unsigned int gso_max)
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
	if (gso_max > 0)
		mnl_attr_put_u32(nlh, IFLA_GSO_MAX_SIZE, gso_max);
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

/* --- the monitor --- */

struct nl_monitor {
	ev_io io;
	struct ev_loop *loop;
	struct mnl_socket *sock;
	unsigned int seq;
	int dumping; /* 0, RTM_GETLINK or RTM_GETADDR: the dump in progress */
	void (*cb)(void *arg, const struct nl_event *ev);
	void *arg;
	struct {
		int ifindex;
		int up;
	} links[NL_MON_LINKS];
};

static void
dump(struct nl_monitor *m, int type)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++m->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(m->sock, nlh, nlh->nlmsg_len) < 0)
		log_warn("netlink monitor: dump");
	else
		m->dumping = type;
}

/* Report a link only when its state changes. */
static void
link_state(struct nl_monitor *m, struct nl_event *ev)
{
	int i, free_slot = -1;

	for (i = 0; i < NL_MON_LINKS; i++) {
		if (m->links[i].ifindex == ev->ifindex) {
			if (m->links[i].up == ev->up)
				return;
			m->links[i].up = ev->up;
			m->cb(m->arg, ev);
			return;
		}
		if (m->links[i].ifindex == 0 && free_slot == -1)
			free_slot = i;
	}
	if (free_slot != -1) {
		m->links[free_slot].ifindex = ev->ifindex;
		m->links[free_slot].up = ev->up;
	}
	m->cb(m->arg, ev);
}

static int
monitor_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nl_monitor *m = data;
	struct nl_event ev;
	struct nlattr *attr;

	memset(&ev, 0, sizeof(ev));
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		ev.kind = NL_EV_LINK;
		ev.ifindex = ifi->ifi_index;
		ev.up = nlh->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
			(ifi->ifi_flags & IFF_RUNNING);
		mnl_attr_for_each(attr, nlh, sizeof(*ifi))
		{
			if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(ev.ifname, sizeof(ev.ifname), "%s", mnl_attr_get_str(attr));
		}
		link_state(m, &ev);
		break;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;

		if (m->dumping == RTM_GETADDR)
			break; /* a resync reports links; addresses only matter as they change */
		ev.kind = NL_EV_ADDR;
		ev.ifindex = (int)ifa->ifa_index;
		ev.up = nlh->nlmsg_type == RTM_NEWADDR;
		ev.family = ifa->ifa_family;
		mnl_attr_for_each(attr, nlh, sizeof(*ifa))
		{
			int t = mnl_attr_get_type(attr);

			if ((t == IFA_LOCAL || (t == IFA_ADDRESS && ev.family == AF_INET6)) &&
			    mnl_attr_get_payload_len(attr) == alen)
				memcpy(ev.addr, mnl_attr_get_payload(attr), alen);
		}
		m->cb(m->arg, &ev);
		break;
	}
	default:
		break;
	}
	return MNL_CB_OK;
}

static void
monitor_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct nl_monitor *m = container_of(w, struct nl_monitor, io);
	char buf[NL_BUF];
	ssize_t n;
	int rc;

	for (;;) {
		n = mnl_socket_recvfrom(m->sock, buf, sizeof(buf));
		if (n == -1) {
			if (errno == ENOBUFS) {
				/* events were lost: ask for the whole state again */
				log_debug("netlink monitor: events lost, resync");
				dump(m, RTM_GETLINK);
				continue;
			}
			return; /* EAGAIN */
		}
		rc = mnl_cb_run(buf, (size_t)n, 0, 0, monitor_msg, m);
		if (rc == MNL_CB_STOP && m->dumping != 0)
			m->dumping = 0; /* NLMSG_DONE of a dump */
	}
}

struct nl_monitor *
nl_monitor_open(struct ev_loop *loop, void (*cb)(void *arg, const struct nl_event *ev),
		void *arg)
{
	struct nl_monitor *m = calloc(1, sizeof(*m));
	unsigned int groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;

	if (m == NULL)
		return NULL;
	if ((m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(m->sock, groups, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("netlink monitor");
		if (m->sock != NULL)
			mnl_socket_close(m->sock);
		free(m);
		return NULL;
	}
	m->loop = loop;
	m->cb = cb;
	m->arg = arg;
	ev_io_init(&m->io, monitor_cb, mnl_socket_get_fd(m->sock), EV_READ);
	ev_io_start(loop, &m->io);
	dump(m, RTM_GETLINK); /* learn the current states */
	return m;
}

void
nl_monitor_close(struct nl_monitor *m)
{
	if (m == NULL)
		return;
	ev_io_stop(m->loop, &m->io);
	mnl_socket_close(m->sock);
	free(m);
}
