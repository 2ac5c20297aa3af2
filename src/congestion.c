/*
 * congestion: the kernel's congestion controls (see congestion.h). Reads two files and
 * keeps nothing; called once per check or start, never per connection.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "congestion.h"

#define CONGESTION_PROC	    "/proc/sys/net/ipv4/tcp_available_congestion_control"
#define CONGESTION_LIST_MAX 512 /* the kernel's own limit for the list (TCP_CA_BUF_MAX) */

/* Is name a word of the space-separated list? */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* Registered now? 1 yes, 0 no, -1 the list cannot be read. */
static int
registered(const char *name, char *list, size_t len)
{
	FILE *f = fopen(CONGESTION_PROC, "r");
	int ok;

	list[0] = '\0';
	if (f == NULL)
		return -1;
	ok = fgets(list, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	list[strcspn(list, "\n")] = '\0';
	return in_list(list, name);
}

/*
 * A module tcp_NAME among the running kernel's (the kernel asks modprobe for "tcp_NAME").
 * 1 yes, 0 no (or a kernel without loadable modules: no /proc/modules), -1 no modules.dep
 * to look in.
 */
static int
module(const char *name)
{
	char path[320], line[1024], want[64];
	struct utsname u;
	size_t n;
	FILE *f;
	int found = 0;

	if (access("/proc/modules", F_OK) == -1)
		return 0;
	if (uname(&u) == -1)
		return -1;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = (size_t)snprintf(want, sizeof(want), "/tcp_%s.ko", name);
	/* "kernel/net/ipv4/tcp_bbr.ko.zst: deps": the name, then ".", ":" or nothing */
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, want);

		found = p != NULL && p < line + strcspn(line, ":") &&
			(p[n] == '.' || p[n] == ':' || p[n] == '\0');
	}
	fclose(f);
	return found;
}

enum congestion_avail
congestion_available(const char *name)
{
	char list[CONGESTION_LIST_MAX];
	int r = registered(name, list, sizeof(list)), m;

	if (r == 1)
		return CONGESTION_AVAILABLE;
	if ((m = module(name)) == 1)
		return CONGESTION_LOADABLE;
	return r == 0 && m == 0 ? CONGESTION_MISSING : CONGESTION_UNKNOWN;
}

int
congestion_check_conf(const struct conf *c, char *err, size_t errlen)
{
	char list[CONGESTION_LIST_MAX];
	int i, rc = 0;

	for (i = 0; i < c->npaths; i++) {
		const struct conf_path *p = &c->paths[i];

		if (p->congestion[0] == '\0')
			continue;
		switch (congestion_available(p->congestion)) {
		case CONGESTION_AVAILABLE:
		case CONGESTION_LOADABLE:
			break;
		case CONGESTION_MISSING:
			registered(p->congestion, list, sizeof(list));
			snprintf(err, errlen,
				 "%s:%d: Congestion %s: not a congestion control of this kernel "
				 "(it has: %s)",
				 c->file, p->congestion_line, p->congestion, list);
			return -1;
		case CONGESTION_UNKNOWN:
			if (rc == 0)
				snprintf(err, errlen,
					 "%s:%d: Congestion %s: cannot tell whether this kernel "
					 "offers it (not registered, no module list to look in)",
					 c->file, p->congestion_line, p->congestion);
			rc = 1;
			break;
		}
	}
	return rc;
}
