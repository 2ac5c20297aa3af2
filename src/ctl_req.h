/*
 * ctl_req: the control socket's request line (see ctl.h), parsed and written as pure code.
 *
 * A client sends one line ending in '\n', at most CTL_REQ_MAX bytes with the newline; what
 * follows the newline is ignored. The lines, matched exactly (case, spaces, no '\r'):
 *
 *   show               stable columns, for scripts    show json        one JSON object
 *   show table         the table, for a terminal      show prometheus  the text exposition
 *   reload             read the configuration file again
 *
 * Each show line may end in " peer NAME" (NAME: 1 to 31 of A-Z a-z 0-9 _ . -): that peer's
 * part only.
 *
 * Anything else is malformed, for one of three reasons (enum ctl_req_err). The daemon
 * answers an unknown line with "error: unknown request"; a line too long or holding a NUL
 * byte is not from a client of ours and is closed without an answer.
 *
 * No fds, no libev, no session: the daemon (ctl.c) reads bytes and acts on the result;
 * `mptun show` and `mptun reload` write their lines with ctl_req_line, so both ends share
 * one table.
 */
#ifndef MPTUN_CTL_REQ_H
#define MPTUN_CTL_REQ_H

#include <stddef.h>

#define CTL_REQ_MAX 255 /* longest request line, newline included */

/* ctl_req_parse results */
#define CTL_REQ_MORE 0 /* no newline yet, and room for one: read on */
#define CTL_REQ_DONE 1 /* a request */
#define CTL_REQ_BAD  2 /* malformed: see err */

enum ctl_req_kind {
	CTL_REQ_SHOW = 1,
	CTL_REQ_RELOAD,
};

/* The forms of `show` (show.h writes them). */
enum ctl_show_form {
	CTL_SHOW_TEXT,
	CTL_SHOW_TABLE,
	CTL_SHOW_JSON,
	CTL_SHOW_PROMETHEUS,
};

enum ctl_req_err {
	CTL_REQ_ERR_NONE,
	CTL_REQ_ERR_LONG,    /* no newline in CTL_REQ_MAX bytes */
	CTL_REQ_ERR_NUL,     /* a NUL byte before the newline */
	CTL_REQ_ERR_UNKNOWN, /* a line, but none of the requests */
};

struct ctl_req {
	enum ctl_req_kind kind;
	enum ctl_show_form form; /* CTL_REQ_SHOW */
	char peer[32];		 /* CTL_REQ_SHOW: " peer NAME", or empty */
	size_t len;		 /* CTL_REQ_DONE: bytes of the line, newline included */
	enum ctl_req_err err;	 /* CTL_REQ_BAD: why; CTL_REQ_ERR_NONE otherwise */
};

/*
 * Parse the len bytes a client has sent so far (the whole of them at each call). Returns
 * CTL_REQ_MORE, CTL_REQ_DONE (r holds the request) or CTL_REQ_BAD (r->err says why).
 * Never reads past buf[CTL_REQ_MAX - 1]; MORE only while len < CTL_REQ_MAX.
 */
int ctl_req_parse(struct ctl_req *r, const void *buf, size_t len);
/* The line for kind (and form, for CTL_REQ_SHOW), without its newline; NULL if none. */
const char *ctl_req_line(enum ctl_req_kind kind, enum ctl_show_form form);
const char *ctl_req_strerror(enum ctl_req_err err);
/* Whether the daemon's answer (len bytes) reports a failure: empty, or "error...". */
int ctl_req_answer_failed(const void *answer, size_t len);

#endif
