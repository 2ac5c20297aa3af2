#!/bin/bash
# relay-chain: a path through a chain of two proxies, and paths through plain reflectors.
#
#   c --l1-- a --l51-- b --l52-- s       p1: microsocks on a (SOCKS5, user and password),
#                                            then tinyproxy on b (HTTP CONNECT, Basic auth)
#   c --l2-- r2 --l102-- s               p2: mptun reflect on r2 (tcp://)
#   c --l3-- r3 --l103-- s               p3: xinetd `redirect` on r3 (tcp://), when installed
#   c --l4-- r4 --l104-- s               p4: nftables DNAT on r4 (tcp://), when nft has NAT
#
# Only r4 routes (DNAT needs it); the others reach s only through their relay, and the
# server sees each path arrive from its last relay. First the chain alone: ping and a file
# sent through mp0 arrives byte for byte. Then every path at once (each first link 20
# Mbit/s): another file, with `mptun show --json` showing each path carrying its share.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/lib/relays.sh"
topo_need jq ping socat ss sha256sum microsocks tinyproxy
topo_init
D=$TOPO_DIR
fail() {
	echo "FAIL: $*"
	for f in "$D"/*.log; do echo "--- $f"; tail -n 15 "$f"; done
	exit 1
}

# transfer MBYTES PORT: a random file from c to s through mp0, compared on arrival
transfer() {
	local bytes=$(($1 * 1000000)) port=$2 i
	head -c "$bytes" /dev/urandom >"$D/in.bin"
	rm -f "$D/out.bin"
	topo_bg s socat -u TCP-LISTEN:"$port",bind=10.99.0.1,reuseaddr OPEN:"$D/out.bin",creat,trunc
	topo_wait_listen s "$port" || fail "file sink on s"
	timeout 60 ip netns exec "$(topo_nsname c)" socat -u OPEN:"$D/in.bin" TCP:10.99.0.1:"$port" ||
		fail "sending $1 MB through mp0"
	for i in $(seq 100); do
		[ "$(stat -c %s "$D/out.bin" 2>/dev/null)" = "$bytes" ] && break
		sleep 0.1
	done
	[ "$(sha256sum <"$D/in.bin")" = "$(sha256sum <"$D/out.bin")" ] ||
		fail "$1 MB file differs after mp0 ($(stat -c %s "$D/out.bin" 2>/dev/null) bytes arrived)"
}

# from_relay NAME ADDR: the server has a connection whose peer is ADDR (the last relay)
from_relay() {
	mpt_json s "$D/s.conf" | jq -r '.paths[].connections[].peer' | grep -q "^${2//./\\.}:" ||
		fail "$1: the server sees no connection from $2 ($(mpt_json s "$D/s.conf" |
			jq -c '[.paths[].connections[].peer]'))"
}

topo_ns c
topo_ns s
topo_ns a
topo_ns b
topo_link c a 1 rate 20 && topo_link a b 51 && topo_link b s 52 || fail "chain links"
topo_relay c r2 s 2 rate 20 -- || fail "relay r2"
topo_exec r2 sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

relay_microsocks a 10.77.1.2 1080 alice 'pa@ss' || fail "microsocks on a"
relay_tinyproxy b 10.77.51.2 3128 bob hunter2 || fail "tinyproxy on b"
relay_reflect r2 10.77.2.2:9000 10.77.102.2:7000 || fail "mptun reflect on r2"

N=2
KIND=("" "socks5 -> http chain" "mptun reflect")
PEER=("" 10.77.52.1 10.77.102.1)
mpt_path_lines 1 "Via = socks5://alice:pa%40ss@10.77.1.2:1080, http://bob:hunter2@10.77.51.2:3128" \
	"Endpoint = 10.77.52.2:7000"
CHAIN_LINES=$(printf '%s\n' "${MPT_PATH_EXTRA[1]}")

mpt_keys
mpt_server_conf "$D/s.conf"
relay_client_conf "$D/c.conf" 1
"$MPTUN" check "$D/c.conf" >/dev/null || fail "client config: $("$MPTUN" check "$D/c.conf" 2>&1)"
mpt_start s "$D/s.conf"
topo_wait_listen s 7000 || fail "the server does not listen"
mpt_start c "$D/c.conf"
CPID=$!
mpt_wait_up c "$D/c.conf" 1 15 || fail "the chain path did not come up"
from_relay "chain" 10.77.52.1
echo "# p1 through microsocks, then tinyproxy: up"
topo_exec c ping -c 5 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0 over the chain"
echo "# ping through mp0 over the chain"
transfer 5 6000
echo "# 5 MB through mp0 over the chain: identical"
kill $CPID
wait $CPID 2>/dev/null

# --- every path at once ---
if relay_have xinetd; then
	N=$((N + 1))
	topo_relay c r$N s $N rate 20 -- || fail "relay r$N"
	topo_exec r$N sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	relay_xinetd r$N 10.77.$N.2 9000 10.77.$((N + 100)).2 7000 || fail "xinetd on r$N"
	KIND+=("xinetd redirect")
	PEER+=(10.77.$((N + 100)).1)
else
	echo "skip: xinetd (not installed)"
fi
# the NAT hooks may be missing from the kernel: try them in a scratch table first
if relay_have nft && topo_exec c nft add table ip mptun_probe 2>/dev/null &&
	topo_exec c nft add chain ip mptun_probe p \
		'{ type nat hook prerouting priority dstnat; }' 2>/dev/null; then
	topo_exec c nft delete table ip mptun_probe
	N=$((N + 1))
	topo_relay c r$N s $N rate 20 -- || fail "relay r$N"
	relay_dnat r$N 9000 10.77.$((N + 100)).2 7000 || fail "nftables DNAT on r$N"
	KIND+=("nftables DNAT")
	PEER+=(10.77.$((N + 100)).1)
else
	echo "skip: nftables DNAT (no nft or no NAT in this kernel)"
fi

mpt_path_lines 1 "$CHAIN_LINES"
for i in $(seq 2 $N); do
	mpt_path_lines "$i" "Via = tcp://10.77.$i.2:9000" "Endpoint = 10.77.$((i + 100)).2:7000"
done
relay_client_conf "$D/c.conf" $N
mpt_start c "$D/c.conf"
mpt_wait_up c "$D/c.conf" $N 15 || fail "not every path came up"
for i in $(seq $N); do from_relay "${KIND[$i]}" "${PEER[$i]}"; done
echo "# $N paths up: $(IFS=,; echo "${KIND[*]:1}" | sed 's/,/, /g')"
topo_exec c ping -c 5 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"
before=$(mpt_json c "$D/c.conf")
transfer 40 6001
after=$(mpt_json c "$D/c.conf")
echo "# 40 MB through mp0 over $N paths: identical"
total=0
for i in $(seq $N); do
	d[$i]=$(($(jq ".paths[] | select(.name == \"p$i\") | .tx_bytes" <<<"$after") -
		$(jq ".paths[] | select(.name == \"p$i\") | .tx_bytes" <<<"$before")))
	total=$((total + d[$i]))
done
[ "$total" -ge 40000000 ] || fail "the paths counted only $total bytes"
for i in $(seq $N); do
	share=$((100 * d[$i] / total))
	echo "path p$i via ${KIND[$i]}: ${d[$i]} bytes, $share % (estimate $(jq -r ".paths[] |
		select(.name == \"p$i\") | [.connections[].rate_mbps] | join(\"+\")" <<<"$after") Mbit/s)"
	[ "$share" -ge 10 ] || fail "p$i via ${KIND[$i]} carried only $share %"
done
echo "PASS"
