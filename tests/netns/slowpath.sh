#!/usr/bin/env bash
# slowpath: a path much slower than the others (5 Mbit/s beside 100 and 200) is given only
# packets it delivers in time, so it cannot hold up the peer's reorder buffer: under one
# inner iperf3 flow it carries no more than its share of the links (16 per mille) and the
# flow gets more than the best link alone. The links are synnet's, with a round trip of
# 2 ms: real uplinks have one, and behind a token bucket with none at all (tbf on a bare
# veth) delivery samples read the bucket's bursts as Gbit/s. The bytes are counted from 2 s
# into the flow, past the start-up while the rates are first measured. The scheduler's rate
# estimates of the fast paths match their links.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq
topo_need_emu
topo_init
fail() { echo "FAIL: $*"; exit 1; }

topo_ns c
topo_ns s
topo_link c s 1 emu "rate 100mbit delay 1ms queue 20ms"
topo_link c s 2 emu "rate 200mbit delay 1ms queue 20ms"
topo_link c s 3 emu "rate 5mbit delay 1ms queue 20ms"
mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf"
mpt_client_conf "$TOPO_DIR/c.conf" 3
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 3
topo_bg s iperf3 -s >/dev/null 2>&1
topo_wait_listen s 5201

topo_exec c iperf3 -c 10.99.0.1 -t 6 -C cubic -J >"$TOPO_DIR/iperf.json" &
flow=$!
sleep 2
before=$(mpt_json c "$TOPO_DIR/c.conf")
wait $flow || fail "iperf3 through mp0"
after=$(mpt_json c "$TOPO_DIR/c.conf")
rate=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$TOPO_DIR/iperf.json")
echo "inner flow: $rate Mbit/s over 100 + 200 + 5 Mbit/s links (6 s; bytes counted from 2 s)"
total=0
for i in 1 2 3; do
	d[$i]=$(( $(echo "$after" | jq ".paths[$((i - 1))].tx_bytes") - $(echo "$before" | jq ".paths[$((i - 1))].tx_bytes") ))
	total=$((total + d[$i]))
done
echo "bytes per path: p1 ${d[1]}, p2 ${d[2]}, p3 ${d[3]}"
[ "$total" -gt 50000000 ] || fail "the flow moved only $total bytes"
# per mille: a 5 Mbit/s share of the links' sum would be 16
slow=$((1000 * d[3] / total))
echo "the 5 Mbit/s path carried $slow per mille of the bytes"
[ "$slow" -le 24 ] || fail "the slow path carried $slow per mille (at most 24: its share and half again)"
[ "$rate" -gt 200 ] || fail "the flow got $rate Mbit/s, no more than the best link alone"
[ "${d[1]}" -gt $((total / 5)) ] && [ "${d[2]}" -gt $((total / 3)) ] || fail "the fast paths did not share the flow"

for i in 1 2; do
	want=$((100 * i))
	est=$(echo "$after" | jq ".paths[$((i - 1))].connections[0].rate_mbps | floor")
	echo "path p$i: rate estimate $est Mbit/s (link $want)"
	[ "$est" -ge $((want * 7 / 10)) ] && [ "$est" -le $((want * 13 / 10)) ] ||
		fail "p$i rate estimate $est Mbit/s, link $want"
done
echo "PASS"
