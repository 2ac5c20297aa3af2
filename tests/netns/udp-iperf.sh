#!/usr/bin/env bash
# udp-iperf: the UDP datagram channel (Mode = udp) over three paths.
# iperf3 -u sends datagrams into the client's UdpListen; they leave the server's mptun
# towards iperf3 -s (UdpTarget), replies find their way back to the last sender. Datagrams
# are counted at both ends (iperf3 and the session counters) and next to none is lost at a
# modest rate (at most 1 %: a busy machine can stall a connection for longer than
# ReorderHold). Then a datagram over the MTU is dropped and counted (drops.oversize), never
# truncated, while datagrams up to the MTU arrive whole; an empty one is carried too.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq socat python3
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }
MTU=4000

topo_ns c
topo_ns s
for i in 1 2 3; do topo_link c s "$i"; done
mpt_keys
cat >"$TOPO_DIR/s.conf" <<CONF
[Interface]
Mode = udp
Listen = 0.0.0.0:7000
UdpTarget = 127.0.0.1:5201
MTU = $MTU
PrivateKey = $MPT_SPRIV
ControlSocket = $TOPO_DIR/s.conf.sock
[Peer]
PublicKey = $MPT_CPUB
CONF
cat >"$TOPO_DIR/c.conf" <<CONF
[Interface]
Mode = udp
UdpListen = 127.0.0.1:5201
MTU = $MTU
PrivateKey = $MPT_CPRIV
ControlSocket = $TOPO_DIR/c.conf.sock
[Peer]
PublicKey = $MPT_SPUB
CONF
for i in 1 2 3; do
	printf '[Path]\nName = p%s\nInterface = l%s\nEndpoint = 10.77.%s.2:7000\n' "$i" "$i" "$i" \
		>>"$TOPO_DIR/c.conf"
done
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 3 || fail "paths not up"

# iperf3 talks TCP for control (straight over link 1) and UDP for the test (through mptun)
topo_bg s iperf3 -s -p 5201 >/dev/null 2>&1
topo_bg c socat TCP-LISTEN:5201,bind=127.0.0.1,reuseaddr,fork TCP:10.77.1.2:5201
sleep 0.5

echo "# iperf3 -u, 20 Mbit/s for 3 s, client to server"
c0=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.tx_packets')
s0=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
out=$(topo_exec c iperf3 -c 127.0.0.1 -p 5201 -u -b 20M -l 1400 -w 2M -t 3 -J) || fail "iperf3 -u"
sent=$(echo "$out" | jq '.end.sum.packets')
lost=$(echo "$out" | jq '.end.sum.lost_packets')
c1=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.tx_packets')
s1=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
echo "iperf3: $sent datagrams, $lost lost; mptun: client sent $((c1 - c0)), server delivered $((s1 - s0))"
[ "$sent" -gt 1000 ] || fail "too few datagrams ($sent)"
drops=$(mpt_json c "$TOPO_DIR/c.conf" | jq -c '.session.drops')
[ "$lost" -le $((sent / 100)) ] || fail "$lost of $sent datagrams lost (client drops: $drops)"
[ $((c1 - c0)) -ge "$sent" ] || fail "client channel carried $((c1 - c0)) < $sent"
[ $((s1 - s0)) -ge $((sent - lost)) ] || fail "server delivered $((s1 - s0)) < $((sent - lost))"
for i in 1 2 3; do
	tx=$(mpt_path_tx c "$TOPO_DIR/c.conf" "p$i")
	[ "$tx" -gt 0 ] || fail "path p$i carried nothing"
done

echo "# iperf3 -u -R: server to client, to the last sender"
out=$(topo_exec c iperf3 -c 127.0.0.1 -p 5201 -u -b 20M -l 1400 -w 2M -t 2 -R -J) || fail "iperf3 -u -R"
sent=$(echo "$out" | jq '.end.sum.packets')
lost=$(echo "$out" | jq '.end.sum.lost_packets')
echo "iperf3 -R: $sent datagrams, $lost lost"
drops=$(mpt_json c "$TOPO_DIR/c.conf" | jq -c '.session.drops')
[ "$sent" -gt 1000 ] && [ "$lost" -le $((sent / 100)) ] ||
	fail "reverse: $lost of $sent lost (client drops: $drops)"

echo "# oversized datagrams are dropped and counted, never truncated"
sleep 0.5 # iperf3 -s has closed its UDP socket
topo_bg s socat -u UDP-RECV:5201,bind=127.0.0.1 OPEN:"$TOPO_DIR/recv",creat,append
sleep 0.3
o0=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.drops.oversize')
# one datagram of exactly $1 bytes (socat would split its input at its buffer size)
send() {
	topo_exec c python3 -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x" * int(sys.argv[1]), ("127.0.0.1", 5201))' "$1"
}
send $((MTU + 1))
send 20000
send "$MTU"
send 1
for _ in $(seq 30); do
	[ "$(stat -c %s "$TOPO_DIR/recv" 2>/dev/null || echo 0)" -ge $((MTU + 1)) ] && break
	sleep 0.1
done
got=$(stat -c %s "$TOPO_DIR/recv")
o1=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.drops.oversize')
echo "received $got bytes (want $((MTU + 1))); drops.oversize $o0 -> $o1"
[ "$got" -eq $((MTU + 1)) ] || fail "received $got bytes, not $((MTU + 1))"
[ "$o1" -eq $((o0 + 2)) ] || fail "oversize drops $o0 -> $o1, expected +2"

echo "# an empty datagram is carried too"
r0=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
d0=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.drops.delivery')
send 0
for _ in $(seq 30); do
	[ "$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')" -gt "$r0" ] && break
	sleep 0.1
done
r1=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
d1=$(mpt_json c "$TOPO_DIR/c.conf" | jq '.session.drops.delivery')
echo "server delivered $r0 -> $r1; client drops.delivery $d0 -> $d1"
[ "$r1" -eq $((r0 + 1)) ] && [ "$d1" -eq "$d0" ] || fail "the empty datagram was not carried"
echo "PASS"
