/*
 * log: stderr or syslog output with errno preserved. Under systemd (JOURNAL_STREAM set and
 * matching stderr) no timestamp is printed, since the journal adds its own; a syslog-style
 * "<N>" priority prefix is emitted instead so journald keeps the level.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_syslog;
static int log_journal;
static int log_level = LOG_LVL_INFO;
static int log_warn_fatal;
static const char *log_ident = "mptun";

static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(const char *ident, int use_syslog)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_journal = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_warnings_fatal(int on)
{
	log_warn_fatal = on;
}

void
log_cycle_level(void)
{
	log_level = log_level == LOG_LVL_DEBUG ? LOG_LVL_WARN : log_level + 1;
	if (log_level < LOG_LVL_WARN)
		log_level = LOG_LVL_WARN;
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *const name[] = {"error", "warning", "info", "debug"};
	int saved = errno;
	char msg[1024];
	size_t n;

	if (level > log_level)
		goto out;
	if (level == LOG_LVL_WARN && log_warn_fatal)
		level = LOG_LVL_ERR;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (with_errno)
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));

	if (log_syslog) {
		syslog(prio[level], "%s", msg);
	} else if (log_journal) {
		fprintf(stderr, "<%d>%s\n", prio[level], msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%d] %s: %s\n", when, ts.tv_nsec / 1000000, log_ident,
			(int)getpid(), name[level], msg);
	}
out:
	errno = saved;
}

#define LOG_FN(fn, level, with_errno)                                                              \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, with_errno, fmt, ap);                                                  \
		va_end(ap);                                                                        \
	}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
