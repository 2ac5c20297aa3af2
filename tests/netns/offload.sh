#!/usr/bin/env bash
# offload: mp0 takes checksum offload and TSO, so inner TCP crosses the tunnel in GSO
# packets larger than the MTU, over IPv4 and IPv6, and every byte arrives intact; a flood
# larger than the paths is dropped by the daemon in bytes (drops.full), not queued, and the
# tunnel answers at once afterwards.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq ping socat ethtool sha256sum
topo_init
fail() { echo "FAIL: $*"; exit 1; }

topo_ns c
topo_ns s
topo_link c s 1
topo_link c s 2 rate 50
mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf" "MTU = 1500" "Cipher = chacha20poly1305"
mpt_client_conf "$TOPO_DIR/c.conf" 1 "MTU = 1500" "Cipher = chacha20poly1305"
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 1

echo "# mp0 offers checksum offload and TSO on both sides"
for ns in c s; do
	k=$(topo_exec "$ns" ethtool -k mp0)
	for f in tx-checksumming tcp-segmentation-offload tx-tcp6-segmentation; do
		echo "$k" | grep -q "^[[:space:]]*$f: on" || fail "$ns: mp0 $f is not on"
	done
done

# send N MiB of random bytes from c to ADDR over TCP (4 or 6) through mp0, compare checksums
transfer() {
	local v=$1 addr=$2 mib=$3 port=$4
	head -c $((mib << 20)) /dev/urandom >"$TOPO_DIR/in"
	topo_bg s socat -u "TCP$v-LISTEN:$port,bind=$addr,reuseaddr" "OPEN:$TOPO_DIR/out,creat,trunc"
	topo_wait_listen s "$port" || fail "socat does not listen on $port"
	topo_exec c socat -u "OPEN:$TOPO_DIR/in" "TCP$v:$addr:$port" ||
		fail "transfer to $addr"
	for _ in $(seq 50); do
		[ "$(stat -c %s "$TOPO_DIR/out" 2>/dev/null)" = $((mib << 20)) ] && break
		sleep 0.1
	done
	[ "$(sha256sum <"$TOPO_DIR/in")" = "$(sha256sum <"$TOPO_DIR/out")" ] ||
		fail "$mib MiB to $addr: checksums differ"
}

echo "# TCP over IPv4 and IPv6: packets larger than the MTU, every byte intact"
for addr in 10.99.0.1 fd99::1; do
	b0=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_bytes')
	p0=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
	if [ "$addr" = fd99::1 ]; then transfer 6 "[$addr]" 64 7301; else transfer 4 "$addr" 64 7300; fi
	b1=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_bytes')
	p1=$(mpt_json s "$TOPO_DIR/s.conf" | jq '.session.rx_packets')
	avg=$(((b1 - b0) / (p1 - p0)))
	echo "$addr: 64 MiB intact, $((p1 - p0)) packets of $avg bytes on average (MTU 1500)"
	[ "$avg" -gt 3000 ] || fail "$addr: packets of $avg bytes: no GSO through mp0"
done

echo "# a UDP flood four times the path's rate is dropped in bytes, not queued"
mpt_stop "$TOPO_DIR/c.conf"
mpt_client_conf "$TOPO_DIR/c2.conf" 0 "MTU = 1500" "Cipher = chacha20poly1305"
cat >>"$TOPO_DIR/c2.conf" <<EOF
[Path]
Name = slow
Interface = l2
Endpoint = 10.77.2.2:7000
EOF
mpt_start c "$TOPO_DIR/c2.conf"
mpt_wait_up c "$TOPO_DIR/c2.conf" 1
topo_bg s iperf3 -s -B 10.99.0.1 >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"
f0=$(mpt_json c "$TOPO_DIR/c2.conf" | jq '.session.drops.full')
topo_exec c iperf3 -u -c 10.99.0.1 -b 200M -l 1400 -t 3 >/dev/null || fail "iperf3 -u"
f1=$(mpt_json c "$TOPO_DIR/c2.conf" | jq '.session.drops.full')
q=$(mpt_json c "$TOPO_DIR/c2.conf" | jq '[.paths[].connections[].queued_bytes] | add')
echo "200 Mbit/s of UDP into a 50 Mbit/s path: $((f1 - f0)) packets dropped as full"
[ $((f1 - f0)) -gt 1000 ] || fail "drops.full rose by $((f1 - f0)) only"
[ "$q" -lt $((1 << 20)) ] || fail "$q bytes still queued after the flood"
topo_exec c ping -c 3 -i 0.1 -W 1 10.99.0.1 >/dev/null || fail "no ping after the flood"
echo "PASS"
