#!/usr/bin/env bash
# pipe-prbs: `mptun pipe` moves a byte stream over three paths, losslessly.
#   1. PIPE_BYTES (default 1 GiB) of --prbs over three rate-unlimited links, path 3 through a
#      reflector (via=tcp://), two connections per path, while --chaos cuts a connection
#      about every 500 records on each side: the receiver verifies every byte, both exit 0,
#      and the sender's counters show the cuts and the re-sends.
#   2. A file with a random name goes from stdin to stdout, both ways at once: sha256 match.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need sha256sum timeout numfmt awk
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -5 "$f"; done; exit 1; }
BYTES=${PIPE_BYTES:-1G}

topo_ns c
topo_ns s
for i in 1 2 3; do topo_link c s "$i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
topo_bg s "$MPTUN" reflect 10.77.3.2:7100 10.77.3.2:7000
targets=(10.77.1.2:7000@l1 10.77.2.2:7000@l2 10.77.3.2:7000@l3,via=tcp://10.77.3.2:7100)

echo "# $BYTES of prbs over three paths, a connection cut every 500 records"
topo_bg s sh -c "'$MPTUN' pipe listen 7000 --psk-file '$TOPO_DIR/psk' --prbs 42 \
	--limit 0 --chaos 500 -v 2>'$TOPO_DIR/s1.err'; echo \$? >'$TOPO_DIR/s1.rc'"
topo_wait_listen s 7000 || fail "pipe listen does not listen"
start=$(date +%s.%N)
rc=0
topo_exec c timeout 120 "$MPTUN" pipe connect "${targets[@]}" -n 2 --psk-file "$TOPO_DIR/psk" \
	--prbs 42 --limit "$BYTES" --chaos 500 -v 2>"$TOPO_DIR/c1.err" || rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
for _ in $(seq 50); do [ -s "$TOPO_DIR/s1.rc" ] && break; sleep 0.1; done
tail -2 "$TOPO_DIR/c1.err"
tail -1 "$TOPO_DIR/s1.err"
[ "$rc" = 0 ] || fail "sender exit $rc"
[ "$(cat "$TOPO_DIR/s1.rc" 2>/dev/null)" = 0 ] || fail "receiver exit $(cat "$TOPO_DIR/s1.rc" 2>/dev/null)"
want=$(numfmt --from=iec "$BYTES")
grep -q "prbs: $want bytes verified" "$TOPO_DIR/s1.err" || fail "receiver did not verify $want bytes"
cuts=$(sed -n 's/.* \([0-9]*\) connections\{0,1\} cut$/\1/p' "$TOPO_DIR/c1.err")
resent=$(sed -n 's/.*, \([0-9]*\) re-sent,.*/\1/p' "$TOPO_DIR/c1.err")
echo "$BYTES in $secs s; sender cut $cuts connections, re-sent $resent frames"
[ "${cuts:-0}" -ge 3 ] || fail "chaos cut only ${cuts:-0} connections"
[ "${resent:-0}" -gt 0 ] || fail "nothing was re-sent"

echo "# a file each way at once through stdin and stdout: sha256 match"
head -c 30000000 /dev/urandom >"$TOPO_DIR/a.bin"
head -c 20000000 /dev/urandom >"$TOPO_DIR/b.bin"
topo_bg s sh -c "'$MPTUN' pipe listen 7000 --psk-file '$TOPO_DIR/psk' <'$TOPO_DIR/b.bin' \
	>'$TOPO_DIR/a.out' 2>'$TOPO_DIR/s2.err'; echo \$? >'$TOPO_DIR/s2.rc'"
topo_wait_listen s 7000 || fail "pipe listen does not listen"
rc=0
topo_exec c timeout 60 "$MPTUN" pipe connect "${targets[@]}" --psk-file "$TOPO_DIR/psk" \
	<"$TOPO_DIR/a.bin" >"$TOPO_DIR/b.out" 2>"$TOPO_DIR/c2.err" || rc=$?
for _ in $(seq 50); do [ -s "$TOPO_DIR/s2.rc" ] && break; sleep 0.1; done
[ "$rc" = 0 ] || fail "connect side exit $rc"
[ "$(cat "$TOPO_DIR/s2.rc" 2>/dev/null)" = 0 ] || fail "listen side exit $(cat "$TOPO_DIR/s2.rc" 2>/dev/null)"
[ "$(sha256sum <"$TOPO_DIR/a.bin")" = "$(sha256sum <"$TOPO_DIR/a.out")" ] || fail "a.bin differs"
[ "$(sha256sum <"$TOPO_DIR/b.bin")" = "$(sha256sum <"$TOPO_DIR/b.out")" ] || fail "b.bin differs"
echo "30 MB one way, 20 MB the other: sha256 match"
echo "PASS"
