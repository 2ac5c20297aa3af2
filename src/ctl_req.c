/*
 * ctl_req: the control socket's request line (see ctl_req.h).
 */
#include "config.h"

#include <string.h>

#include "ctl_req.h"

static const struct {
	const char *line;
	enum ctl_req_kind kind;
	enum ctl_show_form form;
} reqs[] = {
	{"show", CTL_REQ_SHOW, CTL_SHOW_TEXT},
	{"show table", CTL_REQ_SHOW, CTL_SHOW_TABLE},
	{"show json", CTL_REQ_SHOW, CTL_SHOW_JSON},
	{"show prometheus", CTL_REQ_SHOW, CTL_SHOW_PROMETHEUS},
	{"reload", CTL_REQ_RELOAD, CTL_SHOW_TEXT},
};

/* " peer NAME" (n bytes at p) into r->peer; -1 when it is not that. */
static int
peer_suffix(struct ctl_req *r, const char *p, size_t n)
{
	static const char pre[] = " peer ";
	size_t i, l = sizeof(pre) - 1;

	if (n <= l || n - l >= sizeof(r->peer) || memcmp(p, pre, l) != 0)
		return -1;
	for (i = l; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '.' || p[i] == '-'))
			return -1;
	memcpy(r->peer, p + l, n - l);
	r->peer[n - l] = '\0';
	return 0;
}

static int
bad(struct ctl_req *r, enum ctl_req_err err)
{
	r->err = err;
	return CTL_REQ_BAD;
}

int
ctl_req_parse(struct ctl_req *r, const void *buf, size_t len)
{
	const char *p = buf, *nl;
	size_t i, n = len < CTL_REQ_MAX ? len : CTL_REQ_MAX;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return CTL_REQ_MORE;
	nl = memchr(p, '\n', n);
	/* a NUL ends the line early for any C string reader: refuse it, do not guess */
	if (memchr(p, '\0', nl != NULL ? (size_t)(nl - p) : n) != NULL)
		return bad(r, CTL_REQ_ERR_NUL);
	if (nl == NULL)
		return n == CTL_REQ_MAX ? bad(r, CTL_REQ_ERR_LONG) : CTL_REQ_MORE;
	n = (size_t)(nl - p);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t l = strlen(reqs[i].line);

		if (l > n || memcmp(reqs[i].line, p, l) != 0)
			continue;
		if (l < n && (reqs[i].kind != CTL_REQ_SHOW || peer_suffix(r, p + l, n - l) == -1))
			continue;
		r->kind = reqs[i].kind;
		r->form = reqs[i].form;
		r->len = n + 1;
		return CTL_REQ_DONE;
	}
	memset(r->peer, 0, sizeof(r->peer));
	return bad(r, CTL_REQ_ERR_UNKNOWN);
}

const char *
ctl_req_line(enum ctl_req_kind kind, enum ctl_show_form form)
{
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (reqs[i].kind == kind && (kind != CTL_REQ_SHOW || reqs[i].form == form))
			return reqs[i].line;
	return NULL;
}

const char *
ctl_req_strerror(enum ctl_req_err err)
{
	switch (err) {
	case CTL_REQ_ERR_NONE:
		return "no error";
	case CTL_REQ_ERR_LONG:
		return "request too long";
	case CTL_REQ_ERR_NUL:
		return "NUL byte in request";
	case CTL_REQ_ERR_UNKNOWN:
		return "unknown request";
	}
	return "?";
}

int
ctl_req_answer_failed(const void *answer, size_t len)
{
	return len == 0 || (len >= 5 && memcmp(answer, "error", 5) == 0);
}
