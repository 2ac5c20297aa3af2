/*
 * pipe: `mptun pipe`, a byte stream (stdin/stdout) or forwarded TCP connections carried
 * over several paths, without root and without a config file.
 *
 * The command builds a struct conf in memory from its arguments (or takes one from -c) and
 * runs the daemon's own session, paths, connections and listeners around a stream channel
 * (stream.c) instead of a tun device. See doc/pipe.md for the command line.
 */
#ifndef MPTUN_PIPE_H
#define MPTUN_PIPE_H

/* Exit status values of mptun pipe. */
#define PIPE_EXIT_OK	   0 /* every byte delivered and acknowledged, both ways */
#define PIPE_EXIT_FAIL	   1 /* the transfer did not complete (peer gone, reset, error) */
#define PIPE_EXIT_USAGE	   2 /* bad command line or configuration */
#define PIPE_EXIT_MISMATCH 3 /* --prbs: the received stream differs from the expected one */

/* `mptun pipe ...`: argv[0] is "pipe". Returns the exit status. */
int pipe_main(int argc, char **argv);

#endif
