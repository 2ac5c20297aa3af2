#!/bin/bash
# reflect.sh: `mptun reflect` between network namespaces.
#
#   c --l1-- r1 --l2-- r2 --l3-- s      (r1 and r2 also route, so c reaches s directly)
#
# iperf3 through one reflector and through two chained ones (both directions); a file sent
# through the chain arrives byte for byte; an echo through one hop comes back whole (half
# close passed both ways), with splice and with --no-splice; --chaos 64 cuts each
# connection after exactly 64 KiB; --max-conns 1 refuses the second connection and says so
# on SIGUSR1; SIGTERM stops cleanly.
set -u
. "$top_srcdir/tests/lib/topo.sh"
topo_need iperf3 socat sha256sum ss

REFLECT=("$top_builddir/mptun" reflect)

topo_init
D=$TOPO_DIR
fail() { echo "FAIL: $*"; for f in "$D"/*.log; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }

topo_ns c; topo_ns r1; topo_ns r2; topo_ns s
topo_link c r1 1 || fail "link 1"
topo_link r1 r2 2 || fail "link 2"
topo_link r2 s 3 || fail "link 3"
for n in r1 r2; do topo_exec $n sysctl -qw net.ipv4.ip_forward=1; done
topo_exec c ip route add default via 10.77.1.2
topo_exec r1 ip route add 10.77.3.0/24 via 10.77.2.2
topo_exec r2 ip route add 10.77.1.0/24 via 10.77.2.1
topo_exec s ip route add default via 10.77.3.1
topo_exec c ping -c1 -W2 10.77.3.2 >/dev/null || fail "no route c -> s"

# reflector NAME NS ARGS...: start one, its pid in $RPID, its log in $D/NAME.log
reflector() {
	local name=$1 ns=$2
	shift 2
	topo_bg "$ns" "${REFLECT[@]}" "$@" 2>"$D/$name.log"
	RPID=$!
}

# --- iperf3: one hop, two hops, both directions ---
topo_bg s iperf3 -s -p 5201 2>/dev/null >/dev/null
topo_wait_listen s 5201 || fail "no iperf3 server"
reflector hop1 r1 10.77.1.2:7001 10.77.3.2:5201
reflector chain1 r1 10.77.1.2:7002 10.77.2.2:7003
reflector chain2 r2 10.77.2.2:7003 10.77.3.2:5201
topo_wait_listen r1 7001 7002 && topo_wait_listen r2 7003 || fail "a reflector does not listen"
for port in 7001 7002; do
	for rev in "" -R; do
		out=$(topo_exec c iperf3 -c 10.77.1.2 -p $port -t 2 $rev -J 2>&1) ||
			fail "iperf3 via port $port $rev: $out"
		mbit=$(printf '%s' "$out" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))' 2>/dev/null)
		[ -n "$mbit" ] && [ "$mbit" -gt 10 ] || fail "iperf3 via $port $rev: $mbit Mbit/s"
		echo "iperf3 via $([ $port = 7001 ] && echo one hop || echo two hops) ${rev:-(forward)}: $mbit Mbit/s"
	done
done

# --- a file through the chain, byte for byte ---
head -c 20000000 /dev/urandom >"$D/in.bin"
reflector chain3 r1 10.77.1.2:7004 10.77.2.2:7005
reflector chain4 r2 10.77.2.2:7005 10.77.3.2:6000
topo_bg s socat -u TCP-LISTEN:6000,reuseaddr OPEN:"$D/out.bin",creat,trunc
topo_wait_listen s 6000 && topo_wait_listen r1 7004 && topo_wait_listen r2 7005 || fail "a listener is missing"
topo_exec c socat -u OPEN:"$D/in.bin" TCP:10.77.1.2:7004 || fail "sending the file"
for _ in $(seq 50); do [ "$(stat -c %s "$D/out.bin" 2>/dev/null)" = 20000000 ] && break; sleep 0.1; done
[ "$(sha256sum <"$D/in.bin")" = "$(sha256sum <"$D/out.bin")" ] || fail "file differs after two hops"
echo "20 MB file through two hops: identical"

# --- echo through one hop: the client's EOF reaches the server, the server's comes back ---
head -c 5000000 /dev/urandom >"$D/echo.bin"
topo_bg s socat TCP-LISTEN:6001,reuseaddr,fork EXEC:cat
topo_wait_listen s 6001 || fail "no sink"
reflector echo1 r1 10.77.1.2:7006 10.77.3.2:6001
reflector echo2 r1 --no-splice 10.77.1.2:7007 10.77.3.2:6001
topo_wait_listen r1 7006 7007 || fail "a reflector does not listen"
for port in 7006 7007; do
	timeout 20 ip netns exec "$(topo_nsname c)" socat -t 10 - TCP:10.77.1.2:$port \
		<"$D/echo.bin" >"$D/echo.out" || fail "echo via $port"
	cmp -s "$D/echo.bin" "$D/echo.out" || fail "echo via $port differs"
done
echo "5 MB echo with half-close, splice and --no-splice: identical"

# --- --chaos 64: every connection is cut after exactly 64 KiB ---
reflector chaos r1 --chaos 64 10.77.1.2:7010 10.77.3.2:6002
topo_bg s socat -u TCP-LISTEN:6002,reuseaddr,fork SYSTEM:"wc -c >>$D/chaos.txt"
topo_wait_listen r1 7010 && topo_wait_listen s 6002 || fail "a listener is missing"
for _ in 1 2 3; do
	head -c 1000000 /dev/zero | topo_exec c socat -u - TCP:10.77.1.2:7010 2>/dev/null
done
for _ in $(seq 50); do [ "$(wc -l <"$D/chaos.txt" 2>/dev/null)" = 3 ] && break; sleep 0.1; done
[ "$(sort -u "$D/chaos.txt" | tr -d ' ')" = 65536 ] && [ "$(wc -l <"$D/chaos.txt")" = 3 ] ||
	fail "chaos: received $(tr '\n' ' ' <"$D/chaos.txt")"
kill -USR1 $RPID
sleep 0.2
grep -q 'cut 3;' "$D/chaos.log" || fail "chaos: stats do not count 3 cuts"
echo "--chaos 64: 3 connections cut at 65536 bytes each"

# --- --max-conns 1: the second connection is closed at once and counted ---
topo_bg s socat TCP-LISTEN:6003,reuseaddr,fork SYSTEM:"echo hello; sleep 3"
reflector limit r1 --max-conns 1 10.77.1.2:7020 10.77.3.2:6003
LPID=$RPID
topo_wait_listen s 6003 && topo_wait_listen r1 7020 || fail "a listener is missing"
topo_bg c socat -u TCP:10.77.1.2:7020 OPEN:"$D/first.txt",creat,trunc
for _ in $(seq 50); do grep -q hello "$D/first.txt" 2>/dev/null && break; sleep 0.1; done
grep -q hello "$D/first.txt" || fail "max-conns: the first connection got nothing"
t0=$(date +%s%N)
out=$(timeout 5 ip netns exec "$(topo_nsname c)" socat -u TCP:10.77.1.2:7020 - 2>/dev/null)
t1=$(date +%s%N)
[ -z "$out" ] || fail "max-conns: the second connection got '$out'"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "max-conns: the second connection was not closed at once"
kill -USR1 $LPID
sleep 0.2
grep -q 'active 1 total 1 refused 1' "$D/limit.log" || fail "max-conns: stats"
sleep 3.5 # the first one ends; a new one is welcome again
out=$(timeout 5 ip netns exec "$(topo_nsname c)" socat -u TCP:10.77.1.2:7020 - 2>/dev/null)
[ "$out" = hello ] || fail "max-conns: no connection after the first ended"
echo "--max-conns 1: second connection refused and counted, later ones served"

# --- SIGTERM: a clean exit ---
kill -TERM $LPID
for _ in $(seq 50); do kill -0 $LPID 2>/dev/null || break; sleep 0.1; done
wait $LPID
rc=$?
[ $rc = 0 ] || fail "SIGTERM: exit status $rc"
grep -q 'stopping' "$D/limit.log" || fail "SIGTERM: no stop message"
echo "SIGTERM: clean exit"
echo "PASS"
