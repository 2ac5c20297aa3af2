#!/usr/bin/env bash
# pipe-oneway: a one-way transfer ends by itself, whatever the receiver's stdin is.
#   1. `... | mptun pipe connect` into `mptun pipe listen > FILE` whose stdin stays open
#      (a FIFO it holds itself, like a terminal or a service's stdin: never data, never an
#      end): both sides exit 0 once every byte is delivered, sha256 match.
#   2. The same the other way: `mptun pipe listen < FILE` into `mptun pipe connect > FILE`
#      with the connecting side's stdin held open.
#   3. A receiver whose stdin is /dev/null ends its (empty) stream at once: that ends
#      nothing, a sender that starts 2 s later still sends everything.
#   4. Two-way: a listening side that answers only after the request has ended (its stdin
#      gives the answer 1 s later) needs --two-way; without it, having sent nothing and with
#      nothing to send when the request ends, it is a one-way receiver and ends at once.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need sha256sum timeout mkfifo
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -5 "$f"; done; exit 1; }

topo_ns c
topo_ns s
for i in 1 2; do topo_link c s "$i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
T=(10.77.1.2:7000@l1 10.77.2.2:7000@l2)
mkfifo "$TOPO_DIR/open" "$TOPO_DIR/answer1" "$TOPO_DIR/answer2"
head -c 20000000 /dev/urandom >"$TOPO_DIR/data"

# listen NAME IN ARGS...: the listening side in the background with stdin IN ("open": the
# FIFO opened read-write, so it never ends), stdout NAME.out, stderr NAME.err, exit status
# NAME.rc
listen() {
	local n=$1 in=$2
	shift 2
	rm -f "$TOPO_DIR/$n.rc"
	topo_bg s sh -c 'n=$1 in=$2; shift 2
		if [ "$in" = open ]; then exec 0<>"${n%/*}/open"; else exec 0<"$in"; fi
		"$@" >"$n.out" 2>"$n.err"; echo $? >"$n.rc"' sh "$TOPO_DIR/$n" "$in" \
		"$MPTUN" pipe listen 7000 --psk-file "$TOPO_DIR/psk" "$@"
	topo_wait_listen s 7000 || fail "$n does not listen"
}
# rc_of NAME: the listening side's exit status, once it has exited (30 s at most)
rc_of() {
	for _ in $(seq 300); do [ -s "$TOPO_DIR/$1.rc" ] && break; sleep 0.1; done
	cat "$TOPO_DIR/$1.rc" 2>/dev/null || echo "none (still running)"
}
connect() { topo_exec c timeout 30 "$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" "$@"; }

echo "# connect sends 20 MB, the listening side's stdin stays open: both exit 0"
listen s1 open
rc=0
connect <"$TOPO_DIR/data" >"$TOPO_DIR/c1.out" 2>"$TOPO_DIR/c1.err" || rc=$?
[ "$rc" = 0 ] || fail "sending side exit $rc (124: still running after 30 s)"
[ "$(rc_of s1)" = 0 ] || fail "receiving side exit $(rc_of s1)"
[ "$(sha256sum <"$TOPO_DIR/data")" = "$(sha256sum <"$TOPO_DIR/s1.out")" ] ||
	fail "received $(wc -c <"$TOPO_DIR/s1.out") bytes that differ"
[ ! -s "$TOPO_DIR/c1.out" ] || fail "the receiver sent something"
echo "20 MB delivered, sha256 match, both exited 0"

echo "# listen sends 20 MB, the connecting side's stdin stays open: both exit 0"
listen s2 "$TOPO_DIR/data"
rc=0
topo_exec c sh -c 'exec 0<>"$1"; shift; exec timeout 30 "$@"' sh "$TOPO_DIR/open" \
	"$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" \
	>"$TOPO_DIR/c2.out" 2>"$TOPO_DIR/c2.err" || rc=$?
[ "$rc" = 0 ] || fail "receiving side exit $rc (124: still running after 30 s)"
[ "$(rc_of s2)" = 0 ] || fail "sending side exit $(rc_of s2)"
[ "$(sha256sum <"$TOPO_DIR/data")" = "$(sha256sum <"$TOPO_DIR/c2.out")" ] ||
	fail "received $(wc -c <"$TOPO_DIR/c2.out") bytes that differ"
echo "20 MB delivered the other way, both exited 0"

echo "# receiver on /dev/null, sender that starts late: the empty end ends nothing"
listen s5 /dev/null
rc=0
(sleep 2; head -c 1000000 "$TOPO_DIR/data") | connect >/dev/null 2>"$TOPO_DIR/c5.err" || rc=$?
[ "$rc" = 0 ] || fail "late sender exit $rc"
[ "$(rc_of s5)" = 0 ] || fail "receiver on /dev/null exit $(rc_of s5)"
[ "$(head -c 1000000 "$TOPO_DIR/data" | sha256sum)" = "$(sha256sum <"$TOPO_DIR/s5.out")" ] ||
	fail "the late sender's 1 MB arrived as $(wc -c <"$TOPO_DIR/s5.out") bytes that differ"
echo "1 MB from a sender that started after the receiver's empty end"

echo "# an answer after the request's end: one-way ends at once, --two-way waits for it"
(sleep 4; echo late) >"$TOPO_DIR/answer1" &
listen s3 "$TOPO_DIR/answer1"
rc=0
out=$(printf request | connect 2>"$TOPO_DIR/c3.err") || rc=$?
[ "$rc" = 0 ] || fail "one-way: requesting side exit $rc"
[ "$(rc_of s3)" = 0 ] || fail "one-way: answering side exit $(rc_of s3)"
[ "$(cat "$TOPO_DIR/s3.out")" = request ] || fail "one-way: request arrived as '$(cat "$TOPO_DIR/s3.out")'"
[ -z "$out" ] || fail "one-way: the answer '$out' came although the request had ended first"
(sleep 1; echo late) >"$TOPO_DIR/answer2" &
listen s4 "$TOPO_DIR/answer2" --two-way
rc=0
out=$(printf request | connect 2>"$TOPO_DIR/c4.err") || rc=$?
[ "$rc" = 0 ] || fail "--two-way: requesting side exit $rc"
[ "$(rc_of s4)" = 0 ] || fail "--two-way: answering side exit $(rc_of s4)"
[ "$out" = late ] || fail "--two-way: the answer was '$out', not 'late'"
echo "without --two-way the receiver of the request ended with it; with it, the answer came"
echo "PASS"
