/*
 * resolve: the address of a host to dial, found off the event loop.
 *
 * A numeric host is parsed in place. A name is looked up by getaddrinfo on a thread of its
 * own; the loop goes on, and the caller's callback runs on the loop when the answer is in.
 * Answers are cached (RESOLVE_TTL), failures remembered briefly (RESOLVE_TTL_FAIL); one
 * lookup per name is in flight however many dials wait for it. See resolve.c for why a
 * thread, and for the bounds.
 */
#ifndef MPTUN_RESOLVE_H
#define MPTUN_RESOLVE_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

#define RESOLVE_TTL 60.0     /* seconds an answer is used (getaddrinfo gives no TTL) */
#define RESOLVE_TTL_FAIL 5.0 /* seconds a failed lookup is remembered */
#define RESOLVE_NAMES 64     /* names remembered, and so lookups in flight at most */
#define RESOLVE_ADDRS 8      /* addresses kept of one answer */

enum resolve_rc {
	RESOLVE_DONE, /* the address is filled in */
	RESOLVE_WAIT, /* the callback will run on the loop, once */
	RESOLVE_ERR,  /* no address: err says why */
};

struct resolve_name;
struct resolve_wait;

/*
 * The answer for one waiter: ss the address (port set) or NULL with err saying why. Runs on
 * the loop; the waiter is no longer linked and may be reused or freed from here.
 */
typedef void resolve_cb(struct resolve_wait *w, const struct sockaddr_storage *ss, socklen_t len,
			const char *err);

/* A dial waiting for a name, embedded in its owner (container_of in the callback). */
struct resolve_wait {
	resolve_cb *cb;
	struct resolve_name *name; /* NULL unless waiting */
	struct resolve_wait *next;
	uint16_t port;
	unsigned pick;
};

/*
 * The address of host:port for a dial. pick chooses among the addresses of an answer
 * (pick modulo their number), so that a caller whose dial failed can try the next one.
 * RESOLVE_WAIT: w (cb set by the caller) is linked until its callback runs or
 * resolve_cancel. The first call binds the resolver to loop.
 */
enum resolve_rc resolve_get(struct ev_loop *loop, const char *host, uint16_t port, unsigned pick,
			    struct resolve_wait *w, struct sockaddr_storage *ss, socklen_t *len,
			    const char **err);
/* Stop waiting (no-op unless waiting): the callback will not run. */
void resolve_cancel(struct resolve_wait *w);
/* A dial to an address of host failed: the next resolve_get of host looks it up again. */
void resolve_stale(const char *host);
/*
 * Forget every name (after the last waiter is gone) and unbind the loop. Lookups still in
 * flight are abandoned, not waited for: their threads free their own job if they return.
 */
void resolve_shutdown(void);

#endif
