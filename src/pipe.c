#include "config.h"
#include "pipe.h"
int
pipe_main(int argc, char **argv)
{
	return PIPE_EXIT_USAGE;
}
