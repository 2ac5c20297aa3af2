#!/bin/bash
# relay-kinds: one tunnel whose three paths cross three kinds of relay at once.
#
#   c --l1 (30 Mbit/s)-- r1 --l101-- s     r1: socat, a plain tcp:// reflector
#   c --l2 (30 Mbit/s)-- r2 --l102-- s     r2: microsocks, SOCKS5 with user and password
#   c --l3 (30 Mbit/s)-- r3 --l103-- s     r3: tinyproxy, HTTP CONNECT with Basic auth
#
# The relays do not route (ip_forward off), so a path gets through only by its relay. All
# three paths come up; the server sees each connection come from its relay; ping crosses mp0
# with a round trip well under the relays' Nagle-plus-delayed-ACK stalls; one iperf3 flow
# crosses it, and `mptun show --json` shows every path carrying at least 10 % of its bytes.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/lib/relays.sh"
topo_need iperf3 jq ping socat ss microsocks tinyproxy
topo_init
D=$TOPO_DIR
fail() {
	echo "FAIL: $*"
	for f in "$D"/*.log; do echo "--- $f"; tail -n 15 "$f"; done
	exit 1
}

topo_ns c
topo_ns s
for i in 1 2 3; do
	topo_relay c r$i s $i rate 30 -- || fail "relay namespace r$i"
	topo_exec r$i sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
done
topo_exec c ping -c1 -W1 10.77.101.2 >/dev/null 2>&1 && fail "r1 still routes: the test proves nothing"

relay_socat r1 10.77.1.2 9000 10.77.101.2 7000 || fail "socat on r1"
relay_microsocks r2 10.77.2.2 1080 alice 's3cr:t' || fail "microsocks on r2"
relay_tinyproxy r3 10.77.3.2 3128 bob hunter2 || fail "tinyproxy on r3"

mpt_keys
mpt_server_conf "$D/s.conf"
mpt_path_lines 1 "Via = tcp://10.77.1.2:9000" "Endpoint = 10.77.101.2:7000"
mpt_path_lines 2 "Via = socks5://alice:s3cr%3At@10.77.2.2:1080" "Endpoint = 10.77.102.2:7000"
mpt_path_lines 3 "Via = http://bob:hunter2@10.77.3.2:3128" "Endpoint = 10.77.103.2:7000"
relay_client_conf "$D/c.conf" 3
"$MPTUN" check "$D/c.conf" >/dev/null || fail "client config: $("$MPTUN" check "$D/c.conf" 2>&1)"
mpt_start s "$D/s.conf"
topo_wait_listen s 7000 || fail "the server does not listen"
mpt_start c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 3 15 || fail "not every path came up"
echo "# socat, microsocks and tinyproxy paths are up"

# the server must see each path arrive from its relay's far side
peers=$(mpt_json s "$D/s.conf" | jq -r '.paths[].connections[].peer' | sort)
for i in 1 2 3; do
	printf '%s\n' "$peers" | grep -q "^10\.77\.10$i\.1:" ||
		fail "the server sees no connection from relay r$i (peers: $(echo $peers))"
done

topo_exec c ping -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"
topo_exec s ping -c 3 -i 0.2 -W 2 10.99.0.2 >/dev/null || fail "ping through mp0, server to client"
echo "# ping through mp0, both ways"
# none of these relays turns Nagle off: a small record waits in the relay until its last one
# is acknowledged, so a receiver that delayed its ACKs (40 ms and more) would show here
read -r n p50 slow < <(topo_exec c ping -n -c 50 -i 0.02 -W 1 10.99.0.1 |
	sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n |
	awk '{ v[NR] = $1; if ($1 > 10) s++ } END { print NR, NR ? v[int((NR + 1) / 2)] : 999, s + 0 }')
echo "# $n pings through mp0 over the relays: median $p50 ms, $slow over 10 ms"
[ "$n" -ge 45 ] && [ "$slow" -le 3 ] && awk -v p="$p50" 'BEGIN { exit !(p < 2) }' ||
	fail "round trips through the relays stall: median $p50 ms, $slow of $n over 10 ms"

topo_bg s iperf3 -s -B 10.99.0.1 -p 5201 >/dev/null 2>&1
topo_wait_listen s 5201 || fail "iperf3 server"
before=$(mpt_json c "$D/c.conf")
out=$(topo_exec c iperf3 -c 10.99.0.1 -p 5201 -t 4 -J) || fail "iperf3 through mp0: $out"
after=$(mpt_json c "$D/c.conf")
mbit=$(printf '%s' "$out" | jq '.end.sum_received.bits_per_second / 1e6 | floor')
echo "# one iperf3 flow through mp0: $mbit Mbit/s over three 30 Mbit/s relayed paths"
# two paths' worth: the flow really spreads, not just trickles
[ "$mbit" -ge 45 ] || fail "inner flow only $mbit Mbit/s"
total=0
for i in 1 2 3; do
	d[$i]=$(($(jq ".paths[] | select(.name == \"p$i\") | .tx_bytes" <<<"$after") -
		$(jq ".paths[] | select(.name == \"p$i\") | .tx_bytes" <<<"$before")))
	total=$((total + d[$i]))
done
[ "$total" -gt 0 ] || fail "no bytes counted on any path"
kinds=("" "socat (tcp://)" "microsocks (socks5://)" "tinyproxy (http://)")
for i in 1 2 3; do
	share=$((100 * d[$i] / total))
	echo "path p$i via ${kinds[$i]}: ${d[$i]} bytes, $share %"
	[ "$share" -ge 10 ] || fail "p$i via ${kinds[$i]} carried only $share % of the flow"
done
jq -e '[.paths[] | select(.state == "up")] | length == 3' <<<"$after" >/dev/null ||
	fail "a path went down during the flow"
echo "PASS"
