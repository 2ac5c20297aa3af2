#!/usr/bin/env bash
# bound: a loss-based outer connection is held to a send buffer near its path's
# bandwidth-delay product, so that the link's queue stays short; an express connection
# and a connection on BBR are not.
# One emulated link, 50 Mbit/s and 20 ms each way with synnet's default queue (50 ms at
# the rate); one cubic flow fills it through mp0 for 8 s, while pings cross the link
# itself, outside the tunnel, waiting in the queue mptun's connection builds (printed:
# how much shorter it is is the benches' business).
#   - the bulk connection shows a bound (bound_bytes) of at least RATE_BOUND_MIN and at
#     most the formula's value at twice the link's rate and its loaded round trip, and
#     the kernel holds its socket to it (ss: the send buffer, tb); the express one has
#     none;
#   - with 2 % random loss on the link the connection proves lossy, turns to BBR, and
#     its bound is lifted (bound_bytes 0, the kernel's largest buffer again).
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need_emu iperf3 jq ping
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }

topo_ns c
topo_ns s
topo_link c s 1 emu "rate 50mbit delay 20ms" || fail "emulated link"
mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf"
mpt_client_conf "$TOPO_DIR/c.conf" 1
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 1 || fail "path not up"
topo_bg s iperf3 -s >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"

# conns: "express bound_bytes rtt_ms" per connection of the client
conns() {
	mpt_json c "$TOPO_DIR/c.conf" |
		jq -r '.paths[].connections[] | select(.state == "up") | "\(.express) \(.bound_bytes) \(.rtt_ms)"'
}

# sndbuf: the kernel's send buffer of the client's connection to the path's endpoint
# (ss's skmem tb; with two connections there, the larger: the express one keeps the default)
sndbuf() {
	topo_exec c ss -Htmn state established dst 10.77.1.2:7000 |
		sed -n 's/.*skmem:(.*,tb\([0-9]*\),.*/\1/p' | sort -n | tail -1
}

topo_exec c iperf3 -c 10.99.0.1 -t 8 -C cubic >"$TOPO_DIR/bulk" 2>&1 &
bulk=$!
sleep 3
topo_exec c ping -n -c 40 -i 0.1 -W 2 10.77.1.2 >"$TOPO_DIR/ping" || fail "pings across the link lost"
tb=$(sndbuf)
conns >"$TOPO_DIR/conns"
wait "$bulk" || fail "the bulk flow failed"
median=$(sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$TOPO_DIR/ping" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "connections (express, bound_bytes, rtt_ms):" $(cat "$TOPO_DIR/conns") "; the kernel's send buffer: $tb"
echo "ping across the link under the bulk flow: median $median ms; $(tail -1 "$TOPO_DIR/ping")"
read -r _ bound rtt < <(grep '^false ' "$TOPO_DIR/conns") || fail "no bulk connection up"
read -r _ xbound _ < <(grep '^true ' "$TOPO_DIR/conns") || fail "no express connection up"
# the formula at twice the link's rate (12.5 MB/s) and the loaded round trip seen
most=$(awk -v r="$rtt" 'BEGIN { printf "%d", 12500000 * (1.25 * r + 5) / 1000 + 65536 }')
[ "$bound" -ge 131072 ] || fail "the bulk connection's bound is $bound bytes, below 128 KiB (0: none)"
[ "$bound" -le "$most" ] || fail "the bulk connection's bound is $bound bytes, above $most"
[ "$xbound" -eq 0 ] || fail "the express connection is bound ($xbound bytes)"
# read a moment apart, and a bound moves by a sixteenth before it is set again
[ -n "$tb" ] && [ $((tb * 4)) -ge $((bound * 3)) ] && [ $((tb * 3)) -le $((bound * 4)) ] ||
	fail "the kernel's send buffer is ${tb:-unknown} bytes, not the bound's $bound"

echo "# 2 % loss: the connection turns to BBR and its bound is lifted"
topo_emu link 1 rate 50mbit delay 20ms loss 2% >/dev/null || fail "synnet refused the loss"
topo_exec c iperf3 -c 10.99.0.1 -t 4 -C cubic >"$TOPO_DIR/bulk2" 2>&1 || fail "the lossy bulk flow failed"
grep -q "congestion control bbr" "$TOPO_DIR/c.conf.log" || fail "the connection did not turn to BBR"
conns >"$TOPO_DIR/conns2"
echo "after: connections (express, bound_bytes, rtt_ms):" $(cat "$TOPO_DIR/conns2")
read -r _ bound2 _ < <(grep '^false ' "$TOPO_DIR/conns2") || fail "no bulk connection up"
[ "$bound2" -eq 0 ] || fail "the connection on BBR is still bound ($bound2 bytes)"
tb=$(sndbuf)
[ "${tb:-0}" -ge 4000000 ] || fail "the connection on BBR has a send buffer of ${tb:-unknown} bytes, not the kernel's largest"
echo PASS
