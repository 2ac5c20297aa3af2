/*
 * check.h: the unit tests' one assertion macro. A failed CHECK prints where and what, counts,
 * and lets the test go on; main returns CHECK_RESULT().
 */
#ifndef MPTUN_TEST_CHECK_H
#define MPTUN_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define CHECK_RESULT() (failures == 0 ? 0 : 1)

#endif
