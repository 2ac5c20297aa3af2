/*
 * reflect: `mptun reflect [options] LISTEN TARGET`, a TCP reflector.
 *
 * Accepts connections on LISTEN and forwards each one, byte for byte, to TARGET (resolved
 * once at start). It speaks no protocol of its own: an mptun path reaches it as a tcp://
 * hop, exactly like an nftables DNAT rule or socat. It owns its libev loop and returns when
 * SIGINT or SIGTERM arrives.
 */
#ifndef MPTUN_REFLECT_H
#define MPTUN_REFLECT_H

/* Run the reflector; argv[0] is "reflect". Returns the process exit status (0, 1 or 2). */
int reflect_main(int argc, char **argv);

#endif
