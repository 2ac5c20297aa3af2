#!/usr/bin/env bash
# failover-alldown: every link loses its carrier for FO_OUTAGE seconds (default 10), then
# comes back. Both daemons must stay the same processes (same pids, no restart); every path
# must be shown down within 2 s of the loss; once the carriers return, every path must be
# up within 5 s and a ping through mp0 must get through within 5 s; and an inner TCP
# session that sends a record every 10 ms from before the outage to after it must come out
# intact: the session resumes rather than starting over.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3 ping
OUTAGE=${FO_OUTAGE:-10}

fo_setup 3 "delay 5ms rate 20mbit"
D=$TOPO_DIR
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fo_fail "no ping through mp0 before"
sid=$(fo_json c | jq -r '.session.id // empty')

fo_recv s rec-recv 5000 "$D/rec.json" --timeout $((OUTAGE + 60))
rpid=$FO_PID
fo_send c rec-send 5000 "$D/rec.send.json" --interval 10 --duration $((OUTAGE + 6)) \
	--timeout $((OUTAGE + 60))
spid=$FO_PID
sleep 2

te=$(fo_now)
for i in 1 2 3; do topo_emu link "$i" carrier down >/dev/null || fo_fail "synnet carrier"; done
all_down() {
	fo_state_is c p1 '!up' && fo_state_is c p2 '!up' && fo_state_is c p3 '!up'
}
fo_wait 2 all_down || fo_fail "not every path down 2 s after the carriers went: $(fo_json c | jq -c '[.paths[].state]')"
fo_ok "every path down $(fo_since "$te") ms after the carrier loss"
fo_sleep_until "$te" "$OUTAGE"
kill -0 "$FO_CPID" && kill -0 "$FO_SPID" || fo_fail "a daemon exited during the outage"
echo "during the outage: $(fo_json c | jq -c '{session: .session.state, paths: [.paths[] | {(.name): .state}] | add}')"

tu=$(fo_now)
for i in 1 2 3; do topo_emu link "$i" carrier up >/dev/null || fo_fail "synnet carrier up"; done
ping_ok() { topo_exec c ping -c 1 -W 0.3 10.99.0.1 >/dev/null 2>&1; }
fo_wait 5 ping_ok || fo_fail "no ping through mp0 5 s after the carriers returned"
fo_ok "ping through mp0 $(fo_since "$tu") ms after the carriers returned"
all_up() {
	fo_state_is c p1 up && fo_state_is c p2 up && fo_state_is c p3 up
}
fo_wait 5 all_up || fo_fail "not every path up 5 s after the carriers returned"
fo_ok "every path up $(fo_since "$tu") ms after the carriers returned"

kill -0 "$FO_CPID" && kill -0 "$FO_SPID" || fo_fail "a daemon exited"
for p in "$FO_CPID" "$FO_SPID"; do
	grep -q "mptun" "/proc/$p/cmdline" || fo_fail "pid $p is no longer mptun"
done
pids=$(ip netns pids "$(topo_nsname c)" | xargs -r ps -o pid=,comm= -p | awk '$2 == "mptun" { print $1 }')
[ "$pids" = "$FO_CPID" ] || fo_fail "client daemon pids now '$pids', was $FO_CPID"
fo_ok "same daemons (pids $FO_CPID, $FO_SPID)"
sid2=$(fo_json c | jq -r '.session.id // empty')
[ "$sid" = "$sid2" ] || fo_fail "session id changed: $sid -> $sid2"

wait "$spid"
src=$?
wait "$rpid"
echo "record sender: $(cat "$D/rec.send.json")"
echo "record receiver: $(jq -c . "$D/rec.json")"
[ "$src" = 0 ] || fo_fail "the inner session failed (sender exit $src)"
jq -e '.eof and (.reset | not) and .bad == 0 and .error == ""' "$D/rec.json" >/dev/null ||
	fo_fail "the inner session saw a reset, a missing or repeated record"
fo_ok "the inner TCP session resumed: $(jq .records "$D/rec.json") records in order, longest gap $(jq .max_gap_ms "$D/rec.json") ms"
fo_pass
