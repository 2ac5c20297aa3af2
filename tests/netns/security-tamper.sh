#!/bin/bash
# security-tamper: an active attacker on one path can kill that path's connections one at a
# time, and nothing else (doc/security.md, "No replay, reordering or injection").
#
#   c --l1-- m --l4-- s     path p1 (2 connections) through a man in the middle in m
#   c --l2-- s, c --l3-- s  paths p2 and p3, direct
#
# The man in the middle (tests/tools/sectool.py mitm) parses the client -> server stream
# into msg1 and records. First a msg1 it saw is replayed on a new connection: the server
# must answer nothing. Then, one at a time, it damages the next record on one connection:
# a flipped bit, a truncated record (header adjusted), an impossible length, a forged REKEY
# flag, a record sent twice, and a record of the other connection spliced in. Each time the
# server must close exactly that connection, count it (drops.auth, or drops.malformed for
# the length), and keep the other connection of p1 and the paths p2, p3 untouched, while a
# ping through mp0 runs all along.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/sec.sh"
topo_need jq python3 ping
topo_init
D=$TOPO_DIR
mpt_keys || sec_fail "keys"

topo_ns c
topo_ns m
topo_ns s
topo_link c m 1 && topo_link m s 4 && topo_link c s 2 && topo_link c s 3 || sec_fail "topology"

CTL=$D/mitm.sock
topo_bg m python3 "$SEC_TOOL" mitm 7000 10.77.4.2 7000 "$CTL" 2>"$D/mitm.log"
ctl() { topo_exec m python3 "$SEC_TOOL" ctl "$CTL" "$@"; }
sec_wait 10 test -S "$CTL" || sec_fail "mitm does not start"

mpt_server_conf "$D/s.conf" "Cipher = chacha20poly1305"
# two connections on p1, no express one: each attack takes one, the other must live on
mpt_path_lines 1 "Connections = 2" "Express = no"
mpt_client_conf "$D/c.conf" 3 "Cipher = chacha20poly1305"
sec_server s "$D/s.conf"
sec_daemon c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 3 || sec_fail "tunnel not up"

# p1 has both connections up, through the man in the middle
p1_whole() {
	local n
	n=$(mpt_json c "$D/c.conf" | jq '[.paths[] | select(.name == "p1") | .connections[] |
		select(.state == "up")] | length')
	[ "$n" = 2 ] && [ "$(ctl conns | wc -w)" = 2 ]
}
sec_wait 15 p1_whole || sec_fail "p1 does not get two connections: $(ctl conns)"
topo_exec c ping -n -q -c 1 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping through mp0"
topo_bg c ping -n -i 0.05 -w 40 10.99.0.1 >"$D/ping.out"
PING_PID=${TOPO_PIDS[-1]}

failures() { mpt_json c "$D/c.conf" | jq -r --arg n "$1" '.paths[] | select(.name == $n) | .failures'; }
f2=$(failures p2)
f3=$(failures p3)

# a replayed msg1 gets nothing back, and is counted
[ "$(ctl msg1 "$D/msg1")" = done ] || sec_fail "mitm has no msg1"
[ "$(stat -c %s "$D/msg1")" = 156 ] || sec_fail "msg1 is not 156 bytes"
hs0=$(sec_drop s "$D/s.conf" handshake)
r=$(topo_exec m python3 "$SEC_TOOL" raw 10.77.4.2 7000 "file:$D/msg1+hold")
[ "$(echo "$r" | jq .received)" = 0 ] || sec_fail "replayed msg1 got an answer: $r"
case $(echo "$r" | jq -r .end) in eof | reset) ;; *) sec_fail "replayed msg1: $r" ;; esac
hs1=$(sec_drop s "$D/s.conf" handshake)
[ "$hs1" = $((hs0 + 1)) ] || sec_fail "drops.handshake $hs0 -> $hs1 after the replayed msg1"
echo "ok: replayed msg1: 0 bytes back, closed after $(echo "$r" | jq .secs) s, drops.handshake +1"

# tamper ACTION REASON: damage one record, check who paid for it
tamper() {
	local act=$1 reason=$2 other=$3 before bo after ao ans id ids
	before=$(sec_drop s "$D/s.conf" "$reason")
	bo=$(sec_drop s "$D/s.conf" "$other")
	ids=$(ctl conns)
	ans=$(ctl "$act")
	[ "${ans%% *}" = done ] || sec_fail "$act: mitm says '$ans'"
	id=${ans#done }
	[ "$(ctl closed "$id")" = done ] || sec_fail "$act: the server did not close connection $id"
	after=$(sec_drop s "$D/s.conf" "$reason")
	ao=$(sec_drop s "$D/s.conf" "$other")
	[ "$after" = $((before + 1)) ] || sec_fail "$act: drops.$reason $before -> $after"
	[ "$ao" = "$bo" ] || sec_fail "$act: drops.$other $bo -> $ao"
	# the other connection of p1 lives on
	for i in $ids; do
		[ "$i" = "$id" ] && continue
		ctl conns | grep -qw "$i" || sec_fail "$act: connection $i died with $id"
	done
	[ "$(failures p2)" = "$f2" ] && [ "$(failures p3)" = "$f3" ] ||
		sec_fail "$act: p2 or p3 failed: $(mpt_json c "$D/c.conf")"
	echo "ok: $act: the server closed only that connection, drops.$reason +1"
	sec_wait 15 p1_whole || sec_fail "$act: p1 does not come back: $(ctl conns)"
}
tamper flip auth malformed
tamper truncate auth malformed
tamper badlen malformed auth
tamper rekeyflag auth malformed
tamper dup auth malformed
tamper splice auth malformed

topo_exec c ping -n -q -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping through mp0 after the test"
kill -INT "$PING_PID" 2>/dev/null
sec_wait 5 grep -q "packets transmitted" "$D/ping.out" || sec_fail "background ping: $(cat "$D/ping.out")"
read -r tx rx <<<"$(awk '/packets transmitted/ { print $1, $4 }' "$D/ping.out")"
[ "$tx" -ge 20 ] && [ $((rx * 100)) -ge $((tx * 98)) ] ||
	sec_fail "pings through mp0 during the test: $rx of $tx answered"
j=$(mpt_json c "$D/c.conf")
echo "ok: tunnel carried on: $rx of $tx pings answered, p2 and p3 never failed," \
	"p1 failures $(echo "$j" | jq '.paths[] | select(.name == "p1") | .failures')"
[ -n "${SEC_VERBOSE:-}" ] && cat "$D"/*.log
exit 0
