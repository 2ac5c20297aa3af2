#!/bin/bash
# fuzz/run.sh: build every libFuzzer harness tests/fuzz/fuzz_NAME.c and run it for a while.
#
#   tests/fuzz/run.sh [NAME...]          (all harnesses when no NAME is given)
#
# Each harness names what it links in comment lines of its own:
#   /* fuzz-sources: src/frame.c src/buf.c src/log.c */     files, relative to top_srcdir
#   /* fuzz-libs: libsodium -lm */                          pkg-config names, or -l flags
#   /* fuzz-libs: libcrypto@HAVE_OPENSSL */                 only when config.h defines it
# (all may repeat), so a new harness needs no change here. tests/fuzz/fuzz_NAME.dict is
# used when it exists. Every harness is built first, so a build failure shows at once; then
# each runs FUZZ_SECONDS (default 60, as in `make check`) on a copy of its seed corpus
# tests/fuzz/corpus/NAME/: the committed corpus is never written. The longer hunt, ten
# minutes each (or one harness for a night: FUZZ_SECONDS=28800 tests/fuzz/run.sh ctl):
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
# Inputs that crash are kept in FUZZ_ARTIFACTS (default $top_builddir/fuzz-artifacts);
# reproduce one with: WORK/fuzz_NAME FILE (FUZZ_KEEP=1 keeps the build directory WORK).
# Exit 1 when a harness crashes or does not build, 77 when clang or libFuzzer is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SECS=${FUZZ_SECONDS:-60}
CC_FUZZ=${CC_FUZZ:-clang}
ARTIFACTS=${FUZZ_ARTIFACTS:-$top_builddir/fuzz-artifacts}
CFLAGS_FUZZ="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

command -v "$CC_FUZZ" >/dev/null 2>&1 || { echo "SKIP: $CC_FUZZ not installed"; exit 77; }
[ -f "$top_builddir/config.h" ] || { echo "SKIP: no config.h in $top_builddir (configure first)"; exit 77; }
WORK=$(mktemp -d /tmp/mptun-fuzz.XXXXXX)
if [ -z "${FUZZ_KEEP:-}" ]; then
	trap 'rm -rf "$WORK"' EXIT
else
	echo "build directory: $WORK"
fi
# libFuzzer ships with clang only in some packagings: try a trivial target first
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$WORK/probe.c"
$CC_FUZZ $CFLAGS_FUZZ "$WORK/probe.c" -o "$WORK/probe" >/dev/null 2>&1 ||
	{ echo "SKIP: $CC_FUZZ cannot link libFuzzer with the sanitizers"; exit 77; }

# field NAME FILE: the words of every "/* NAME: ... */" line of FILE
field() {
	sed -n "s|^/\* $1: \(.*\) \*/\$|\1|p" "$2" | tr '\n' ' '
}

pass=0 fail=0 skip=0
if [ $# -gt 0 ]; then
	harnesses=()
	for n in "$@"; do harnesses+=("$top_srcdir/tests/fuzz/fuzz_${n#fuzz_}.c"); done
else
	harnesses=("$top_srcdir"/tests/fuzz/fuzz_*.c)
fi
# build them all
built=()
for h in "${harnesses[@]}"; do
	name=$(basename "$h" .c)
	[ -f "$h" ] || { echo "FAIL: $name: no such harness"; fail=$((fail + 1)); continue; }
	srcs=$(field fuzz-sources "$h")
	if [ -z "$srcs" ]; then
		echo "FAIL: $name: no /* fuzz-sources: ... */ line"
		fail=$((fail + 1))
		continue
	fi
	files=() missing=""
	for s in $srcs; do
		if [ -f "$top_srcdir/$s" ]; then files+=("$top_srcdir/$s"); else missing="$missing $s"; fi
	done
	if [ -n "$missing" ]; then
		echo "SKIP: $name: missing$missing"
		skip=$((skip + 1))
		continue
	fi
	cflags="" libs=""
	for l in $(field fuzz-libs "$h"); do
		case $l in
		*@*) # NAME@MACRO: NAME only when config.h defines MACRO
			grep -q "^#define ${l#*@} 1\$" "$top_builddir/config.h" || continue
			l=${l%@*}
			;;
		esac
		case $l in
		-*) libs="$libs $l" ;;
		*)
			cflags="$cflags $(pkg-config --cflags "$l")" || { echo "FAIL: $name: pkg-config $l"; fail=$((fail + 1)); continue 2; }
			libs="$libs $(pkg-config --libs "$l")"
			;;
		esac
	done
	# -iquote: src/sched.h must not hide the system <sched.h> (as in Makefile.am)
	# shellcheck disable=SC2086 # word splitting of the flag lists is wanted
	if ! $CC_FUZZ $CFLAGS_FUZZ -iquote "$top_srcdir/src" -I"$top_builddir" $cflags "$h" "${files[@]}" \
		$libs -o "$WORK/$name" >"$WORK/$name.build" 2>&1; then
		echo "FAIL: $name does not build:"
		tail -n 20 "$WORK/$name.build"
		fail=$((fail + 1))
		continue
	fi
	built+=("$name")
done
[ ${#built[@]} -gt 0 ] && echo "built: ${built[*]}; running each for $SECS s"

# then run them
mkdir -p "$WORK/corpus"
for name in "${built[@]}"; do
	short=${name#fuzz_}
	corpus=$WORK/corpus/$short
	mkdir -p "$corpus"
	if [ -d "$top_srcdir/tests/fuzz/corpus/$short" ]; then
		cp -R "$top_srcdir/tests/fuzz/corpus/$short/." "$corpus/"
	fi
	opts=(-max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
	opts+=(-artifact_prefix="$WORK/$name-")
	[ -f "$top_srcdir/tests/fuzz/$name.dict" ] && opts+=(-dict="$top_srcdir/tests/fuzz/$name.dict")
	seeds=$(find "$corpus" -type f | wc -l)
	if "$WORK/$name" "${opts[@]}" "$corpus" >"$WORK/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$name.log")
		echo "ok: $name: ${runs:-?} runs in $SECS s from $seeds seeds, corpus now $(find "$corpus" -type f | wc -l)"
		pass=$((pass + 1))
	else
		echo "FAIL: $name crashed:"
		grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==" "$WORK/$name.log" | head -n 10
		tail -n 30 "$WORK/$name.log"
		mkdir -p "$ARTIFACTS"
		for a in "$WORK/$name"-*; do
			[ -f "$a" ] || continue
			cp "$a" "$ARTIFACTS/" && echo "crashing input kept: $ARTIFACTS/$(basename "$a")"
		done
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
