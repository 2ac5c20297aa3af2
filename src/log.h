/*
 * log: the one logging API of mptun.
 *
 * Messages go to stderr in the foreground (with a timestamp unless stderr is the journal)
 * or to syslog. Every function preserves errno. log_warn and fatal append strerror(errno);
 * the *x variants do not. fatal is for start-up and broken invariants only: bad input from
 * the network is counted and dropped, never fatal and never logged once per packet.
 */
#ifndef MPTUN_LOG_H
#define MPTUN_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set up logging: ident names the program, use_syslog sends to syslog instead of stderr. */
void log_init(const char *ident, int use_syslog);
void log_set_level(int level);
int log_get_level(void);
/* Cycle the verbosity INFO -> DEBUG -> WARN -> INFO (SIGUSR2). */
void log_cycle_level(void);
/*
 * While on, log_warn and log_warnx print at the error level: set around code whose every
 * warning ends the program (a one-shot command, a daemon's set-up step), so that the reason
 * the program stops does not read as a mere warning.
 */
void log_warnings_fatal(int on);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
