/*
 * reflect-test: `reflect` alone, for the relay tests and benchmarks while the mptun binary
 * does not dispatch it (usage: reflect-test [options] LISTEN TARGET).
 */
#include "config.h"

#include "log.h"
#include "reflect.h"

int
main(int argc, char **argv)
{
	log_init("mptun-reflect", 0);
	argv[0] = "reflect";
	return reflect_main(argc, argv);
}
