#!/bin/bash
# security-halfopen: a flood of half-open connections neither grows the server nor stops
# the legitimate tunnel (doc/security.md, "Half-open handshakes").
#
#   c --l1-- s     the legitimate client
#   x --l5-- s     the flood: 1,000 connections kept open to the server's port, half of
#                  them silent, half sending 20 random bytes; each one the server closes
#                  is opened again, for FLOOD_SECS (20) seconds
#
# During the flood: the server's VmRSS stays below baseline + RSS_BOUND_KIB (16 MiB: the
# listener keeps at most LISTENER_HALF_OPEN_MAX handshakes of a few KiB each) and its open
# descriptors below FD_BOUND (the server evicts the oldest handshake for each new one, so
# the flood churns thousands of connections a second); pings and an iperf3 run through mp0
# succeed, the legitimate path never fails, and a restarted client gets its handshake
# through. The flood receives no byte, and drops.halfopen counts the evictions.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/sec.sh"
topo_need jq python3 ping iperf3
topo_init
D=$TOPO_DIR
FLOOD_SECS=${FLOOD_SECS:-20}
RSS_BOUND_KIB=${RSS_BOUND_KIB:-16384}
mpt_keys || sec_fail "keys"

topo_ns c
topo_ns s
topo_ns x
topo_link c s 1 && topo_link x s 5 || sec_fail "topology"
mpt_server_conf "$D/s.conf"
mpt_client_conf "$D/c.conf" 1
sec_server s "$D/s.conf"
sec_daemon c "$D/c.conf"
SPID=${SEC_PID[$D/s.conf]}
mpt_wait_up c "$D/c.conf" 1 || sec_fail "tunnel not up"
topo_bg s iperf3 -s -B 10.99.0.1 >/dev/null 2>&1
topo_exec c ping -n -q -c 10 -i 0.05 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping through mp0"
sec_wait 10 sec_listening s tcp 5201 || sec_fail "no iperf3 server"
# warm up the data path before taking the baseline: buffers are allocated per connection
topo_exec c iperf3 -c 10.99.0.1 -t 1 >/dev/null || sec_fail "iperf3 before the flood"
base=$(sec_rss "$SPID")
# descriptors: the baseline, LISTENER_HALF_OPEN_MAX (64) handshakes, and up to
# LISTENER_ACCEPT_BUDGET (32) evicted ones whose close waits for the next loop turn
FD_BOUND=$(($(ls "/proc/$SPID/fd" | wc -l) + 64 + 32 + 16))
ho0=$(sec_drop s "$D/s.conf" halfopen)
cf0=$(mpt_json c "$D/c.conf" | jq '.paths[0].failures')
echo "ok: baseline VmRSS $base KiB"

# the flood, and a sampler of the server's RSS while it runs
topo_bg x env python3 "$SEC_TOOL" flood 10.77.5.2 7000 500 "$FLOOD_SECS" >"$D/flood0.json"
F0=${TOPO_PIDS[-1]}
topo_bg x env python3 "$SEC_TOOL" flood 10.77.5.2 7000 500 "$FLOOD_SECS" 20 >"$D/flood20.json"
F1=${TOPO_PIDS[-1]}
(
	while kill -0 "$F0" 2>/dev/null; do
		sec_rss "$SPID" >>"$D/rss"
		ls "/proc/$SPID/fd" | wc -l >>"$D/fds"
		sleep 0.2
	done
) &
SAMPLER=$!
flooding() { [ "$(sec_drop s "$D/s.conf" halfopen)" -ge $((ho0 + 500)) ]; }
sec_wait 15 flooding || sec_fail "the flood does not reach the listener's bound"
echo "ok: flood under way (drops.halfopen $(sec_drop s "$D/s.conf" halfopen))"

# the tunnel during the flood
topo_exec c ping -n -q -c 20 -i 0.1 -W 2 10.99.0.1 >"$D/ping.out"
read -r tx rx <<<"$(awk '/packets transmitted/ { print $1, $4 }' "$D/ping.out")"
[ "${rx:-0}" -ge 19 ] || sec_fail "pings during the flood: ${rx:-0} of ${tx:-0} answered"
echo "ok: ping through mp0 during the flood: $rx of $tx answered"
mbit=$(topo_exec c iperf3 -c 10.99.0.1 -t 3 -J | jq '.end.sum_received.bits_per_second / 1e6 | floor')
[ "${mbit:-0}" -ge 10 ] || sec_fail "iperf3 through mp0 during the flood: ${mbit:-0} Mbit/s"
echo "ok: iperf3 through mp0 during the flood: $mbit Mbit/s"
[ "$(mpt_json c "$D/c.conf" | jq '.paths[0].failures')" = "$cf0" ] ||
	sec_fail "the legitimate path failed during the flood"
echo "ok: the legitimate path never failed"

# a fresh handshake gets through the flood
kill "${SEC_PID[$D/c.conf]}"
wait "${SEC_PID[$D/c.conf]}" 2>/dev/null
kill -0 "$F0" 2>/dev/null || sec_fail "the flood ended too early (FLOOD_SECS too short)"
sec_daemon c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 1 15 || sec_fail "the restarted client does not get in during the flood"
kill -0 "$F0" 2>/dev/null || sec_fail "the flood ended before the client got in (FLOOD_SECS too short)"
topo_exec c ping -n -q -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping after the restart"
echo "ok: a restarted client got its handshake through during the flood"

wait "$F0" "$F1" "$SAMPLER"
o0=$(cat "$D/flood0.json")
o1=$(cat "$D/flood20.json")
opened=$(($(echo "$o0" | jq .opened) + $(echo "$o1" | jq .opened)))
got=$(($(echo "$o0" | jq .received) + $(echo "$o1" | jq .received)))
maxo=$(($(echo "$o0" | jq .max_open) + $(echo "$o1" | jq .max_open)))
[ "$opened" -ge 1000 ] || sec_fail "flood: $o0 / $o1"
[ "$got" = 0 ] || sec_fail "the server sent $got bytes to the flood"
echo "ok: flood: $opened connections opened (up to $maxo at once), 0 bytes received"
peak=$(sort -n "$D/rss" | tail -1)
[ -n "$peak" ] || sec_fail "no RSS samples"
[ $((peak - base)) -lt "$RSS_BOUND_KIB" ] ||
	sec_fail "VmRSS grew from $base to $peak KiB (bound: +$RSS_BOUND_KIB KiB)"
echo "ok: VmRSS peak $peak KiB, +$((peak - base)) KiB over the baseline (bound +$RSS_BOUND_KIB KiB)," \
	"$(wc -l <"$D/rss") samples"
fds=$(sort -n "$D/fds" | tail -1)
[ "$fds" -le "$FD_BOUND" ] || sec_fail "the server held $fds descriptors (bound $FD_BOUND)"
echo "ok: the server held at most $fds descriptors (bound $FD_BOUND)"
ho1=$(sec_drop s "$D/s.conf" halfopen)
[ "$ho1" -gt "$ho0" ] || sec_fail "drops.halfopen did not rise"
echo "ok: drops.halfopen rose by $((ho1 - ho0))"
exit 0
