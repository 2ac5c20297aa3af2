#!/usr/bin/env bash
# discovery: a template path (Interface = *) opens one path per usable interface and follows
# interfaces as they come and go — bondcat's auto-detection, kept up to date by netlink.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq ping
topo_init
fail() {
	echo "FAIL: $*"
	tail -n 15 "$TOPO_DIR/c.conf.log" "$TOPO_DIR/s.conf.log"
	mpt_json c "$TOPO_DIR/c.conf" | jq -c ".session, [.paths[] | {name, state}]"
	exit 1
}

topo_ns c
topo_ns s
# the server answers on one address, reachable over every link
topo_exec s ip addr add 10.98.0.1/32 dev lo
route_link() {
	topo_exec c ip route add 10.98.0.1 via "10.77.$1.2" dev "l$1" metric "$1"
}
for i in 1 2; do topo_link c s "$i"; route_link "$i"; done
mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf"
cat >"$TOPO_DIR/c.conf" <<EOC
[Interface]
Address = 10.99.0.2/24
PrivateKey = $MPT_CPRIV
ControlSocket = $TOPO_DIR/c.conf.sock
[Peer]
PublicKey = $MPT_SPUB
Endpoint = 10.98.0.1:7000
[Path]
Name = auto
Interface = *
EOC
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 2
paths() { mpt_json c "$TOPO_DIR/c.conf" | jq -r '[.paths[] | select(.state == "up") | .name] | sort | join(" ")'; }
echo "up: $(paths)"
[ "$(paths)" = "auto-l1 auto-l2" ] || fail "expected auto-l1 auto-l2"
mpt_json c "$TOPO_DIR/c.conf" | jq -e '[.paths[] | select(.name == "auto-lo")] | length == 0' >/dev/null ||
	fail "loopback got a path"
topo_exec c ping -c 2 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"

echo "# a new interface appears: its path opens"
topo_link c s 3
route_link 3
mpt_wait_up c "$TOPO_DIR/c.conf" 3 || fail "no third path"
echo "up: $(paths)"
[ "$(paths)" = "auto-l1 auto-l2 auto-l3" ] || fail "expected auto-l3 too"

echo "# it goes down: its path closes at once, the others carry on"
topo_exec c ip link set l3 down
for _ in $(seq 20); do [ "$(paths)" = "auto-l1 auto-l2" ] && break; sleep 0.1; done
echo "up: $(paths)"
[ "$(paths)" = "auto-l1 auto-l2" ] || fail "auto-l3 still up after its link went down"
topo_exec c ping -c 2 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping after l3 down"
echo "# and back"
topo_exec c ip link set l3 up
route_link 3 2>/dev/null || true
mpt_wait_up c "$TOPO_DIR/c.conf" 3 || fail "auto-l3 did not come back"
echo "up: $(paths)"
echo PASS
