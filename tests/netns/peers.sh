#!/usr/bin/env bash
# peers: one listening daemon, several clients, each its own [Peer] with its key and
# AllowedIPs.
# Clients a (one path), b (two paths) and c (one path) each ping the server; a pings b
# through the server (a hub: the server's kernel forwards between them); c's packets from
# a source outside its AllowedIPs are dropped and counted as c's, and the server's packets
# to an address no peer holds are counted as unrouted. While a verified transfer and a
# ping run on a, a reload adds peer d (which then comes up) and removes c (whose
# connections close): a loses nothing. A second client with b's key (e) is refused while
# b lives, both logs say so (at most once per 10 s), and b never notices; once b stops, e
# takes the key. A client that restarts gets its fresh session at once.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq ping socat sha256sum
topo_init
fail() { echo "FAIL: $*"; exit 1; }

topo_ns s
for n in a b c d e; do topo_ns $n; done
topo_link a s 1 rate 50
topo_link b s 2
topo_link b s 3
topo_link c s 4
topo_link d s 5
topo_link e s 6
topo_exec s sysctl -qw net.ipv4.ip_forward=1
topo_exec s sysctl -qw net.ipv6.conf.all.forwarding=1

SPRIV=$("$MPTUN" genkey)
SPUB=$(echo "$SPRIV" | "$MPTUN" pubkey)
declare -A PRIV PUB
for n in a b c d; do
	PRIV[$n]=$("$MPTUN" genkey)
	PUB[$n]=$(echo "${PRIV[$n]}" | "$MPTUN" pubkey)
done
declare -A INNER=([a]=11 [b]=12 [c]=13 [d]=14)

# server_conf FILE PEER...: the server with a [Peer] for each named client
server_conf() {
	local f=$1 n
	shift
	{
		echo "[Interface]"
		echo "Address = 10.99.0.1/24"
		echo "Address = fd99::1/64"
		echo "Listen = 0.0.0.0:7000"
		echo "PrivateKey = $SPRIV"
		echo "ControlSocket = $TOPO_DIR/s.conf.sock"
		for n in "$@"; do
			echo "[Peer]"
			echo "Name = site-$n"
			echo "PublicKey = ${PUB[$n]}"
			echo "AllowedIPs = 10.99.0.${INNER[$n]}/32, fd99::${INNER[$n]}/128"
		done
	} >"$f"
}

# client_conf NAME KEYOF LINK...: client NAME (inner address and key of KEYOF) on links
client_conf() {
	local n=$1 k=$2 l
	shift 2
	{
		echo "[Interface]"
		echo "Address = 10.99.0.${INNER[$k]}/24"
		echo "Address = fd99::${INNER[$k]}/64"
		echo "PrivateKey = ${PRIV[$k]}"
		echo "ControlSocket = $TOPO_DIR/$n.conf.sock"
		echo "[Peer]"
		echo "PublicKey = $SPUB"
		for l in "$@"; do
			echo "[Path]"
			echo "Name = l$l"
			echo "Interface = l$l"
			echo "Endpoint = 10.77.$l.2:7000"
		done
	} >"$TOPO_DIR/$n.conf"
}

S=$TOPO_DIR/s.conf
server_conf "$S" a b c
"$MPTUN" check "$S" >/dev/null || fail "server config refused"
client_conf a a 1
client_conf b b 2 3
client_conf c c 4
client_conf d d 5
client_conf e b 6 # b's key, another instance
mpt_start s "$S"
topo_wait_listen s 7000 || fail "server not listening"
for n in a b c; do mpt_start $n "$TOPO_DIR/$n.conf"; done
mpt_wait_up a "$TOPO_DIR/a.conf" 1
mpt_wait_up b "$TOPO_DIR/b.conf" 2
mpt_wait_up c "$TOPO_DIR/c.conf" 1

echo "# every client reaches the server, over IPv4 and IPv6"
for n in a b c; do
	topo_exec $n ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "$n cannot ping the server"
	topo_exec $n ping -6 -c 2 -i 0.1 -W 2 fd99::1 >/dev/null || fail "$n cannot ping fd99::1"
	topo_exec s ping -c 2 -i 0.1 -W 2 10.99.0.${INNER[$n]} >/dev/null ||
		fail "the server cannot ping $n"
done
json=$(mpt_json s "$S")
echo "$json" | jq -e '.peers | length == 3' >/dev/null || fail "show --json: not 3 peers"
echo "$json" | jq -e '[.peers[] | select(.session.state == "up")] | length == 3' >/dev/null ||
	fail "not every peer up: $(echo "$json" | jq -c '[.peers[] | {name, s: .session.state}]')"
echo "$json" | jq -e '[.paths[] | select(.peer == "site-b")] | length == 2' >/dev/null ||
	fail "site-b does not have its two paths"
echo "$json" | jq -e '.peers[] | select(.name == "site-a") | .allowed_ips == ["10.99.0.11/32","fd99::11/128"]' >/dev/null ||
	fail "site-a's allowed_ips: $(echo "$json" | jq -c '.peers[0].allowed_ips')"
topo_exec s "$MPTUN" show -s "$S.sock" | grep -q "^peer site-b: session up" || fail "show: no line for site-b"
out=$(topo_exec s "$MPTUN" show -s "$S.sock" --peer site-c)
echo "$out" | grep -q "^peer site-c" || fail "show --peer site-c: $out"
echo "$out" | grep -q "site-a" && fail "show --peer site-c lists site-a"
topo_exec s "$MPTUN" show -s "$S.sock" --peer nobody >/dev/null 2>&1 && fail "show --peer nobody succeeded"
topo_exec s "$MPTUN" show -s "$S.sock" --prometheus | grep -q '^mptun_session_up{interface="mp0",peer="site-b"} 1' ||
	fail "prometheus: no peer label"

echo "# a reaches b through the server (hub), and the counters say whose bytes they were"
topo_exec a ping -c 5 -i 0.1 -W 2 10.99.0.12 >/dev/null || fail "a cannot ping b through the server"
json=$(mpt_json s "$S")
echo "$json" | jq -e '.peers[] | select(.name == "site-b") | .session.tx_packets >= 5' >/dev/null ||
	fail "the server sent b nothing"

echo "# c's packets from a source outside its AllowedIPs are dropped and counted"
topo_exec c ip addr add 10.99.7.7/32 dev mp0
src0=$(mpt_json s "$S" | jq '.peers[] | select(.name == "site-c") | .session.drops.source')
topo_exec c ping -c 5 -i 0.1 -W 1 -I 10.99.7.7 10.99.0.1 >/dev/null 2>&1 && fail "a spoofed ping got an answer"
src1=$(mpt_json s "$S" | jq '.peers[] | select(.name == "site-c") | .session.drops.source')
echo "site-c source drops: $src0 -> $src1"
[ "$src1" -ge $((src0 + 5)) ] || fail "spoofed packets not counted ($src0 -> $src1)"
un0=$(mpt_json s "$S" | jq '.unrouted')
topo_exec s ip route add 10.99.9.0/24 dev mp0
topo_exec s ping -c 3 -i 0.1 -W 1 10.99.9.9 >/dev/null 2>&1 || true
un1=$(mpt_json s "$S" | jq '.unrouted')
echo "unrouted: $un0 -> $un1"
[ "$un1" -ge $((un0 + 3)) ] || fail "packets to no peer not counted as unrouted"

echo "# a reload adds d and removes c while a transfers: a loses nothing"
head -c 20000000 /dev/urandom >"$TOPO_DIR/blob"
want=$(sha256sum <"$TOPO_DIR/blob" | cut -d' ' -f1)
topo_bg s sh -c "socat -u TCP-LISTEN:9000,reuseaddr - | sha256sum >'$TOPO_DIR/got'"
topo_wait_listen s 9000 || fail "no sink"
# (not "source": the kernel's own IPv6 link-local packets, MLD and the like, have a source
# no AllowedIPs hold, and are dropped so at any time)
drops_a() { mpt_json s "$S" | jq -c '.peers[] | select(.name == "site-a") | .session.drops | del(.source)'; }
a0=$(drops_a)
topo_exec a socat -u "OPEN:$TOPO_DIR/blob" TCP:10.99.0.1:9000 &
xfer=$!
topo_exec a ping -c 40 -i 0.05 -W 2 10.99.0.1 >"$TOPO_DIR/a.ping" &
pinger=$!
sleep 0.5
server_conf "$S" a b d
msg=$(topo_exec s "$MPTUN" reload -s "$S.sock") || fail "reload refused: $msg"
echo "$msg"
echo "$msg" | grep -q "1 added, 1 removed" || fail "reload summary: $msg"
mpt_start d "$TOPO_DIR/d.conf"
mpt_wait_up d "$TOPO_DIR/d.conf" 1 || fail "d did not come up after the reload"
topo_exec d ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "d cannot ping the server"
for i in $(seq 50); do
	[ "$(mpt_json c "$TOPO_DIR/c.conf" | jq '[.paths[] | select(.state == "up")] | length')" = 0 ] && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "c, removed by the reload, is still up"
wait "$pinger" || fail "a's ping lost replies during the reload: $(tail -2 "$TOPO_DIR/a.ping")"
wait "$xfer" || fail "a's transfer failed"
for i in $(seq 50); do [ -s "$TOPO_DIR/got" ] && break; sleep 0.1; done
[ "$(cut -d' ' -f1 "$TOPO_DIR/got")" = "$want" ] || fail "a's transfer arrived damaged"
a1=$(drops_a)
[ "$a1" = "$a0" ] || fail "site-a dropped packets during the reload ($a0 -> $a1)"
grep -q "site-a.*restarted" "$S.log" && fail "site-a's session was reset by the reload"
grep -q "peer site-c: removed by reload" "$S.log" || fail "no log line for the removal"

echo "# a second live client with b's key is refused; b never notices"
topo_exec b ping -c 60 -i 0.05 -W 2 10.99.0.1 >"$TOPO_DIR/b.ping" &
pinger=$!
mpt_start e "$TOPO_DIR/e.conf"
for i in $(seq 50); do
	grep -q "refused by the server: another live client is using this key" "$TOPO_DIR/e.conf.log" && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "e does not say it was refused: $(tail -3 "$TOPO_DIR/e.conf.log")"
sleep 2
wait "$pinger" || fail "b lost replies while e tried its key: $(tail -2 "$TOPO_DIR/b.ping")"
n=$(grep -c "peer site-b: refused a connection" "$S.log" || true)
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "server: $n refusal lines in ~3 s (want 1, at most one per 10 s)"
n=$(grep -c "refused by the server" "$TOPO_DIR/e.conf.log" || true)
[ "$n" -le 2 ] || fail "e logged its refusal $n times in ~3 s"
grep -q "site-b.*restarted" "$S.log" && fail "e's attempts reset b's session"
mpt_json s "$S" | jq -e '.peers[] | select(.name == "site-b") | .refused >= 1' >/dev/null ||
	fail "refusals not counted"
mpt_stop "$TOPO_DIR/b.conf"
mpt_wait_up e "$TOPO_DIR/e.conf" 1 15 || fail "e did not take the key once b stopped"
topo_exec e ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "e cannot ping the server"

echo "# a client that restarts gets a fresh session at once"
mpt_stop "$TOPO_DIR/a.conf"
t0=$(date +%s%N)
mpt_start a "$TOPO_DIR/a.conf"
mpt_wait_up a "$TOPO_DIR/a.conf" 1 5 || fail "a did not come back after its restart"
topo_exec a ping -c 2 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "a cannot ping after its restart"
echo "a back in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "ok"
