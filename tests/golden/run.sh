#!/bin/sh
# Golden tests of the configuration parser, through "mptun check".
#
#   good/NAME.conf  must pass; stdout must equal good/NAME.out (the canonical form), and
#                   checking NAME.out again must print NAME.out unchanged (round trip)
#   bad/NAME.conf   must fail with exit 1, nothing on stdout, and stderr equal to the one
#                   line in bad/NAME.err ("NAME.conf:LINE: message")
#   conf/*.conf     the shipped examples must pass, and round-trip too
#
# The contract of "mptun check CONFIG": on success the canonical form on stdout, exit 0;
# on error the message alone on stderr, exit 1. The files are checked from a scratch copy,
# so that names in messages are the bare file names and key files can be given their
# modes (git keeps none): good.key is created 0600, open.key 0644.
#
# Checkers: tests/conf_check (the conf module alone) and "$top_builddir/mptun check", both
# always: either missing is a failure, and so is a checker that answers anything but the
# contract (a crash, a usage error) to a file that cannot be read. mptun check also asks
# the kernel about Congestion names (congestion.h): the good files name only reno and
# cubic, which every Linux kernel has. GOLDEN_UPDATE=1 rewrites the .out and .err files in
# the source tree from conf_check.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
golden="$top_srcdir/tests/golden"
KEY='RHdq/nQ0zN6MF6BeiIfXZQXkJnQqD2Z0P30LZunFtvk='

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mptun-golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

checkers=""
for chk in "$top_builddir/tests/conf_check" "$top_builddir/mptun check"; do
	if [ ! -x "${chk% check}" ]; then
		echo "FAIL: ${chk% check} is not built"
		exit 99
	fi
	$chk "$tmp/missing.conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 1 ] || [ -s "$tmp/out" ] || ! grep -q "missing.conf" "$tmp/err"; then
		echo "FAIL: $chk on a missing file: exit $rc (wanted 1), stdout $(wc -c <"$tmp/out") bytes (wanted 0), stderr: $(head -c 300 "$tmp/err")"
		exit 99
	fi
	checkers="$checkers${checkers:+|}$chk"
done

for d in good bad conf; do
	mkdir -p "$tmp/$d"
done
cp "$golden"/good/*.conf "$tmp/good/"
cp "$golden"/bad/*.conf "$tmp/bad/"
cp "$top_srcdir"/conf/*.conf "$tmp/conf/"
for d in good bad; do
	(umask 077 && printf '%s\n' "$KEY" >"$tmp/$d/good.key")
	printf '%s\n' "$KEY" >"$tmp/$d/open.key"
	chmod 0600 "$tmp/$d/good.key"
	chmod 0644 "$tmp/$d/open.key"
done

fails=0
total=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# run CHECKER DIR FILE: sets rc, and leaves stdout/stderr in $tmp/out, $tmp/err.
run() {
	(cd "$tmp/$2" && $1 "$3" >"$tmp/out" 2>"$tmp/err")
	rc=$?
}

check_all() {
	chk=$1
	for f in "$tmp"/good/*.conf; do
		n=$(basename "$f" .conf)
		total=$((total + 1))
		run "$chk" good "$n.conf"
		if [ -n "${GOLDEN_UPDATE:-}" ]; then
			cp "$tmp/out" "$golden/good/$n.out"
		fi
		if [ $rc -ne 0 ]; then
			fail "$chk good/$n.conf: exit $rc: $(cat "$tmp/err")"
			continue
		fi
		if ! diff -u "$golden/good/$n.out" "$tmp/out"; then
			fail "$chk good/$n.conf: output differs"
			continue
		fi
		[ -s "$tmp/err" ] && fail "$chk good/$n.conf: stderr not empty"
		cp "$golden/good/$n.out" "$tmp/good/$n.rt"
		run "$chk" good "$n.rt"
		if [ $rc -ne 0 ] || ! cmp -s "$tmp/out" "$golden/good/$n.out"; then
			fail "$chk good/$n.out: does not round-trip"
		fi
	done
	for f in "$tmp"/bad/*.conf; do
		n=$(basename "$f" .conf)
		total=$((total + 1))
		run "$chk" bad "$n.conf"
		if [ -n "${GOLDEN_UPDATE:-}" ]; then
			cp "$tmp/err" "$golden/bad/$n.err"
		fi
		if [ $rc -ne 1 ]; then
			fail "$chk bad/$n.conf: exit $rc, wanted 1"
			continue
		fi
		[ -s "$tmp/out" ] && fail "$chk bad/$n.conf: stdout not empty"
		if ! diff -u "$golden/bad/$n.err" "$tmp/err"; then
			fail "$chk bad/$n.conf: message differs"
		fi
	done
	for f in "$tmp"/conf/*.conf; do
		n=$(basename "$f")
		total=$((total + 1))
		run "$chk" conf "$n"
		if [ $rc -ne 0 ]; then
			fail "$chk conf/$n: exit $rc: $(cat "$tmp/err")"
			continue
		fi
		cp "$tmp/out" "$tmp/conf/$n.rt1"
		run "$chk" conf "$n.rt1"
		if [ $rc -ne 0 ] || ! cmp -s "$tmp/out" "$tmp/conf/$n.rt1"; then
			fail "$chk conf/$n: canonical form does not round-trip"
		fi
	done
}

IFS='|'
for chk in $checkers; do
	unset IFS
	echo "checker: $chk"
	check_all "$chk"
	IFS='|'
done
unset IFS

echo "$total checks, $fails failures"
[ $fails -eq 0 ]
