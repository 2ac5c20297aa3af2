#!/usr/bin/env bash
# failover-backup: encrypted backup-link failover. Two primary paths and a backup
# (`Backup = yes` on p3), synnet links of 5 ms each way and 20 Mbit/s. An inner TCP session
# sends a counted record every 10 ms for the whole test and verifies every one: it must
# never notice (no reset, no record missing or repeated, no gap above FO_MAX_GAP_MS,
# default 1000: failover within a second). Meanwhile, measured with a 2 s bulk flow in
# each phase, on both daemons (the listening side must honour the dialer's Backup too):
#   1. both primaries up: the backup carries < 1 % of the payload bytes;
#   2. p1 loses its carrier and p2 turns into a black hole: p3 takes over (> 90 %);
#   3. p1's carrier returns: p1 is up within 2 s and the backup is back under 1 %.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3
MAX_GAP=${FO_MAX_GAP_MS:-1000}

mpt_path_lines 3 "Backup = yes"
fo_setup 3 "delay 5ms rate 20mbit"
D=$TOPO_DIR
grep -q "^Backup = yes" "$FO_C" || fo_fail "config without the backup line"
ciphers=$(fo_json c | jq -r '[.paths[].connections[].cipher // "?"] | unique | join(",")')
case $ciphers in "" | *none* | *"?"*) fo_fail "connections not all sealed: '$ciphers'" ;; esac
fo_ok "every connection sealed ($ciphers)"

# shares SIDE TX0 TX1: "p1% p2% p3% total" of the tx deltas
shares() {
	local a1 a2 a3 b1 b2 b3 t
	read -r a1 a2 a3 <<<"$1"
	read -r b1 b2 b3 <<<"$2"
	t=$((b1 - a1 + b2 - a2 + b3 - a3))
	awk -v x=$((b1 - a1)) -v y=$((b2 - a2)) -v z=$((b3 - a3)) -v t="$t" \
		'BEGIN { if (t == 0) t = 1; printf "%.2f %.2f %.2f %d", 100 * x / t, 100 * y / t, 100 * z / t, t }'
}

# phase NAME PORT: a 2 s bulk flow client -> server; sets CS and SS (shares of each side)
phase() {
	local c0 s0 c1 s1
	fo_recv s bulk-recv "$2" "$D/bulk$2.json" --timeout 20
	c0=$(fo_tx c)
	s0=$(fo_tx s)
	fo_send c bulk-send "$2" "$D/bulk$2.send.json" --duration 2 --timeout 20
	wait "$FO_PID" || fo_fail "$1: bulk flow failed: $(cat "$D/bulk$2.send.json")"
	c1=$(fo_tx c)
	s1=$(fo_tx s)
	CS=$(shares "$c0" "$c1")
	SS=$(shares "$s0" "$s1")
	echo "$1: client tx shares p1 p2 p3 (%) and bytes: $CS; server: $SS"
}
backup_share() { # SHARES: the backup's share, as an integer per mille
	awk -v s="$(echo "$1" | cut -d' ' -f3)" 'BEGIN { printf "%d", s * 10 }'
}

fo_recv s rec-recv 5000 "$D/rec.json" --timeout 60
rpid=$FO_PID
fo_send c rec-send 5000 "$D/rec.send.json" --interval 10 --duration 16 --timeout 60
spid=$FO_PID
t0=$(fo_now)
sleep 0.5

phase "1. primaries up" 5001
[ "$(backup_share "$CS")" -lt 10 ] || fo_fail "the backup carried $(echo "$CS" | cut -d' ' -f3) % of the client's bytes"
[ "$(backup_share "$SS")" -lt 10 ] || fo_fail "the backup carried $(echo "$SS" | cut -d' ' -f3) % of the server's bytes"
fo_ok "the backup stays under 1 % while the primaries live"

fo_sleep_until "$t0" 4
te=$(fo_now)
topo_emu link 1 carrier down >/dev/null || fo_fail "synnet carrier"
topo_emu link 2 blackhole on >/dev/null || fo_fail "synnet blackhole"
fo_wait 3 fo_state_is c p1 '!up' || fo_fail "p1 still up 3 s after its carrier loss"
fo_wait 3 fo_state_is c p2 '!up' || fo_fail "p2 still up 3 s into its black hole"
fo_ok "both primaries down $(fo_since "$te") ms after the faults"
fo_state_is c p3 up || fo_fail "the backup is not up"
phase "2. primaries down" 5002
[ "$(backup_share "$CS")" -gt 900 ] || fo_fail "the backup carried only $(echo "$CS" | cut -d' ' -f3) % (client)"
[ "$(backup_share "$SS")" -gt 900 ] || fo_fail "the backup carried only $(echo "$SS" | cut -d' ' -f3) % (server)"
fo_ok "the backup carries the traffic"

tr=$(fo_now)
topo_emu link 1 carrier up >/dev/null || fo_fail "synnet carrier up"
fo_wait 2 fo_state_is c p1 up || fo_fail "p1 not up 2 s after its carrier returned"
fo_ok "p1 up $(fo_since "$tr") ms after its carrier returned"
sleep 0.5
phase "3. p1 back" 5003
[ "$(backup_share "$CS")" -lt 10 ] || fo_fail "after p1's return the backup carried $(echo "$CS" | cut -d' ' -f3) % (client)"
[ "$(backup_share "$SS")" -lt 10 ] || fo_fail "after p1's return the backup carried $(echo "$SS" | cut -d' ' -f3) % (server)"
fo_ok "the backup hands back"
topo_emu link 2 blackhole off >/dev/null

wait "$spid"
src=$?
wait "$rpid"
echo "record sender: $(cat "$D/rec.send.json")"
echo "record receiver: $(jq -c . "$D/rec.json")"
[ "$src" = 0 ] || fo_fail "the inner session failed (sender exit $src)"
jq -e '.eof and (.reset | not) and .bad == 0 and .error == ""' "$D/rec.json" >/dev/null ||
	fo_fail "the inner session saw a reset, a missing or repeated record"
gap=$(jq '.max_gap_ms | floor' "$D/rec.json")
echo "longest gap between records: $gap ms (bound $MAX_GAP); from the faults: $(fo_gaps "$D/rec.json" "$te")"
[ "$gap" -le "$MAX_GAP" ] || fo_fail "the inner session stalled for $gap ms"
fo_ok "the inner session never noticed: $(jq .records "$D/rec.json") records, all in order"
fo_pass
