#!/usr/bin/env bash
# tunnel: mp0 between two namespaces over three tbf-limited links of different rates (one
# path dialing an IPv6 endpoint).
# Ping both ways over IPv4 and IPv6; one iperf3 flow whose bytes split across the paths in
# proportion to their rates; Scheduler = ordered keeps a light load on the first path; a
# client sending garbage is dropped and counted while the tunnel carries on.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq ping socat
topo_init
fail() { echo "FAIL: $*"; exit 1; }

topo_ns c
topo_ns s
topo_link c s 1 rate 20
topo_link c s 2 rate 40
topo_link c s 3 rate 60
mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf"
mpt_path_lines 3 "Endpoint = [fd77:3::2]:7000" # one path over IPv6
mpt_client_conf "$TOPO_DIR/c.conf" 3
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 3
mpt_json c "$TOPO_DIR/c.conf" | jq -e '.paths[2].connections[0].peer == "[fd77:3::2]:7000"' >/dev/null ||
	fail "path p3 is not on its IPv6 endpoint"

echo "# ping through mp0, both ways, IPv4 and IPv6"
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping 10.99.0.1 from client"
topo_exec s ping -c 3 -i 0.1 -W 2 10.99.0.2 >/dev/null || fail "ping 10.99.0.2 from server"
topo_exec c ping -6 -c 3 -i 0.1 -W 2 fd99::1 >/dev/null || fail "ping fd99::1 from client"
topo_exec s ping -6 -c 3 -i 0.1 -W 2 fd99::2 >/dev/null || fail "ping fd99::2 from server"

echo "# one iperf3 flow: every path carries a share in proportion to its rate"
topo_bg s iperf3 -s >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"
before=$(mpt_json c "$TOPO_DIR/c.conf")
rate=$(topo_exec c iperf3 -c 10.99.0.1 -t 4 -C cubic -J | jq '.end.sum_received.bits_per_second / 1e6 | floor')
after=$(mpt_json c "$TOPO_DIR/c.conf")
echo "inner flow: $rate Mbit/s over 20 + 40 + 60 Mbit/s links"
[ "$rate" -ge 57 ] || fail "inner flow only $rate Mbit/s (half the links: 57)"
total=0
for i in 1 2 3; do
	d[$i]=$(( $(echo "$after" | jq ".paths[$((i - 1))].tx_bytes") - $(echo "$before" | jq ".paths[$((i - 1))].tx_bytes") ))
	total=$((total + d[$i]))
done
for i in 1 2 3; do
	share=$((100 * d[$i] / total))
	want=$((100 * i / 6)) # rates 20:40:60
	echo "path p$i: $share % of the bytes (rate share $want %)"
	[ "$share" -ge $((want - 8)) ] && [ "$share" -le $((want + 8)) ] || fail "p$i share $share %, expected about $want %"
done
echo "$after" | jq -e '.session.rx_bytes > 0 and .session.tx_bytes > 0' >/dev/null || fail "session counters"

echo "# a client sending garbage is closed and counted; the tunnel carries on"
h0=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.drops.handshake')
for i in 1 2 3; do
	head -c 4096 /dev/urandom | topo_exec c socat -u - TCP:10.77.1.2:7000,connect-timeout=2 2>/dev/null || true
done
for i in $(seq 50); do
	h1=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.drops.handshake')
	[ "$h1" -ge $((h0 + 3)) ] && break
	sleep 0.1
done
echo "handshake drops: $h0 -> $h1"
[ "$h1" -ge $((h0 + 3)) ] || fail "garbage connections not counted"
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "tunnel broken after garbage"
mpt_json c "$TOPO_DIR/c.conf" | jq -e '[.paths[] | select(.state == "up")] | length == 3' >/dev/null ||
	fail "a path went down"

echo "# Scheduler = ordered: a light load stays on the first path"
mpt_stop "$TOPO_DIR/c.conf"
mpt_client_conf "$TOPO_DIR/c.conf" 3 "Scheduler = ordered"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 3
before=$(mpt_json c "$TOPO_DIR/c.conf")
topo_exec c iperf3 -c 10.99.0.1 -t 2 -b 5M -u >/dev/null 2>&1 || topo_exec c ping -c 20 -i 0.05 10.99.0.1 >/dev/null
after=$(mpt_json c "$TOPO_DIR/c.conf")
total=0
for i in 1 2 3; do
	d[$i]=$(( $(echo "$after" | jq ".paths[$((i - 1))].tx_bytes") - $(echo "$before" | jq ".paths[$((i - 1))].tx_bytes") ))
	total=$((total + d[$i]))
done
[ "$total" -gt 100000 ] || fail "light load did not cross the tunnel ($total bytes)"
share=$((100 * d[1] / total))
echo "ordered, light load: p1 carried $share % of $total bytes"
[ "$share" -ge 95 ] || fail "ordered: first path carried only $share %"
echo "PASS"
