/*
 * cmd: the command interpreter (see cmd.h). Every command acts at once; a failing
 * command changes nothing it did not report (settings are parsed into a copy and only
 * stored when the whole line parsed).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "link.h"
#include "opt.h"

int cmd_quit;

static const char help_text[] =
	"seed N                          set the global seed, restart every stream\n"
	"link ID add IFA IFB             bridge interfaces IFA (side a) and IFB (side b)\n"
	"link ID del                     remove the link\n"
	"link ID [ab|ba|both] SETTING... rate R, queue SIZE|TIME, delay T, jitter T,\n"
	"                                reorder on|off, loss P% | loss gemodel P R [1-H\n"
	"                                [1-K]] | loss off, duplicate P%, corrupt P%,\n"
	"                                blackhole on|off, seed N, clear\n"
	"link ID blackhole T [every T] [after T]   blackhole window(s)\n"
	"link ID down T [every T] [after T]        carrier-down window(s)\n"
	"link ID schedule off            cancel the window schedule\n"
	"link ID carrier up|down [a|b]   set the link's interfaces up or down now\n"
	"link ID rst [PORT|off]          reset the next TCP flow (on PORT) seen each way\n"
	"link ID zero                    zero the counters\n"
	"stats [ID]                      counters as JSON\n"
	"show                            the commands that recreate the current settings\n"
	"reload                          run the configuration file again\n"
	"help, quit\n";

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Split line into at most CMD_WORDS_MAX words in buf; -1 if there are more. */
static int
split(const char *line, char *buf, size_t buflen, char **w)
{
	char *s, *save = NULL, *c;
	int n = 0;

	snprintf(buf, buflen, "%s", line);
	if ((c = strchr(buf, '#')) != NULL)
		*c = '\0';
	for (s = strtok_r(buf, " \t\r\n", &save); s; s = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == CMD_WORDS_MAX)
			return -1;
		w[n++] = s;
	}
	return n;
}

static int
parse_id(const char *s, int *id)
{
	uint64_t v;

	if (opt_u64(s, &v) == -1 || v < 1 || v > EMU_MAX_LINK_ID)
		return -1;
	*id = (int)v;
	return 0;
}

/* "T [every T] [after T]" after a window kind. */
static int
window(struct link *l, enum link_window kind, int n, char **w, char *err, size_t errlen)
{
	uint64_t dur, period = 0, after = 0;
	int i;

	if (n < 1 || opt_time(w[0], &dur) == -1 || dur == 0)
		return fail(err, errlen, "window: bad duration");
	for (i = 1; i < n; i += 2) {
		if (i + 1 >= n)
			return fail(err, errlen, "%s: missing value", w[i]);
		if (!strcasecmp(w[i], "every") && opt_time(w[i + 1], &period) == 0)
			continue;
		if (!strcasecmp(w[i], "after") && opt_time(w[i + 1], &after) == 0)
			continue;
		return fail(err, errlen, "window: bad '%s %s'", w[i], w[i + 1]);
	}
	if (period && period <= dur)
		return fail(err, errlen, "window: period must exceed the duration");
	link_schedule(l, kind, dur, period, after);
	return 0;
}

/* Settings for one or both directions, with ab/ba/both switching along the way. */
static int
settings(struct link *l, int n, char **w, char *err, size_t errlen)
{
	struct imp_params p[LINK_NDIR] = {l->dir[0].p, l->dir[1].p};
	uint64_t seed[LINK_NDIR];
	int seeded[LINK_NDIR] = {0, 0}, sel = -1, i = 0, d, used;

	while (i < n) {
		if (!strcasecmp(w[i], "ab") || !strcasecmp(w[i], "ba") ||
		    !strcasecmp(w[i], "both")) {
			sel = !strcasecmp(w[i], "ab")	? LINK_AB
			      : !strcasecmp(w[i], "ba") ? LINK_BA
							: -1;
			i++;
			continue;
		}
		if (!strcasecmp(w[i], "seed")) {
			uint64_t v;

			if (i + 1 >= n || opt_u64(w[i + 1], &v) == -1)
				return fail(err, errlen, "seed: bad value");
			for (d = 0; d < LINK_NDIR; d++)
				if (sel == -1 || sel == d) {
					seed[d] = v;
					seeded[d] = 1;
				}
			i += 2;
			continue;
		}
		used = 0;
		for (d = 0; d < LINK_NDIR; d++) {
			if (sel != -1 && sel != d)
				continue;
			used = opt_setting(&p[d], n - i, w + i, err, errlen);
			if (used == -1)
				return -1;
		}
		i += used;
	}
	for (d = 0; d < LINK_NDIR; d++) {
		l->dir[d].p = p[d];
		if (seeded[d])
			link_seed(l, d, seed[d], 1);
	}
	return 0;
}

static int
link_cmd(struct emu *e, int n, char **w, FILE *out, char *err, size_t errlen)
{
	struct link *l;
	int id, side = -1, up;
	uint64_t v;

	if (n < 2 || parse_id(w[0], &id) == -1)
		return fail(err, errlen, "link: bad link number");
	if (!strcasecmp(w[1], "add")) {
		if (n != 4)
			return fail(err, errlen, "usage: link ID add IFA IFB");
		return emu_link_add(e, id, w[2], w[3], err, errlen);
	}
	if ((l = emu_link(e, id)) == NULL)
		return fail(err, errlen, "no link %d", id);
	if (!strcasecmp(w[1], "del") && n == 2) {
		emu_link_del(e, l);
		return 0;
	}
	if (!strcasecmp(w[1], "zero") && n == 2) {
		link_zero(l);
		return 0;
	}
	if (!strcasecmp(w[1], "stats") && n == 2) {
		link_json(l, out);
		fputc('\n', out);
		return 0;
	}
	if (!strcasecmp(w[1], "carrier")) {
		if (n < 3 || n > 4 ||
		    opt_onoff(!strcasecmp(w[2], "up")	  ? "on"
			      : !strcasecmp(w[2], "down") ? "off"
							  : "?",
			      &up) == -1)
			return fail(err, errlen, "usage: link ID carrier up|down [a|b]");
		if (n == 4) {
			if (strcasecmp(w[3], "a") && strcasecmp(w[3], "b"))
				return fail(err, errlen, "carrier: side is a or b");
			side = !strcasecmp(w[3], "a") ? LINK_SIDE_A : LINK_SIDE_B;
		}
		if (l->win == LINK_WIN_DOWN)
			link_schedule(l, LINK_WIN_NONE, 0, 0, 0);
		return link_carrier(l, side, up) == -1
			       ? fail(err, errlen, "carrier: %s", strerror(errno))
			       : 0;
	}
	if (!strcasecmp(w[1], "down"))
		return window(l, LINK_WIN_DOWN, n - 2, w + 2, err, errlen);
	if (!strcasecmp(w[1], "blackhole") && n >= 3 && opt_onoff(w[2], &up) == -1)
		return window(l, LINK_WIN_BLACKHOLE, n - 2, w + 2, err, errlen);
	if (!strcasecmp(w[1], "schedule")) {
		if (n != 3 || strcasecmp(w[2], "off"))
			return fail(err, errlen, "usage: link ID schedule off");
		link_schedule(l, LINK_WIN_NONE, 0, 0, 0);
		return 0;
	}
	if (!strcasecmp(w[1], "rst")) {
		if (n == 2) {
			link_rst(l, 0);
			return 0;
		}
		if (n == 3 && !strcasecmp(w[2], "off")) {
			link_rst(l, -1);
			return 0;
		}
		if (!strcasecmp(w[2], "port") && n == 4)
			w++, n--;
		if (n != 3 || opt_u64(w[2], &v) == -1 || v == 0 || v > 65535)
			return fail(err, errlen, "usage: link ID rst [[port] PORT|off]");
		link_rst(l, (int)v);
		return 0;
	}
	/* a manual "blackhole off" also ends a blackhole schedule */
	if (!strcasecmp(w[1], "blackhole") && n == 3 && opt_onoff(w[2], &up) == 0 && !up &&
	    l->win == LINK_WIN_BLACKHOLE)
		link_schedule(l, LINK_WIN_NONE, 0, 0, 0);
	return settings(l, n - 1, w + 1, err, errlen);
}

static void
stats(struct emu *e, int id, FILE *out)
{
	int i, first = 1;

	fprintf(out, "{\"seed\":%" PRIu64 ",\"pool_free\":%zu,\"pool_size\":%zu,\"links\":[",
		e->seed, e->pool.nfree, e->pool.n);
	for (i = 0; i < e->nlinks; i++) {
		if (id && e->links[i]->id != id)
			continue;
		if (!first)
			fputc(',', out);
		first = 0;
		link_json(e->links[i], out);
	}
	fputs("]}\n", out);
}

int
cmd_exec(struct emu *e, const char *line, FILE *out, char *err, size_t errlen)
{
	char buf[CMD_LINE_MAX + 1], *w[CMD_WORDS_MAX];
	int n, i, id = 0;
	uint64_t v;

	if (strlen(line) > CMD_LINE_MAX)
		return fail(err, errlen, "line too long");
	n = split(line, buf, sizeof(buf), w);
	if (n == -1)
		return fail(err, errlen, "too many words");
	if (n == 0)
		return 0;
	if (!strcasecmp(w[0], "link"))
		return link_cmd(e, n - 1, w + 1, out, err, errlen);
	if (!strcasecmp(w[0], "stats") && n <= 2) {
		if (n == 2 && parse_id(w[1], &id) == -1)
			return fail(err, errlen, "stats: bad link number");
		if (id && emu_link(e, id) == NULL)
			return fail(err, errlen, "no link %d", id);
		stats(e, id, out);
		return 0;
	}
	if (!strcasecmp(w[0], "seed") && n == 2) {
		if (opt_u64(w[1], &v) == -1)
			return fail(err, errlen, "seed: bad value");
		emu_reseed(e, v);
		return 0;
	}
	if (!strcasecmp(w[0], "show") && n == 1) {
		fprintf(out, "seed %" PRIu64 "\n", e->seed);
		for (i = 0; i < e->nlinks; i++)
			link_show(e->links[i], out);
		return 0;
	}
	if (!strcasecmp(w[0], "reload") && n == 1) {
		if (e->config == NULL)
			return fail(err, errlen, "no configuration file");
		return cmd_file(e, e->config, out, err, errlen);
	}
	if (!strcasecmp(w[0], "help") && n == 1) {
		fputs(help_text, out);
		return 0;
	}
	if (!strcasecmp(w[0], "quit") && n == 1) {
		cmd_quit = 1;
		return 0;
	}
	return fail(err, errlen, "unknown command '%s' (try help)", w[0]);
}

int
cmd_file(struct emu *e, const char *path, FILE *out, char *err, size_t errlen)
{
	char line[CMD_LINE_MAX + 2], msg[256];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = fail(err, errlen, "%s:%d: line too long", path, lineno);
			break;
		}
		/* "link ID add" of a link that exists is how a reload keeps its links */
		if (cmd_exec(e, line, out, msg, sizeof(msg)) == -1) {
			int id;
			char w1[16], w3[16];

			if (sscanf(line, " %15s %d %15s", w1, &id, w3) == 3 &&
			    !strcasecmp(w1, "link") && !strcasecmp(w3, "add") &&
			    emu_link(e, id) != NULL)
				continue;
			rc = fail(err, errlen, "%s:%d: %s", path, lineno, msg);
			break;
		}
	}
	fclose(f);
	return rc;
}
