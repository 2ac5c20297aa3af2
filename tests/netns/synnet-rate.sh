#!/bin/bash
# synnet-rate: iperf3 through a 50 Mbit/s emulated link gets 50 Mbit/s (+-5 %, after
# TCP/IP headers), and the queue in front of the rate adds real delay under load (it is
# a queue, not a policer).
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu iperf3 ping awk
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "rate 50mbit queue 40ms delay 2ms" || exit 1

topo_bg B iperf3 -s -1 -B 10.77.1.2 >/dev/null
topo_wait_listen B 5201 || exit 1
topo_exec A ping -n -q -c 1 -W 2 10.77.1.2 >/dev/null
# cubic, not the host's default: it fills the queue, so the queueing delay shows
topo_exec A iperf3 -c 10.77.1.2 -t 5 -O 1 -C cubic -J >"$TOPO_DIR/iperf.json" &
ipf=$!
sleep 2
loaded=$(topo_exec A ping -n -q -c 10 -i 0.1 -W 2 10.77.1.2 | awk -F'[/ =]+' '/^rtt/ { print $7 }')
wait $ipf || { echo "FAIL: iperf3"; cat "$TOPO_DIR/iperf.json"; exit 1; }
mbit=$(jq '.end.sum_received.bits_per_second / 1e6' "$TOPO_DIR/iperf.json")
echo "iperf3: $mbit Mbit/s through rate 50mbit; rtt under load $loaded ms"
# the rate counts IP bytes: a full-sized segment carries 1448 payload bytes in 1500, so
# 50 Mbit/s of IP is 48.3 Mbit/s of iperf3 goodput; +-5 % around that
awk -v v="$mbit" 'BEGIN { g = 50 * 1448 / 1500; exit !(v >= g * 0.95 && v <= g * 1.05) }' ||
	{ echo "FAIL: $mbit Mbit/s is not 48.3 (50 Mbit/s of IP) +-5 %"; exit 1; }
# idle rtt is 4 ms; a full 40 ms queue in front of the sender's direction shows up here
awk -v v="$loaded" 'BEGIN { exit !(v >= 15 && v <= 50) }' ||
	{ echo "FAIL: rtt under load $loaded ms, expected the queue's delay (15..50)"; exit 1; }
q=$(topo_emu_get 1 ab drop_queue)
echo "ok (queue drops: $q)"
exit 0
