/*
 * port: one end of an emulated link, an AF_PACKET raw socket bound to one interface.
 *
 * Frames are read in batches (recvmmsg) straight into pool buffers and written in
 * batches (sendmmsg). A virtio-net header comes with every frame: a frame whose checksum
 * the sender left to offload gets it completed here, a GSO super-frame is refused and
 * counted (the test bed turns offloads off on the veths it builds). The socket never
 * sees its own transmissions (PACKET_IGNORE_OUTGOING, and PACKET_OUTGOING is skipped
 * too), so nothing loops. No libev here: the owner watches port.fd.
 */
#ifndef SYNNET_PORT_H
#define SYNNET_PORT_H

#include <net/if.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "pkt.h"

/* Frames per recvmmsg/sendmmsg call. */
#define PORT_BATCH 64
/* Socket buffers: deep enough to absorb a burst at 10 Gbit/s for a few milliseconds. */
#define PORT_SOCKBUF (8 * 1024 * 1024)

struct port {
	int fd;
	int ifindex;
	char name[IF_NAMESIZE];
	/* frames queued for the next port_flush */
	struct pkt *tx[PORT_BATCH];
	int ntx;
	/* refused on receive */
	uint64_t rx_gso;
	uint64_t rx_oversize;
};

/* Open and bind a raw socket on ifname; -1 (errno set) on failure. */
int port_open(struct port *pt, const char *ifname);
void port_close(struct port *pt);
/*
 * Receive up to n frames into the buffers pkts[0..n-1]: returns how many frames were
 * taken from the socket (0 when nothing is waiting); the good ones, *ngood of them, are
 * moved to the front.
 */
int port_recv(struct port *pt, struct pkt **pkts, int n, int *ngood);
/* Queue p for sending; 1 when the batch is full and port_flush is due. */
int port_queue(struct port *pt, struct pkt *p);
/* Send the queued frames; done(p, 0 or errno, arg) is called for each of them. */
void port_flush(struct port *pt, void (*done)(struct pkt *p, int err, void *arg), void *arg);
/* Set the interface administratively up or down (its veth peer loses carrier). */
int port_set_up(struct port *pt, int up);

#endif
