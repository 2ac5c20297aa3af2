/*
 * notify: talk to the service manager (systemd's sd_notify protocol, spoken directly).
 *
 * Under a service manager that set NOTIFY_SOCKET: READY=1 once the daemon is useful (the
 * listening side at once; the dialing side when a first connection is up, or after
 * NOTIFY_READY_MAX seconds anyway so that a start never hangs on an unreachable peer),
 * STATUS= with the paths up whenever that changes, WATCHDOG=1 from a loop timer at half
 * of WATCHDOG_USEC (so a stuck loop is noticed and restarted), STOPPING=1 at the end.
 * The datagram socket is made at start, so sending keeps working after the privilege drop.
 * Without NOTIFY_SOCKET every function is a no-op.
 *
 * Timers owned here: the status timer (NOTIFY_STATUS_EVERY), the readiness deadline and
 * the watchdog timer.
 */
#ifndef MPTUN_NOTIFY_H
#define MPTUN_NOTIFY_H

#include <ev.h>

#define NOTIFY_READY_MAX    15.0 /* seconds the dialing side waits for a path to say READY */
#define NOTIFY_STATUS_EVERY 1.0	 /* seconds between STATUS= checks */
#define NOTIFY_MSG_MAX	    256

struct peers;
struct notify;

/* Start (NULL without NOTIFY_SOCKET). wait_path: READY=1 only once a connection is up. */
struct notify *notify_start(struct ev_loop *loop, const struct peers *set, int wait_path);
/* STOPPING=1 and free; NULL is a no-op. */
void notify_stop(struct notify *n);

#endif
