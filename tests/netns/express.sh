#!/usr/bin/env bash
# express: a path's Express connection carries the small packets and no bulk.
# Two rate-limited paths, Express left at its default (yes); one iperf3 flow fills them
# while pings cross mp0 both ways. Each side's express connections (named so in show
# --json, the listening side learning it from the HELLO) carry the pings and their
# replies, the bulk goes on the others, and no ping is lost. With Express = no there is no
# such connection.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need iperf3 jq ping
topo_init
fail() { echo "FAIL: $*"; exit 1; }

topo_ns c
topo_ns s
topo_link c s 1 rate 30
topo_link c s 2 rate 20
mpt_keys
MPT_EXPRESS= # the default, whatever the caller's environment says
mpt_server_conf "$TOPO_DIR/s.conf"
mpt_client_conf "$TOPO_DIR/c.conf" 2
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 2
for i in $(seq 50); do
	n=$(mpt_json c "$TOPO_DIR/c.conf" | jq '[.paths[].connections[] | select(.state == "up")] | length')
	[ "$n" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || fail "$n connections up, not 2 per path"
mpt_json c "$TOPO_DIR/c.conf" | jq -e '[.paths[].connections[] | select(.express)] | length == 2' >/dev/null ||
	fail "the client has not one express connection per path"
mpt_json s "$TOPO_DIR/s.conf" | jq -e '[.paths[].connections[] | select(.express)] | length == 2' >/dev/null ||
	fail "the server does not know the express connections"

express_totals() { # NS FILE: packets and bytes sent on express connections
	mpt_json "$1" "$2" | jq -r '[.paths[].connections[] | select(.express)] |
		"\(map(.tx_packets) | add) \(map(.tx_bytes) | add)"'
}
read -r cp0 cb0 < <(express_totals c "$TOPO_DIR/c.conf")
read -r sp0 sb0 < <(express_totals s "$TOPO_DIR/s.conf")
topo_bg s iperf3 -s >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"
topo_exec c iperf3 -c 10.99.0.1 -t 6 -C cubic >"$TOPO_DIR/bulk" 2>&1 &
bulk=$!
sleep 1
topo_exec c ping -c 40 -i 0.1 -W 2 10.99.0.1 >"$TOPO_DIR/ping" || fail "pings lost under load: $(tail -2 "$TOPO_DIR/ping")"
wait "$bulk" || fail "the bulk flow failed"
read -r cp1 cb1 < <(express_totals c "$TOPO_DIR/c.conf")
read -r sp1 sb1 < <(express_totals s "$TOPO_DIR/s.conf")
echo "client express: $((cp1 - cp0)) packets, $((cb1 - cb0)) bytes; server express: $((sp1 - sp0)) packets, $((sb1 - sb0)) bytes"
echo "ping: $(tail -1 "$TOPO_DIR/ping")"
[ $((cp1 - cp0)) -ge 40 ] || fail "the client's pings did not take the express connections"
[ $((sp1 - sp0)) -ge 40 ] || fail "the server's replies did not take the express connections"
bulk_bytes=$(mpt_json c "$TOPO_DIR/c.conf" | jq '[.paths[].connections[] | select(.express | not) | .tx_bytes] | add')
[ "$bulk_bytes" -gt 5000000 ] || fail "the bulk did not go on the other connections ($bulk_bytes bytes)"
# pings and TCP ACKs only: a few hundred bytes each, far from the megabytes of bulk
[ $((cb1 - cb0)) -lt 500000 ] || fail "bulk went on the client's express connections ($((cb1 - cb0)) bytes)"

echo "# Express = no: no such connection"
mpt_stop "$TOPO_DIR/c.conf"
mpt_path_lines 1 "Express = no"
mpt_path_lines 2 "Express = no"
mpt_client_conf "$TOPO_DIR/c.conf" 2
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 2
mpt_json c "$TOPO_DIR/c.conf" | jq -e '[.paths[].connections[] | select(.express)] | length == 0' >/dev/null ||
	fail "express connections with Express = no"
n=$(mpt_json c "$TOPO_DIR/c.conf" | jq '[.paths[].connections[]] | length')
[ "$n" = 2 ] || fail "$n connections with Express = no, not 1 per path"
echo "ok"
