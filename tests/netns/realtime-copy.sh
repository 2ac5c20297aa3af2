#!/usr/bin/env bash
# realtime-copy: real-time packets get a copy on a second path, within a byte budget.
# Two paths (synnet): link 1 5 ms each way and losing 20 % of its frames both ways, link 2
# clean but 15 ms, so the default scheduler prefers link 1 and outer TCP repairs its
# losses late. With Realtime = auto (the default) and RealtimeBudget = 100 %, 500 pings
# and a paced UDP stream of 500 small datagrams (not TCP: real-time) cross mp0: none may be
# lost or delivered twice, copies must have arrived first at the receiver, and the second
# of each pair is counted, not dropped. Then with the default budget (5 %) under a bulk
# TCP flow, the copies stay within 5 % of the bytes sent (plus the 64 KiB of credit a
# session may hold), and no ping is lost to the full backlog the bulk flow keeps.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3 ping iperf3

FO_SERVER_LINES=("RealtimeBudget = 100%")
fo_setup 2 "delay 5ms" "RealtimeBudget = 100%"
D=$TOPO_DIR
topo_emu link 1 loss 20% >/dev/null || fo_fail "synnet loss"
topo_emu link 2 delay 15ms >/dev/null || fo_fail "synnet delay"
s0=$(fo_json s)

fo_recv s udp-recv 5000 "$D/udp.json" --timeout 30
rpid=$FO_PID
fo_send c udp-send 5000 "$D/udp.send.json" --interval 10 --count 500 --size 64 --timeout 30
spid=$FO_PID
topo_exec c ping -n -i 0.01 -c 500 -W 2 -s 56 10.99.0.1 >"$D/ping.txt" 2>&1
wait "$spid"
wait "$rpid"
echo "ping: $(grep -E 'transmitted|rtt' "$D/ping.txt" | tr '\n' ' ')"
lost=$(topo_emu stats 1 | jq '.links[0].ab.drop_loss + .links[0].ba.drop_loss')
[ "$lost" -gt 20 ] || fo_fail "the loss on link 1 did not happen ($lost frames)"
rx=$(awk '/transmitted/ { print $4 }' "$D/ping.txt")
[ "$rx" = 500 ] || fo_fail "ping: $rx of 500 replies"
grep -q 'DUP!' "$D/ping.txt" && fo_fail "ping: duplicate replies"
jq -e '.end_marker and .unique == 500 and .lost == 0 and .duplicates == 0' "$D/udp.json" >/dev/null ||
	fo_fail "udp stream: $(jq -c '{unique, lost, duplicates}' "$D/udp.json")"
fo_ok "500 of 500 pings and 500 of 500 datagrams, none twice, with $lost frames lost on link 1 (one way: median $(jq .latency_p50_ms "$D/udp.json"), max $(jq .max_latency_ms "$D/udp.json") ms)"
s1=$(fo_json s)
c1=$(fo_json c)
first=$(( $(echo "$s1" | jq .session.copy_first) - $(echo "$s0" | jq .session.copy_first) ))
spare=$(( $(echo "$s1" | jq .session.copy_spare) - $(echo "$s0" | jq .session.copy_spare) ))
dups=$(( $(echo "$s1" | jq .session.drops.duplicate) - $(echo "$s0" | jq .session.drops.duplicate) ))
copies=$(echo "$c1" | jq .session.copies)
echo "client sent $copies copies; the server had $first copies first and $spare spare ones, $dups duplicate drops"
[ "$copies" -ge 100 ] || fo_fail "the client copied only $copies of 1000 real-time packets"
[ "$first" -gt 0 ] || fo_fail "no copy ever arrived before its original"
[ "$spare" -ge 100 ] || fo_fail "the seconds of the pairs were not counted as spare ($spare)"
# (a re-send after a stall may still find its frame delivered: a duplicate, rarely)
[ $((dups * 10)) -le "$spare" ] || fo_fail "the seconds of the pairs were counted as dropped duplicates ($dups)"
fo_ok "copies arrived first $first times"

echo "# the default budget: copies within 5 % of the bytes sent, under a bulk flow"
mpt_stop "$FO_C"
sed -i '/^RealtimeBudget/d' "$FO_C"
mpt_start c "$FO_C"
mpt_wait_up c "$FO_C" 2 || fo_fail "client not back"
topo_emu link 1 loss 0% >/dev/null
topo_bg s iperf3 -s >/dev/null 2>&1
topo_wait_listen s 5201 || fo_fail "no iperf3 server"
topo_exec c iperf3 -c 10.99.0.1 -t 4 -C cubic >/dev/null 2>&1 &
bulk=$!
topo_exec c ping -n -i 0.01 -c 300 -W 2 10.99.0.1 >"$D/ping2.txt" 2>&1
wait "$bulk" || fo_fail "bulk flow failed"
# a full backlog drops bulk packets (the inner TCP backs off), never the small ones
grep -q " 0% packet loss" "$D/ping2.txt" || fo_fail "pings lost beside the bulk flow: $(grep loss "$D/ping2.txt")"
c2=$(fo_json c)
tx=$(echo "$c2" | jq .session.tx_bytes)
cb=$(echo "$c2" | jq .session.copy_bytes)
echo "sent $tx bytes, copies $cb bytes ($(echo "$c2" | jq .session.copies) copies)"
[ "$(echo "$c2" | jq .session.copies)" -gt 0 ] || fo_fail "no copy under the default budget"
[ "$cb" -le $((tx * 5 / 100 + 65536)) ] || fo_fail "copies took $cb bytes, over 5 % of $tx"
fo_pass
