/*
 * fuzz_ctl: the control socket's request line (ctl_req_parse) over whatever a local client
 * may send, and the client's reading of an answer (ctl_req_answer_failed) (libFuzzer).
 *
 * Input: the bytes a client sends. Every prefix is parsed, as the daemon does after each
 * read, so every way of splitting the bytes into reads is covered; each from a heap copy
 * of exactly its size, so ASan sees a read past it. Checked: MORE only while there is no
 * newline, no NUL and room for more; once decided, the outcome never changes with more
 * bytes; a request is exactly the line ctl_req_line writes and its newline; each malformed
 * kind matches its rule; nothing past CTL_REQ_MAX bytes is read. Any mismatch aborts.
 */
/* fuzz-sources: src/ctl_req.c */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

/* ctl_req_parse of len bytes from a heap copy of the first have: ASan sees reads past it */
static int
parse(struct ctl_req *r, const uint8_t *data, size_t have, size_t len)
{
	uint8_t *c = malloc(have > 0 ? have : 1);
	int rc;

	must(c != NULL);
	memcpy(c, data, have);
	rc = ctl_req_parse(r, c, len);
	free(c);
	return rc;
}

/* whether the n bytes at p are one of the request lines */
static int
is_request(const uint8_t *p, size_t n)
{
	static const struct {
		enum ctl_req_kind kind;
		enum ctl_show_form form;
	} all[] = {
		{CTL_REQ_SHOW, CTL_SHOW_TEXT},	 {CTL_REQ_SHOW, CTL_SHOW_TABLE},
		{CTL_REQ_SHOW, CTL_SHOW_JSON},	 {CTL_REQ_SHOW, CTL_SHOW_PROMETHEUS},
		{CTL_REQ_RELOAD, CTL_SHOW_TEXT},
	};
	const char *line;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		line = ctl_req_line(all[i].kind, all[i].form);
		must(line != NULL && strlen(line) < CTL_REQ_MAX);
		if (strlen(line) == n && memcmp(line, p, n) == 0)
			return 1;
	}
	return 0;
}

/* what parsing the first n bytes must give, from the rules in ctl_req.h */
static void
check(const struct ctl_req *r, int rc, const uint8_t *data, size_t n)
{
	const uint8_t *nl = memchr(data, '\n', n);
	size_t line = nl != NULL ? (size_t)(nl - data) : n;
	const char *want;

	must(n <= CTL_REQ_MAX);
	if (memchr(data, '\0', line) != NULL) {
		must(rc == CTL_REQ_BAD && r->err == CTL_REQ_ERR_NUL);
	} else if (nl == NULL) {
		if (n == CTL_REQ_MAX)
			must(rc == CTL_REQ_BAD && r->err == CTL_REQ_ERR_LONG);
		else
			must(rc == CTL_REQ_MORE && r->err == CTL_REQ_ERR_NONE);
	} else if (rc == CTL_REQ_DONE) {
		must(r->err == CTL_REQ_ERR_NONE && r->len == line + 1);
		want = ctl_req_line(r->kind, r->form);
		must(want != NULL);
		if (r->peer[0] != '\0') { /* "LINE peer NAME" */
			size_t wl = strlen(want), pl = strlen(r->peer);

			must(r->kind == CTL_REQ_SHOW && line == wl + 6 + pl &&
			     memcmp(want, data, wl) == 0 && memcmp(data + wl, " peer ", 6) == 0 &&
			     memcmp(data + wl + 6, r->peer, pl) == 0);
		} else {
			must(strlen(want) == line && memcmp(want, data, line) == 0);
		}
	} else {
		must(rc == CTL_REQ_BAD && r->err == CTL_REQ_ERR_UNKNOWN && !is_request(data, line));
	}
	if (rc == CTL_REQ_BAD)
		must(strcmp(ctl_req_strerror(r->err), "?") != 0);
}

static int
same(const struct ctl_req *a, const struct ctl_req *b)
{
	return a->kind == b->kind && a->form == b->form && a->len == b->len && a->err == b->err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, lim = size < CTL_REQ_MAX ? size : CTL_REQ_MAX;
	struct ctl_req r, first = {0};
	int rc, decided = CTL_REQ_MORE;
	uint8_t *c;

	for (n = 0; n <= lim; n++) {
		rc = parse(&r, data, n, n);
		check(&r, rc, data, n);
		if (decided == CTL_REQ_MORE) {
			decided = rc;
			first = r;
		} else {
			/* the daemon stops at the first outcome: more bytes must not change it */
			must(rc == decided && same(&r, &first));
		}
	}
	/* all of it, with only CTL_REQ_MAX bytes there to read */
	rc = parse(&r, data, lim, size);
	if (size > CTL_REQ_MAX)
		must(rc == decided && same(&r, &first));

	/* the same bytes as the daemon's answer to `mptun reload` */
	c = malloc(size > 0 ? size : 1);
	must(c != NULL);
	memcpy(c, data, size);
	must(ctl_req_answer_failed(c, size) ==
	     (size == 0 || (size >= 5 && memcmp(data, "error", 5) == 0)));
	free(c);
	return 0;
}
