#!/usr/bin/env bash
# udp-vtun: real UDP VPNs over the UDP datagram channel (Mode = udp), three paths.
#   VTun (proto udp): its TCP handshake goes over link 1 through socat; each vtund then
#   binds its UDP socket to the address and port of its end of that TCP connection, so the
#   client's datagrams go to 127.0.0.1:5000, where the client mptun's UdpListen is, and the
#   server mptun's UdpTarget is the server vtund's 10.77.1.2:5000 (nat_hack server: it
#   answers whoever sends first). Ping and a TCP transfer (sha256) through the VTun device.
#   OpenVPN (static key, UDP): the same through a second pair of mptun daemons.
# Both must move their datagrams through mptun: its session counters are checked.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need vtund openvpn jq socat ping unshare sha256sum
topo_init
fail() {
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log; do echo "== $f"; tail -15 "$f"; done
	exit 1
}
IP=$(command -v ip)

topo_ns c
topo_ns s
for i in 1 2 3; do topo_link c s "$i"; done
mpt_keys

# udp_pair NAME PORT SERVER-LINES CLIENT-LINES: a pair of Mode = udp daemons on PORT
udp_pair() {
	local n=$1 port=$2 i
	printf '[Interface]\nMode = udp\nListen = 0.0.0.0:%s\n%s\nPrivateKey = %s\nControlSocket = %s\n[Peer]\nPublicKey = %s\n' \
		"$port" "$3" "$MPT_SPRIV" "$TOPO_DIR/s$n.conf.sock" "$MPT_CPUB" >"$TOPO_DIR/s$n.conf"
	printf '[Interface]\nMode = udp\n%s\nPrivateKey = %s\nControlSocket = %s\n[Peer]\nPublicKey = %s\n' \
		"$4" "$MPT_CPRIV" "$TOPO_DIR/c$n.conf.sock" "$MPT_SPUB" >"$TOPO_DIR/c$n.conf"
	for i in 1 2 3; do
		printf '[Path]\nName = p%s\nInterface = l%s\nEndpoint = 10.77.%s.2:%s\n' \
			"$i" "$i" "$i" "$port" >>"$TOPO_DIR/c$n.conf"
	done
	mpt_start s "$TOPO_DIR/s$n.conf"
	mpt_start c "$TOPO_DIR/c$n.conf"
	mpt_wait_up c "$TOPO_DIR/c$n.conf" 3 || fail "$n: paths not up"
}

# tx_packets NS NAME: datagrams the session of that daemon has sent
tx_packets() { mpt_json "$1" "$TOPO_DIR/$2.conf" | jq '.session.tx_packets'; }

# transfer NS-ADDR PORT: 4 MB from c to s over TCP through a VPN, sha256 compared
transfer() {
	head -c 4000000 /dev/urandom >"$TOPO_DIR/src.bin"
	rm -f "$TOPO_DIR/dst.bin"
	topo_bg s socat -u TCP-LISTEN:"$2",bind="$1",reuseaddr OPEN:"$TOPO_DIR/dst.bin",creat,trunc
	sleep 0.3
	topo_exec c timeout 20 socat -u FILE:"$TOPO_DIR/src.bin" TCP:"$1":"$2" || return 1
	for _ in $(seq 50); do
		[ "$(stat -c %s "$TOPO_DIR/dst.bin" 2>/dev/null || echo 0)" -ge 4000000 ] && break
		sleep 0.1
	done
	[ "$(sha256sum <"$TOPO_DIR/src.bin")" = "$(sha256sum <"$TOPO_DIR/dst.bin")" ]
}

# wait_ping NS ADDR: until the VPN passes a ping (10 s)
wait_ping() {
	for _ in $(seq 50); do
		topo_exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

echo "# VTun, proto udp, over the channel"
udp_pair 1 7001 "UdpListen = 127.0.0.1:6001
UdpTarget = 10.77.1.2:5000" "UdpListen = 127.0.0.1:5000"
for side in s c; do
	if [ $side = s ]; then a=10.66.0.1; else a=10.66.0.2; fi
	cat >"$TOPO_DIR/vtund-$side.conf" <<CONF
options {
  port 5000;
  ip $IP;
  timeout 10;
}
mpt {
  passwd mptun-test;
  type tun;
  proto udp;
  nat_hack server;
  compress no;
  encrypt no;
  keepalive yes;
  stat no;
  persist no;
  device vtmpt;
  up {
    ip "link set %% up mtu 1400";
    ip "addr add $a/30 dev %%";
  };
}
CONF
done
# the device exists and is up before vtund attaches to it: a datagram that arrives before
# vtund's own up commands have run would otherwise meet a down device (EIO) and end vtund
for side in s c; do
	topo_exec $side ip tuntap add dev vtmpt mode tun
	topo_exec $side ip link set vtmpt up
done
# vtund writes pid and lock files under /run: give it a private one
vtund_bg() {
	local ns=$1
	shift
	topo_bg "$ns" unshare -m sh -c 'mount -t tmpfs mptun-test /run && mkdir -p /run/lock/vtund &&
		exec "$@"' vtund "$@"
}
vtund_bg s vtund -n -s -f "$TOPO_DIR/vtund-s.conf" 2>"$TOPO_DIR/vtund-s.log"
topo_bg c socat TCP-LISTEN:5000,bind=127.0.0.1,reuseaddr,fork TCP:10.77.1.2:5000
sleep 0.3
before=$(tx_packets c c1)
vtund_bg c vtund -n -f "$TOPO_DIR/vtund-c.conf" mpt 127.0.0.1 2>"$TOPO_DIR/vtund-c.log"
wait_ping c 10.66.0.1 || fail "no ping through VTun"
topo_exec c ping -c 5 -i 0.1 -W 2 10.66.0.1 >/dev/null || fail "VTun ping c -> s"
topo_exec s ping -c 5 -i 0.1 -W 2 10.66.0.2 >/dev/null || fail "VTun ping s -> c"
transfer 10.66.0.1 6100 || fail "TCP transfer through VTun"
n=$(( $(tx_packets c c1) - before ))
echo "VTun: ping both ways, 4 MB over TCP intact; $n datagrams through the client's mptun"
[ "$n" -gt 2000 ] || fail "only $n datagrams went through mptun"

echo "# OpenVPN, static key, UDP, over a second channel"
udp_pair 2 7002 "UdpTarget = 127.0.0.1:1194" "UdpListen = 127.0.0.1:1195"
openvpn --genkey secret "$TOPO_DIR/ovpn.key" 2>/dev/null || openvpn --genkey --secret "$TOPO_DIR/ovpn.key"
ovpn_common=(--dev ovmpt --dev-type tun --proto udp --secret "$TOPO_DIR/ovpn.key"
	--cipher AES-256-CBC --auth SHA256 --tun-mtu 1400 --verb 3 --ping 1 --connect-retry 1)
topo_bg s openvpn "${ovpn_common[@]}" --local 127.0.0.1 --lport 1194 --float \
	--ifconfig 10.67.0.1 10.67.0.2 >"$TOPO_DIR/ovpn-s.log" 2>&1
before=$(tx_packets c c2)
topo_bg c openvpn "${ovpn_common[@]}" --remote 127.0.0.1 1195 --nobind \
	--ifconfig 10.67.0.2 10.67.0.1 >"$TOPO_DIR/ovpn-c.log" 2>&1
wait_ping c 10.67.0.1 || fail "no ping through OpenVPN"
topo_exec s ping -c 5 -i 0.1 -W 2 10.67.0.2 >/dev/null || fail "OpenVPN ping s -> c"
transfer 10.67.0.1 6101 || fail "TCP transfer through OpenVPN"
n=$(( $(tx_packets c c2) - before ))
echo "OpenVPN: ping both ways, 4 MB over TCP intact; $n datagrams through the client's mptun"
[ "$n" -gt 2000 ] || fail "only $n datagrams went through mptun"
echo "PASS"
