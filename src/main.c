#include "config.h"
#include <stdio.h>
#include "log.h"
int
main(int argc, char **argv)
{
	log_init("mptun", 0);
	fprintf(stderr, "usage: mptun run|check|show|genkey|pubkey|reflect|pipe ...\n");
	return 2;
}
