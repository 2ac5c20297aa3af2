/*
 * test_ctl_req: the control socket's request line (ctl_req.c) — every request, fed whole,
 * byte by byte and with bytes after it; every malformed kind and where its limits lie; the
 * lines the client writes; and how the client reads an answer.
 */
#include "config.h"

#include <string.h>

#include "check.h"
#include "ctl_req.h"

static const struct {
	const char *line;
	enum ctl_req_kind kind;
	enum ctl_show_form form;
} good[] = {
	{"show\n", CTL_REQ_SHOW, CTL_SHOW_TEXT},
	{"show table\n", CTL_REQ_SHOW, CTL_SHOW_TABLE},
	{"show json\n", CTL_REQ_SHOW, CTL_SHOW_JSON},
	{"show prometheus\n", CTL_REQ_SHOW, CTL_SHOW_PROMETHEUS},
	{"reload\n", CTL_REQ_RELOAD, CTL_SHOW_TEXT},
};

static void
test_good(void)
{
	struct ctl_req r;
	char buf[64];
	size_t i, k, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = strlen(good[i].line);
		CHECK(ctl_req_parse(&r, good[i].line, n) == CTL_REQ_DONE);
		CHECK(r.kind == good[i].kind && r.len == n && r.err == CTL_REQ_ERR_NONE);
		if (good[i].kind == CTL_REQ_SHOW)
			CHECK(r.form == good[i].form);
		/* byte by byte: more until the newline */
		for (k = 0; k < n; k++)
			CHECK(ctl_req_parse(&r, good[i].line, k) == CTL_REQ_MORE);
		/* what follows the newline is not looked at */
		memcpy(buf, good[i].line, n);
		memcpy(buf + n, "show json\n\0garbage", 18);
		CHECK(ctl_req_parse(&r, buf, n + 18) == CTL_REQ_DONE);
		CHECK(r.kind == good[i].kind && r.len == n);
		/* the client writes the same line */
		CHECK(strncmp(ctl_req_line(good[i].kind, good[i].form), good[i].line, n - 1) == 0);
		CHECK(strlen(ctl_req_line(good[i].kind, good[i].form)) == n - 1);
	}
	CHECK(strcmp(ctl_req_line(CTL_REQ_RELOAD, CTL_SHOW_JSON), "reload") == 0);
	CHECK(ctl_req_line(0, CTL_SHOW_TEXT) == NULL);
	CHECK(ctl_req_line(CTL_REQ_SHOW, 99) == NULL);
}

static void
test_unknown(void)
{
	static const char *const bad[] = {
		"\n",	       "show \n",    " show\n",	     "SHOW\n",	      "Show json\n",
		"show\r\n",    "shows\n",    "show  json\n", "show json \n",  "show\tjson\n",
		"show JSON\n", "show jso\n", "show xml\n",   "show json x\n", "reload now\n",
		"reload\r\n",  "reloa\n",    "status\n",     "help\n",	      "show --json\n",
		"sh\n",	       "show\x80\n", "\xff\n",
	};
	struct ctl_req r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(ctl_req_parse(&r, bad[i], strlen(bad[i])) == CTL_REQ_BAD);
		CHECK(r.err == CTL_REQ_ERR_UNKNOWN);
	}
}

static void
test_nul(void)
{
	struct ctl_req r;

	/* a NUL anywhere before the newline, complete line or not */
	CHECK(ctl_req_parse(&r, "show\0\n", 6) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_NUL);
	CHECK(ctl_req_parse(&r, "\0show\n", 6) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_NUL);
	CHECK(ctl_req_parse(&r, "sh\0ow\n", 6) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_NUL);
	CHECK(ctl_req_parse(&r, "show\0", 5) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_NUL);
	CHECK(ctl_req_parse(&r, "\0", 1) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_NUL);
	/* after the newline it does not matter */
	CHECK(ctl_req_parse(&r, "show\n\0", 6) == CTL_REQ_DONE && r.kind == CTL_REQ_SHOW);
	CHECK(ctl_req_parse(&r, "", 0) == CTL_REQ_MORE);
}

static void
test_long(void)
{
	char buf[CTL_REQ_MAX + 16];
	struct ctl_req r;

	memset(buf, 'a', sizeof(buf));
	/* no newline: more up to CTL_REQ_MAX - 1 bytes, too long at CTL_REQ_MAX and beyond */
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX - 1) == CTL_REQ_MORE);
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_LONG);
	CHECK(ctl_req_parse(&r, buf, sizeof(buf)) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_LONG);
	/* the longest line is a line (unknown), one byte more is too long */
	buf[CTL_REQ_MAX - 1] = '\n';
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_UNKNOWN);
	buf[CTL_REQ_MAX - 1] = 'a';
	buf[CTL_REQ_MAX] = '\n';
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX + 1) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_LONG);
	/* a NUL past the limit is never looked at */
	buf[CTL_REQ_MAX] = '\0';
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX + 1) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_LONG);
	/* a known request padded out is not that request */
	memcpy(buf, "show", 4);
	buf[4] = ' ';
	buf[CTL_REQ_MAX - 1] = '\n';
	CHECK(ctl_req_parse(&r, buf, CTL_REQ_MAX) == CTL_REQ_BAD && r.err == CTL_REQ_ERR_UNKNOWN);
}

static void
test_strerror(void)
{
	CHECK(strcmp(ctl_req_strerror(CTL_REQ_ERR_UNKNOWN), "unknown request") == 0);
	CHECK(strcmp(ctl_req_strerror(CTL_REQ_ERR_LONG), "request too long") == 0);
	CHECK(strcmp(ctl_req_strerror(CTL_REQ_ERR_NUL), "NUL byte in request") == 0);
	CHECK(strcmp(ctl_req_strerror(CTL_REQ_ERR_NONE), "no error") == 0);
	CHECK(strcmp(ctl_req_strerror(42), "?") == 0);
}

static void
test_answer(void)
{
	CHECK(ctl_req_answer_failed("", 0));
	CHECK(ctl_req_answer_failed("error: unknown request\n", 23));
	CHECK(ctl_req_answer_failed("error", 5));
	CHECK(ctl_req_answer_failed("errors everywhere", 17));
	CHECK(!ctl_req_answer_failed("erro", 4));
	CHECK(!ctl_req_answer_failed("error", 4)); /* only len bytes count */
	CHECK(!ctl_req_answer_failed("reloaded: 1 kept, 0 added, 0 removed, 0 changed\n", 49));
	CHECK(!ctl_req_answer_failed(" error", 6));
	CHECK(!ctl_req_answer_failed("Error", 5));
}

int
main(void)
{
	test_good();
	test_unknown();
	test_nul();
	test_long();
	test_strerror();
	test_answer();
	return CHECK_RESULT();
}
