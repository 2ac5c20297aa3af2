#!/usr/bin/env bash
# pipe-outage: a transfer rides out an outage of every path that outlasts the old 10 s limit.
# Two paths through synnet; 12 MiB of --prbs at 2 MiB/s, and 2 s into it both links are
# black-holed for 15 s (a router rebooting): every connection dies, the paths redial until
# the links are back, and the session resumes where it stopped. Both sides exit 0, the
# receiver (its stdin held open) verifies every byte, and without -v both logs say the paths
# went down and came up again.
# PIPE_BYTES, PIPE_RATE and PIPE_OUTAGE change the figures: the 1 GiB case with a minute's
# outage is `PIPE_BYTES=1G PIPE_RATE=40M PIPE_OUTAGE=60 make check TESTS=...` (by hand).
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need_emu timeout mkfifo numfmt
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -12 "$f"; done; exit 1; }
OUTAGE=${PIPE_OUTAGE:-15}
BYTES=${PIPE_BYTES:-12M}
RATE=${PIPE_RATE:-2M}
WANT=$(numfmt --from=iec "$BYTES")

topo_ns c
topo_ns s
for i in 1 2; do topo_link c s "$i" emu "" || fail "link $i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
mkfifo "$TOPO_DIR/open"

topo_bg s sh -c 'exec 0<>"$1"; shift; "$@" 2>"$0.err"; echo $? >"$0.rc"' "$TOPO_DIR/s" \
	"$TOPO_DIR/open" "$MPTUN" pipe listen 7000 --psk-file "$TOPO_DIR/psk" --prbs 5 --limit 0
topo_wait_listen s 7000 || fail "pipe listen does not listen"
topo_bg c sh -c '"$@" 2>"$0.err"; echo $? >"$0.rc"' "$TOPO_DIR/c" \
	"$MPTUN" pipe connect 10.77.1.2:7000@l1 10.77.2.2:7000@l2 --psk-file "$TOPO_DIR/psk" \
	--prbs 5 --limit "$BYTES" --rate "$RATE"
start=$(date +%s)
sleep 2
[ ! -e "$TOPO_DIR/c.rc" ] || fail "the transfer ended before the outage (exit $(cat "$TOPO_DIR/c.rc"))"
echo "# every path black-holed for $OUTAGE s"
topo_emu link 1 blackhole on >/dev/null
topo_emu link 2 blackhole on >/dev/null
sleep "$OUTAGE"
[ ! -e "$TOPO_DIR/c.rc" ] || fail "the sender gave up during the outage (exit $(cat "$TOPO_DIR/c.rc"))"
[ ! -e "$TOPO_DIR/s.rc" ] || fail "the receiver gave up during the outage (exit $(cat "$TOPO_DIR/s.rc"))"
topo_emu link 1 blackhole off >/dev/null
topo_emu link 2 blackhole off >/dev/null
echo "# links back"
for _ in $(seq 3000); do [ -s "$TOPO_DIR/c.rc" ] && [ -s "$TOPO_DIR/s.rc" ] && break; sleep 0.1; done
took=$(($(date +%s) - start))
cat "$TOPO_DIR/c.err" "$TOPO_DIR/s.err"
[ "$(cat "$TOPO_DIR/c.rc" 2>/dev/null)" = 0 ] || fail "sender exit $(cat "$TOPO_DIR/c.rc" 2>/dev/null || echo none)"
[ "$(cat "$TOPO_DIR/s.rc" 2>/dev/null)" = 0 ] || fail "receiver exit $(cat "$TOPO_DIR/s.rc" 2>/dev/null || echo none)"
grep -q "prbs: $WANT bytes verified" "$TOPO_DIR/s.err" || fail "the receiver did not verify $BYTES"
for side in c s; do
	grep -q "path p1: down" "$TOPO_DIR/$side.err" || fail "$side: no 'path p1: down' in the default log"
	awk '/path p1: down/ { d = 1 } d && /path p1: up/ { u = 1 } END { exit !u }' "$TOPO_DIR/$side.err" ||
		fail "$side: no 'path p1: up' after the outage in the default log"
done
echo "$BYTES verified after a $OUTAGE s outage of every path, $took s in all; both exited 0"
echo "PASS"
