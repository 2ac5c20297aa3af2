#!/usr/bin/env bash
# ops-reload: SIGHUP and `mptun reload` change paths under a running transfer.
# An iperf3 flow crosses mp0 over three unconstrained links; mid-flow a SIGHUP removes p1
# and adds p3, and the flow goes on without a stall and completes; `show` tells the change;
# the session is never reset. Then `mptun reload` restarts a changed path alone (p2 gets
# two connections, p3 is untouched). A file that does not parse is refused by SIGHUP and
# by `mptun reload` (exit 1, file:line), and the running paths carry on.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq ping
topo_init
fail() {
	echo "FAIL: $*"
	echo "--- client log"; cat "$C.log"
	exit 1
}

topo_ns c
topo_ns s
topo_link c s 1
topo_link c s 2
topo_link c s 3
C=$TOPO_DIR/c.conf
S=$TOPO_DIR/s.conf
mpt_keys
mpt_server_conf "$S"
mpt_client_conf "$C" 2
mpt_start s "$S"
mpt_start c "$C"
CPID=${TOPO_PIDS[-1]}
mpt_wait_up c "$C" 2
paths() { mpt_json c "$C" | jq -r '[.paths[].name] | join(",")'; }
[ "$(paths)" = "p1,p2" ] || fail "paths at start: $(paths)"

echo "# SIGHUP during an iperf3 flow: p1 removed, p3 added"
topo_bg s iperf3 -s -1 >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"
topo_exec c iperf3 -c 10.99.0.1 -t 6 -i 0.5 -J >"$TOPO_DIR/iperf.json" 2>&1 &
IPERF=$!
sleep 2
tx0=$(mpt_json c "$C" | jq '.session.tx_bytes')
# drop_path NAME < FILE: FILE without the [Path] section named NAME
drop_path() {
	awk -v n="$1" '/^\[/ { flush(); } { buf = buf $0 "\n"; if ($0 == "Name = " n) drop = 1 }
		function flush() { if (!drop) printf "%s", buf; buf = ""; drop = 0 }
		END { flush() }'
}
# the new file: paths p2 and p3 (the same control socket)
mpt_client_conf "$C.new" 3
sed "s|$C.new.sock|$C.sock|" "$C.new" | drop_path p1 >"$C"
grep -q '^Name = p1$' "$C" && fail "test bug: p1 still in the new file"
kill -HUP "$CPID"
mpt_wait_up c "$C" 2 5 || fail "p2 and p3 not up after the reload"
[ "$(paths)" = "p2,p3" ] || fail "paths after SIGHUP: $(paths)"
wait "$IPERF" || fail "iperf3 failed: $(cat "$TOPO_DIR/iperf.json")"
jq -e '.end.sum_received.bytes > 0' "$TOPO_DIR/iperf.json" >/dev/null || fail "iperf3: nothing received"
stalls=$(jq '[.intervals[] | select(.sum.bytes == 0)] | length' "$TOPO_DIR/iperf.json")
mbit=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$TOPO_DIR/iperf.json")
echo "iperf3: $mbit Mbit/s over 6 s, $stalls empty half-second intervals"
[ "$stalls" -eq 0 ] || fail "the flow stalled for $stalls intervals around the reload"
js=$(mpt_json c "$C")
echo "$js" | jq -e --argjson t "$tx0" '.session.tx_bytes > $t' >/dev/null || fail "session counters went back"
echo "$js" | jq -e '.paths[] | select(.name == "p3") | .tx_bytes > 0' >/dev/null ||
	fail "p3 carried nothing"
grep -q "path p1: removed by reload" "$C.log" || fail "no log line for the removal"
grep -q "path p3: added by reload" "$C.log" || fail "no log line for the addition"
grep -q "peer restarted" "$S.log" "$C.log" && fail "the session was reset"
topo_exec c "$MPTUN" show -s "$C.sock" >"$TOPO_DIR/show.txt"
grep -q '^  p3 ' "$TOPO_DIR/show.txt" && ! grep -q '^  p1 ' "$TOPO_DIR/show.txt" ||
	fail "show does not reflect the reload: $(cat "$TOPO_DIR/show.txt")"

echo "# mptun reload: a changed path restarts alone"
sleep 1.2 # up_seconds of p3 grows past 1
sed -i '/^Name = p2$/a Connections = 2' "$C"
out=$(topo_exec c "$MPTUN" reload -s "$C.sock") || fail "reload exit $?: $out"
echo "$out"
echo "$out" | grep -q "reloaded: 1 kept, 0 added, 0 removed, 1 changed" || fail "reload said: $out"
for i in $(seq 50); do
	n=$(mpt_json c "$C" | jq '.paths[] | select(.name == "p2") | [.connections[] | select(.state == "up")] | length')
	[ "$n" = 3 ] && break
	sleep 0.1
done
[ "$n" = 3 ] || fail "p2 has $n connections up, not 3 (2 and its express one)"
mpt_json c "$C" | jq -e '.paths[] | select(.name == "p3") | .up_seconds >= 1' >/dev/null ||
	fail "p3 was restarted too"
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping after the reload"

echo "# a broken file is refused; the running paths carry on"
cp "$C" "$C.good"
printf '[Path]\nName = p4\nConnections = lots\n' >>"$C"
kill -HUP "$CPID"
for i in $(seq 30); do grep -q "reload refused" "$C.log" && break; sleep 0.1; done
grep "reload refused" "$C.log" | grep -q "c.conf:[0-9]*:" || fail "no refusal log line with file:line"
if out=$(topo_exec c "$MPTUN" reload -s "$C.sock" 2>&1); then
	fail "mptun reload accepted a broken file: $out"
fi
echo "refused: $out"
echo "$out" | grep -q "^error: .*c.conf:[0-9]*:" || fail "mptun reload said: $out"
[ "$(paths)" = "p2,p3" ] || fail "paths after a refused reload: $(paths)"
kill -0 "$CPID" || fail "the daemon died"
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping after a refused reload"

echo "# a template path (Interface = *) added by a reload discovers the interfaces there"
cp "$C.good" "$C"
printf '[Path]\nName = auto\nInterface = *\nEndpoint = 10.77.3.2:7000\n' >>"$C"
out=$(topo_exec c "$MPTUN" reload -s "$C.sock") || fail "reload: $out"
for i in $(seq 50); do
	mpt_json c "$C" | jq -e '.paths[] | select(.name == "auto-l3" and .state == "up")' >/dev/null && break
	sleep 0.1
done
mpt_json c "$C" | jq -e '.paths[] | select(.name == "auto-l3" and .state == "up")' >/dev/null ||
	fail "auto-l3 not discovered after the reload: $(paths)"
sleep 1.1
out=$(topo_exec c "$MPTUN" reload -s "$C.sock") || fail "reload: $out"
echo "$out" | grep -q "reloaded: 3 kept, 0 added, 0 removed, 0 changed" || fail "reload said: $out"
mpt_json c "$C" | jq -e '.paths[] | select(.name == "auto-l3") | .up_seconds >= 1' >/dev/null ||
	fail "an unchanged reload restarted a discovered path"
echo "paths: $(paths)"
echo "PASS"
