/*
 * vaes: the CPU check for the vector AES record ciphers (see vaes.h).
 */
#include "config.h"

#include "vaes.h"

#ifdef VAES_X86

#include <cpuid.h>

/*
 * CPUID names the instructions; XGETBV says the OS saves the vector state they use (XMM,
 * YMM, the opmask and all 32 ZMM registers).
 */
static int
probe(void)
{
	unsigned a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AES) || !(c & bit_PCLMUL) ||
	    !(c & bit_OSXSAVE))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F) || !(b & bit_AVX512BW) ||
	    !(b & bit_AVX512VL) || !(c & bit_VAES) || !(c & bit_VPCLMULQDQ))
		return 0;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 0xe6) == 0xe6;
}

/* Asked at every key set-up: CPUID once (in a VM each one traps to the hypervisor). */
int
vaes_usable(void)
{
	static int usable = -1;

	if (usable < 0)
		usable = probe();
	return usable;
}

#else

int
vaes_usable(void)
{
	return 0;
}

#endif
