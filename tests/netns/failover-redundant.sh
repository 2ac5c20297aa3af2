#!/usr/bin/env bash
# failover-redundant: `Scheduler = redundant` on both sides, two paths (synnet): link 1
# 5 ms each way and losing 20 % of its frames both ways, link 2 clean but 15 ms each way,
# so the default scheduler would prefer link 1. Outer TCP repairs every loss, so on link 1
# a packet is late (by a retransmission), not lost; with a copy on link 2 the receiver has
# it in time and drops the late one. Under 500 pings at 10 ms and, at the same time, a
# paced UDP stream of 500 small datagrams at 10 ms: no inner packet may be lost or
# duplicated, and the server must have counted the spare copies. (With the default
# scheduler the same run loses packets, 4 to 25 %: late beyond ReorderHold.) The one-way
# latency and the number of datagrams later than 50 ms (link 2 takes 15) are printed; they
# are not checked, since a packet whose copy found no ready connection waits like any.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3 ping

FO_SERVER_LINES=("Scheduler = redundant")
fo_setup 2 "delay 5ms" "Scheduler = redundant"
D=$TOPO_DIR
grep -q "^Scheduler = redundant" "$FO_C" || fo_fail "client config"
topo_emu link 1 loss 20% >/dev/null || fo_fail "synnet loss"
topo_emu link 2 delay 15ms >/dev/null || fo_fail "synnet delay"
d0=$(fo_json s | jq '.session.copy_spare')

fo_recv s udp-recv 5000 "$D/udp.json" --timeout 30 --trace "$D/udp.trace"
rpid=$FO_PID
fo_send c udp-send 5000 "$D/udp.send.json" --interval 10 --count 500 --size 64 --timeout 30
spid=$FO_PID
topo_exec c ping -n -i 0.01 -c 500 -W 2 -s 56 10.99.0.1 >"$D/ping.txt" 2>&1
wait "$spid"
wait "$rpid"
echo "ping: $(grep -E 'transmitted|rtt' "$D/ping.txt" | tr '\n' ' ')"
echo "udp: $(cat "$D/udp.json")"
lost=$(topo_emu stats 1 | jq '.links[0].ab.drop_loss + .links[0].ba.drop_loss')
d1=$(fo_json s | jq '.session.copy_spare')
echo "synnet dropped $lost frames on link 1; the server received $((d1 - d0)) spare copies (the second of a pair)"
[ "$lost" -gt 20 ] || fo_fail "the loss on link 1 did not happen ($lost frames)"

rx=$(awk '/transmitted/ { print $4 }' "$D/ping.txt")
[ "$rx" = 500 ] || fo_fail "ping: $rx of 500 replies"
grep -q 'DUP!' "$D/ping.txt" && fo_fail "ping: duplicate replies"
max=$(awk -F/ '/^rtt/ { printf "%d", $6 }' "$D/ping.txt")
fo_ok "500 of 500 pings answered, no duplicate, longest round trip $max ms"
jq -e '.end_marker and .unique == 500 and .lost == 0 and .duplicates == 0' "$D/udp.json" >/dev/null ||
	fo_fail "udp stream: $(jq -c '{unique, lost, duplicates}' "$D/udp.json")"
fo_ok "500 of 500 datagrams, none twice (one way: median $(jq .latency_p50_ms "$D/udp.json"), max $(jq .max_latency_ms "$D/udp.json") ms, $(jq .late "$D/udp.json") later than 50 ms)"
[ $((d1 - d0)) -gt 0 ] || fo_fail "the server received no spare copy: was anything sent twice?"
fo_ok "the receiver dropped $((d1 - d0)) second copies"
fo_pass
