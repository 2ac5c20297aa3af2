#!/usr/bin/env bash
# pipe-bad: `mptun pipe` when things go wrong, and the exit status that says so.
#   - stdin closed early: a clean half-close; the far side sees the end, sends all it has,
#     and both exit 0 with every byte in place;
#   - the receiver dies mid-stream: the sender exits 1 within --timeout, saying why;
#     the sender dies mid-stream: the receiver does the same;
#   - --prbs mismatch: the receiver exits 3 naming the first bad offset, the sender is told
#     (the stream is reset) and exits 1 at once;
#   - the reader of stdout goes away: exit 1 on both sides;
#   - a wrong pre-shared key: no connection, exit 1 after --timeout;
#   - a bad command line: exit 2, and the message names the option or argument at fault,
#     never a line of the configuration text the options become.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need timeout cmp
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -4 "$f"; done; exit 1; }

topo_ns c
topo_ns s
for i in 1 2; do topo_link c s "$i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
"$MPTUN" genkey >"$TOPO_DIR/other"
chmod 600 "$TOPO_DIR/psk" "$TOPO_DIR/other"
T=(10.77.1.2:7000@l1 10.77.2.2:7000@l2)

echo "# bad options: exit 2, the option named"
# usage WANT ARGS...: mptun pipe ARGS exits 2 and says WANT (a fixed string) on stderr
usage() {
	local want=$1 rc=0
	shift
	"$MPTUN" pipe "$@" >"$TOPO_DIR/u.out" 2>"$TOPO_DIR/u.err" || rc=$?
	[ "$rc" = 2 ] || fail "pipe $*: exit $rc, not 2"
	grep -qF -- "$want" "$TOPO_DIR/u.err" || fail "pipe $*: said '$(head -1 "$TOPO_DIR/u.err")', not '$want'"
	! grep -q "command line" "$TOPO_DIR/u.err" || fail "pipe $*: cites the internal config: $(cat "$TOPO_DIR/u.err")"
	[ ! -s "$TOPO_DIR/u.out" ] || fail "pipe $*: wrote to stdout"
	echo "  pipe $*: $(head -1 "$TOPO_DIR/u.err")"
}
K=(--psk-file "$TOPO_DIR/psk")
usage "unknown mode 'lisen'" lisen 7000 "${K[@]}"
usage "unknown word 'foo=bar'" connect h:7000,foo=bar "${K[@]}"
usage "--limit: bad size '1Q'" connect h:7000 --limit 1Q "${K[@]}"
usage "--rate: bad size '5x'" connect h:7000 --rate 5x "${K[@]}"
usage "--prbs: bad number 'seed'" connect h:7000 --prbs seed "${K[@]}"
usage "--timeout: bad number of seconds '0'" connect h:7000 --timeout 0 "${K[@]}"
usage "--idle-timeout: bad number of seconds 'x'" connect h:7000 -f 2222 --idle-timeout x "${K[@]}"
usage "--cipher 'rot13'" connect h:7000 --cipher rot13 "${K[@]}"
usage "--scheduler 'fast'" connect h:7000 --scheduler fast "${K[@]}"
usage "--congestion 'x/y'" connect h:7000 --congestion x/y "${K[@]}"
usage "--dscp '64': out of range" connect h:7000 --dscp 64 "${K[@]}"
usage "--dscp: is for connect" listen 7000 --dscp EF "${K[@]}"
usage "--psk: not a key" connect h:7000 --psk abc
usage "--psk-file '$TOPO_DIR/none'" connect h:7000 --psk-file "$TOPO_DIR/none"
usage "target 'h:99999': bad port" connect h:99999 "${K[@]}"
usage "via 'foo://r:1': unknown scheme" connect h:7000,via=foo://r:1 "${K[@]}"
usage "interface 'bad/if'" connect h:7000@bad/if "${K[@]}"
usage "listen address '1.2.3.4:x'" listen 1.2.3.4:x "${K[@]}"
usage "unknown option '--bogus'" connect h:7000 --bogus "${K[@]}"
usage "-n: bad number '0'" connect h:7000 -n 0 "${K[@]}"

# listen NAME ARGS...: the listening side in the background, stdin from $IN (/dev/null),
# stdout to NAME.out; its pid in NAME.pid, its exit status in NAME.rc, stderr in NAME.err
cat >"$TOPO_DIR/run.sh" <<'SH'
n=$1 in=$2 out=$3
shift 3
sh -c 'echo $$ >"$0.pid"; exec "$@"' "$n" "$@" <"$in" >"$out" 2>"$n.err"
echo $? >"$n.rc"
SH
listen() {
	local n=$1
	shift
	rm -f "$TOPO_DIR/$n.rc"
	topo_bg s sh "$TOPO_DIR/run.sh" "$TOPO_DIR/$n" "${IN:-/dev/null}" "$TOPO_DIR/$n.out" \
		"$MPTUN" pipe listen 7000 \
		--psk-file "$TOPO_DIR/psk" --timeout 2 "$@"
	topo_wait_listen s 7000 || fail "$n does not listen"
}
# rc_of NAME: the listening side's exit status, once it has exited (10 s at most)
rc_of() {
	for _ in $(seq 100); do [ -s "$TOPO_DIR/$1.rc" ] && break; sleep 0.1; done
	cat "$TOPO_DIR/$1.rc" 2>/dev/null || echo none
}
connect() { topo_exec c timeout 30 "$MPTUN" pipe connect "${T[@]}" --timeout 2 "$@"; }

echo "# stdin closed early: half-close, everything arrives both ways, exit 0"
head -c 5000000 /dev/urandom >"$TOPO_DIR/big"
IN=$TOPO_DIR/big listen s1
rc=0
printf 'short' | connect --psk-file "$TOPO_DIR/psk" >"$TOPO_DIR/c1.out" 2>"$TOPO_DIR/c1.err" || rc=$?
[ "$rc" = 0 ] || fail "connect side exit $rc"
[ "$(rc_of s1)" = 0 ] || fail "listen side exit $(rc_of s1)"
[ "$(cat "$TOPO_DIR/s1.out")" = short ] || fail "listen side got '$(head -c 50 "$TOPO_DIR/s1.out")'"
cmp -s "$TOPO_DIR/big" "$TOPO_DIR/c1.out" || fail "connect side got a different 5 MB"
echo "5 bytes one way, then 5 MB the other after the first side's end: both exit 0"

echo "# the receiver dies mid-stream: the sender exits 1 and says why"
listen s2 --prbs 1 --limit 0
start=$(date +%s)
(sleep 1; kill -9 "$(cat "$TOPO_DIR/s2.pid")") &
rc=0
connect --psk-file "$TOPO_DIR/psk" --prbs 1 --limit 1G --rate 20M 2>"$TOPO_DIR/c2.err" || rc=$?
took=$(($(date +%s) - start))
cat "$TOPO_DIR/c2.err"
[ "$rc" = 1 ] || fail "sender exit $rc, not 1"
grep -q "no connection to the peer for 2 s; the stream is incomplete" "$TOPO_DIR/c2.err" ||
	fail "no clear message"
[ "$took" -le 8 ] || fail "the sender took $took s to give up"

echo "# the sender dies mid-stream: the receiver exits 1 and says why"
listen s3 --prbs 1 --limit 0
topo_exec c sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$TOPO_DIR/c3.pid" "$MPTUN" pipe connect "${T[@]}" \
	--psk-file "$TOPO_DIR/psk" --prbs 1 --limit 1G --rate 20M 2>"$TOPO_DIR/c3.err" &
sleep 1
kill -9 "$(cat "$TOPO_DIR/c3.pid")"
[ "$(rc_of s3)" = 1 ] || fail "receiver exit $(rc_of s3), not 1"
cat "$TOPO_DIR/s3.err"
grep -q "no connection to the peer.*the stream is incomplete" "$TOPO_DIR/s3.err" || fail "no clear message"

echo "# --prbs mismatch: the receiver names the offset, both stop at once"
listen s4 --prbs 2 --limit 0
rc=0
connect --psk-file "$TOPO_DIR/psk" --prbs 1 --limit 10M 2>"$TOPO_DIR/c4.err" || rc=$?
cat "$TOPO_DIR/s4.err" "$TOPO_DIR/c4.err"
[ "$(rc_of s4)" = 3 ] || fail "receiver exit $(rc_of s4), not 3"
grep -q "prbs: mismatch at byte offset 0" "$TOPO_DIR/s4.err" || fail "no offset reported"
[ "$rc" = 1 ] || fail "sender exit $rc, not 1"
grep -q "peer: reset the stream" "$TOPO_DIR/c4.err" || fail "the sender was not told"

echo "# the reader of stdout goes away: both sides exit 1"
rm -f "$TOPO_DIR/s5.rc"
topo_bg s bash -c '"$1" pipe listen 7000 --psk-file "$2" --timeout 2 </dev/null 2>"$3.err" |
	head -c 1000 >/dev/null; echo "${PIPESTATUS[0]}" >"$3.rc"' \
	bash "$MPTUN" "$TOPO_DIR/psk" "$TOPO_DIR/s5"
topo_wait_listen s 7000 || fail "s5 does not listen"
rc=0
head -c 50000000 /dev/zero | connect --psk-file "$TOPO_DIR/psk" >/dev/null 2>"$TOPO_DIR/c5.err" || rc=$?
cat "$TOPO_DIR/c5.err"
cat "$TOPO_DIR/s5.err"
[ "$rc" = 1 ] || fail "sender exit $rc, not 1"
[ "$(rc_of s5)" = 1 ] || fail "reader's side exit $(rc_of s5), not 1"
grep -q "stdout: Broken pipe" "$TOPO_DIR/s5.err" || fail "the reader's side did not say why"

echo "# a wrong key: no connection, exit 1 after --timeout"
listen s6 --prbs 1 --limit 0
rc=0
connect --psk-file "$TOPO_DIR/other" --prbs 1 --limit 1M 2>"$TOPO_DIR/c6.err" || rc=$?
cat "$TOPO_DIR/c6.err"
[ "$rc" = 1 ] || fail "exit $rc with a wrong key"
grep -q "no connection to the peer" "$TOPO_DIR/c6.err" || fail "no clear message"
echo "PASS"
