/*
 * privs: the privilege drop (see privs.h).
 *
 * Order matters: the bounding set is emptied first, while CAP_SETPCAP is still effective;
 * the uid changes with PR_SET_KEEPCAPS so the permitted set survives it (the effective set
 * is cleared by the kernel); capset then makes the kept set the only one, in all four
 * sets; no_new_privs comes last, and a final check proves root cannot be taken back.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

#define PRIVS_CAP_LAST_MAX 63 /* capabilities fit two 32-bit words (version 3) */

static int
cap_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1)
		return -1;
	*eff = data[0].effective | (uint64_t)data[1].effective << 32;
	*perm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

static int
cap_set(uint64_t set)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	data[0].effective = data[0].permitted = data[0].inheritable = (uint32_t)set;
	data[1].effective = data[1].permitted = data[1].inheritable = (uint32_t)(set >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

static int
cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = CAP_LAST_CAP;

	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > PRIVS_CAP_LAST_MAX)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

/* Drop every capability but keep from the bounding set. Needs CAP_SETPCAP unless done. */
static int
bounding_drop(uint64_t keep, uint64_t eff)
{
	int cap, last = cap_last();

	for (cap = 0; cap <= last; cap++) {
		if ((keep & (1ULL << cap)) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (!(eff & (1ULL << CAP_SETPCAP)))
				return 0; /* unprivileged: nothing to gain back by exec anyway */
			log_warn("drop capability %d from the bounding set", cap);
			return -1;
		}
	}
	return 0;
}

/* Switch uid and gid to pw's, keeping the permitted capabilities. */
static int
become(const struct passwd *pw)
{
	gid_t gid = pw->pw_gid;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 || setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("cannot become user %s", pw->pw_name);
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int
privs_drop(const char *user, const char *sock)
{
	struct passwd *pw = NULL;
	uint64_t eff, perm, inh, keep;
	int cap;

	if (user[0] != '\0') {
		errno = 0;
		if ((pw = getpwnam(user)) == NULL) {
			log_warnx("User %s: no such user", user);
			return -1;
		}
		if (pw->pw_uid == 0) {
			pw = NULL; /* User = root: nothing to switch */
		} else if (pw->pw_uid != getuid() && geteuid() != 0) {
			log_warnx("User %s: cannot switch users without root (running as uid %u)",
				  user, (unsigned)getuid());
			return -1;
		}
	}
	if (cap_get(&eff, &perm, &inh) == -1) {
		log_warn("capget");
		return -1;
	}
	keep = PRIVS_KEEP & perm;
	if (bounding_drop(keep, eff) == -1)
		return -1;
	if (pw != NULL && pw->pw_uid != getuid()) {
		/* root and the user may both use it: owner user, mode 0660 from ctl_open */
		if (sock != NULL && chown(sock, pw->pw_uid, pw->pw_gid) == -1)
			log_warn("control socket %s: chown to %s", sock, user);
		if (become(pw) == -1)
			return -1;
	}
	if (cap_set(keep) == -1) {
		log_warn("capset");
		return -1;
	}
	/* the kept capabilities pass to hooks through exec, for `ip route` in PostUp */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (cap = 0; cap <= PRIVS_CAP_LAST_MAX; cap++)
		if (keep & (1ULL << cap))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("no_new_privs");
		return -1;
	}
	if (pw != NULL && (setuid(0) != -1 || geteuid() == 0 || getegid() == 0)) {
		log_warnx("root could be regained after the drop: refusing to run");
		return -1;
	}
	log_info("privileges dropped: uid %u, gid %u, capabilities%s%s%s", (unsigned)getuid(),
		 (unsigned)getgid(), keep & (1ULL << CAP_NET_ADMIN) ? " net_admin" : "",
		 keep & (1ULL << CAP_NET_RAW) ? " net_raw" : "", keep ? "" : " none");
	return 0;
}
