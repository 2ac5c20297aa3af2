#!/bin/bash
# security-auth: only the configured peer gets a connection, and the server says nothing
# to anyone else (doc/security.md, "No answer to strangers").
#
#   c  --l1--  s      the legitimate client, pinging through mp0 all along
#   x1 --l11-- s      a client with the wrong private key (one the server does not know)
#   x2 --l12-- s      a client with the right key that has the wrong server public key
#   x3 --l13-- s      a client in pre-shared-key mode (the server uses static keys)
#   x4 --l14-- s      a client that asks for Cipher = none (the server runs auto)
#   x5 --l15-- s      raw TCP: random bytes, forged message types, short and silent peers
#
# Each impostor dials repeatedly; none gets a path up, and the server sends none of them a
# single byte of TCP payload (a tcpdump on the server's side of each link, synced by a ping
# pattern, holds no segment with data from port 7000). The raw peers read until the server
# closes and must have received nothing. The server's drops.handshake counts the failures,
# the legitimate client's path never fails and its pings all but never go unanswered.
# Silent to the peer, not to the operator: the server logs each impostor's address and why
# its handshake failed (unknown key, bad MAC, mode mismatch, no common cipher), at the
# default level and at most once per address per 10 s; the impostors' own logs name a key
# (or Cipher) mismatch as the likely cause of "closed by peer".
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/sec.sh"
topo_need jq tcpdump python3 ping od
topo_init
D=$TOPO_DIR
mpt_keys || sec_fail "keys"
LEGIT_CPRIV=$MPT_CPRIV

topo_ns s
topo_ns c
topo_link c s 1 || sec_fail "topology"
for i in 1 2 3 4 5; do
	topo_ns "x$i"
	topo_link "x$i" s "1$i" || sec_fail "topology"
done

mpt_server_conf "$D/s.conf"
mpt_client_conf "$D/c.conf" 1
sec_server s "$D/s.conf"
sec_daemon c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 1 || sec_fail "legitimate tunnel not up"
topo_exec c ping -n -q -c 1 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping through mp0"
hs0=$(sec_drop s "$D/s.conf" handshake)
cf0=$(mpt_json c "$D/c.conf" | jq -r '.paths[0].failures')

# every TCP segment with payload from the server's port, on every link (those to the
# legitimate client prove that the filter sees data), and ICMP for the sync patterns
sec_capture s any "$D/s.pcap" \
	'(tcp src port 7000 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0))
	 or icmp'

# the legitimate peer pings through mp0 during the whole test (10 per second)
topo_bg c ping -n -i 0.1 -w 25 10.99.0.1 >"$D/ping.out"
PING_PID=${TOPO_PIDS[-1]}

# impostor configs: INDEX and [Interface] lines
bad_conf() {
	local i=$1
	shift
	{
		echo "[Interface]"
		echo "Address = 10.99.0.2/24"
		echo "ControlSocket = $D/x$i.conf.sock"
		printf '%s\n' "$@"
		echo "[Path]"
		echo "Name = p1"
		echo "Interface = l1$i"
		echo "Endpoint = 10.77.1$i.2:7000"
	} >"$D/x$i.conf"
}
other=$("$MPTUN" genkey)
bad_conf 1 "PrivateKey = $other" "[Peer]" "PublicKey = $MPT_SPUB"
bad_conf 2 "PrivateKey = $LEGIT_CPRIV" "[Peer]" "PublicKey = $(echo "$other" | "$MPTUN" pubkey)"
bad_conf 3 "PresharedKey = $("$MPTUN" genkey)" "[Peer]"
bad_conf 4 "PrivateKey = $LEGIT_CPRIV" "Cipher = none" "[Peer]" "PublicKey = $MPT_SPUB"
t0=$(date +%s)
for i in 1 2 3 4; do
	sec_daemon "x$i" "$D/x$i.conf"
done

# the raw peer: random 156-byte and 1000-byte messages, msg1-sized garbage behind each
# message type byte, a peer that sends 10 bytes and waits, one that sends nothing
r155=$(od -An -tx1 -N155 /dev/urandom | tr -d ' \n')
topo_exec x5 env RAW_TIMEOUT=12 python3 "$SEC_TOOL" raw 10.77.15.2 7000 \
	rand:156 rand:1000 "hex:01$r155" "hex:02$r155" "hex:03$r155" "hex:00$r155" \
	rand:10+hold hex:+hold >"$D/raw.json" || sec_fail "raw client"
while read -r line; do
	spec=$(echo "$line" | jq -r .spec)
	got=$(echo "$line" | jq -r .received)
	end=$(echo "$line" | jq -r .end)
	secs=$(echo "$line" | jq -r .secs)
	[ "$got" = 0 ] || sec_fail "raw peer ${spec:0:12}: the server sent $got bytes"
	case $end in eof | reset) ;; *) sec_fail "raw peer ${spec:0:12}: $end after $secs s" ;; esac
	echo "ok: raw peer ${spec:0:12}: 0 bytes back, connection closed by the server ($end, $secs s)"
done <"$D/raw.json"
[ "$(wc -l <"$D/raw.json")" = 8 ] || sec_fail "raw client: $(wc -l <"$D/raw.json") results"

# every impostor has tried and failed at least three times by now, or soon
tried() {
	local f
	f=$(mpt_json "x$1" "$D/x$1.conf" 2>/dev/null | jq -r '.paths[0].failures')
	[ "${f:-0}" -ge 3 ]
}
for i in 1 2 3 4; do
	sec_wait 20 tried "$i" || sec_fail "impostor x$i did not try three times"
done
names=("" "wrong private key" "wrong server key" "pre-shared-key mode" "Cipher = none")
for i in 1 2 3 4; do
	j=$(mpt_json "x$i" "$D/x$i.conf")
	st=$(echo "$j" | jq -r '.paths[0].state')
	up=$(echo "$j" | jq -r '.session.state')
	[ "$st" != up ] && [ "$up" != up ] || sec_fail "impostor x$i (${names[$i]}): path $st, session $up"
	echo "ok: impostor x$i (${names[$i]}): path $st after $(echo "$j" | jq -r '.paths[0].failures') tries ($(echo "$j" | jq -r '.paths[0].last_error'))"
done

for i in 1 2 3 4 5; do
	sec_sync s "10.77.1$i.1" "$D/s.pcap"
done
sec_capture_stop
for i in 1 2 3 4 5; do
	n=$(tcpdump -n -r "$D/s.pcap" "tcp and dst host 10.77.1$i.1" 2>/dev/null | wc -l)
	[ "$n" = 0 ] || sec_fail "the server sent $n segments with data to x$i: $(tcpdump -n -r "$D/s.pcap" "tcp and dst host 10.77.1$i.1" 2>/dev/null | head -3)"
done
[ "$(tcpdump -n -r "$D/s.pcap" icmp 2>/dev/null | wc -l)" -ge 5 ] || sec_fail "capture incomplete"
n=$(tcpdump -n -r "$D/s.pcap" "tcp and dst host 10.77.1.1" 2>/dev/null | wc -l)
[ "$n" -gt 10 ] || sec_fail "only $n segments with data to the legitimate client: the capture is blind"
echo "ok: the server sent no TCP payload to any impostor ($n segments to the legitimate client)"

# the server's log: why each impostor failed, rate-limited; the impostors' hint
t1=$(date +%s)
why=("" "unknown key" "bad MAC" "mode mismatch" "no Cipher both sides accept")
for i in 1 2 3 4; do
	n=$(grep -c "warning: listen [^ ]*: handshake from 10\.77\.1$i\.1 failed: ${why[$i]}" "$D/s.conf.log")
	tries=$(mpt_json "x$i" "$D/x$i.conf" | jq -r '.paths[0].failures')
	[ "$n" -ge 1 ] || sec_fail "the server's log does not say that x$i's handshake failed with ${why[$i]}"
	# at most one line per 10 s: the impostor has been dialing for at most t1 - t0 s
	[ "$n" -le $(((t1 - t0) / 10 + 1)) ] ||
		sec_fail "x$i: $n log lines for $tries tries in $((t1 - t0)) s: not rate-limited"
	echo "ok: server log: x$i failed with ${why[$i]}, $n line(s) for $tries tries in $((t1 - t0)) s"
done
for i in 1 2; do
	grep -q "handshake: closed by peer: likely a key mismatch (check PublicKey on both sides)" "$D/x$i.conf.log" ||
		sec_fail "impostor x$i does not name a key mismatch: $(grep -m1 'closed by peer' "$D/x$i.conf.log")"
done
grep -q "handshake: closed by peer: likely a key mismatch (check PresharedKey on both sides)" "$D/x3.conf.log" ||
	sec_fail "impostor x3 does not name a key mismatch: $(grep -m1 'closed by peer' "$D/x3.conf.log")"
grep -q "handshake: closed by peer: likely a key or Cipher mismatch (check PublicKey, Cipher)" "$D/x4.conf.log" ||
	sec_fail "impostor x4 does not name a Cipher mismatch: $(grep -m1 'closed by peer' "$D/x4.conf.log")"
echo "ok: the impostors' logs name a key mismatch as the likely cause"

hs1=$(sec_drop s "$D/s.conf" handshake)
# six raw messages of at least 156 bytes, and three tries of each of the four impostors
[ $((hs1 - hs0)) -ge 18 ] || sec_fail "drops.handshake rose by $((hs1 - hs0)), expected >= 18"
echo "ok: server drops.handshake rose by $((hs1 - hs0))"

# the legitimate tunnel: never failed, answers now, and answered during the test
j=$(mpt_json c "$D/c.conf")
[ "$(echo "$j" | jq -r '.paths[0].failures')" = "$cf0" ] || sec_fail "legitimate path failed: $j"
topo_exec c ping -n -q -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || sec_fail "no ping through mp0 after the test"
kill -INT "$PING_PID" 2>/dev/null
sec_wait 5 grep -q "packets transmitted" "$D/ping.out" || sec_fail "background ping: $(cat "$D/ping.out")"
read -r tx rx <<<"$(awk '/packets transmitted/ { print $1, $4 }' "$D/ping.out")"
[ "$tx" -ge 20 ] && [ $((rx * 100)) -ge $((tx * 95)) ] ||
	sec_fail "legitimate pings during the test: $rx of $tx answered"
echo "ok: legitimate tunnel: $rx of $tx pings answered during the test, path never failed"
exit 0
