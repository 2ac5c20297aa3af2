/*
 * cmd: the command language of synnet, shared by its configuration file, its -e option
 * and its control socket: one command per line, words separated by blanks, '#' starts a
 * comment. The grammar is in doc/testbed.md and in cmd_help.
 */
#ifndef SYNNET_CMD_H
#define SYNNET_CMD_H

#include <stdio.h>

#include "emu.h"

/* Longest command line and most words in one. */
#define CMD_LINE_MAX  1024
#define CMD_WORDS_MAX 64

/*
 * Execute one line: any output (JSON, listings) goes to out; returns 0, or -1 with a
 * message in err. An empty or comment line does nothing.
 */
int cmd_exec(struct emu *e, const char *line, FILE *out, char *err, size_t errlen);
/* Execute every line of path; the first error is reported as "path:line: message". */
int cmd_file(struct emu *e, const char *path, FILE *out, char *err, size_t errlen);
/* Set by the "quit" command. */
extern int cmd_quit;

#endif
