/*
 * privs: give up root once the daemon is set up.
 *
 * After the tun device, the listeners and the control socket exist, the daemon needs only
 * two privileges: CAP_NET_ADMIN (netlink changes, TCP_CONGESTION outside the allowed list)
 * and CAP_NET_RAW (SO_BINDTODEVICE on the connections it dials later). privs_drop keeps
 * exactly those (PRIVS_KEEP, where the process had them): it empties the bounding set of
 * every other capability, switches to the configured User (PR_SET_KEEPCAPS, setgroups,
 * setresgid, setresuid), leaves the kept capabilities effective, permitted, inheritable and
 * ambient (so hooks can change routes), and sets PR_SET_NO_NEW_PRIVS. Raw syscalls and
 * prctl only: no libcap.
 *
 * Without a User the uid stays what it was (root keeps its files, not its capabilities).
 * A daemon started without root (systemd User= with AmbientCapabilities) cannot switch
 * users: User must then be unset or name the user it already runs as.
 */
#ifndef MPTUN_PRIVS_H
#define MPTUN_PRIVS_H

#include <linux/capability.h>

#define PRIVS_KEEP ((1ULL << CAP_NET_ADMIN) | (1ULL << CAP_NET_RAW))

/*
 * Drop privileges as above. user: empty for none. sock: the control socket, handed to the
 * user so that it (and root) can still use it; NULL for none. -1 (logged) on failure: the
 * caller must not go on running with more privileges than it asked to keep.
 */
int privs_drop(const char *user, const char *sock);

#endif
