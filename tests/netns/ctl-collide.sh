#!/usr/bin/env bash
# ctl-collide: control sockets never collide and are never taken from a live daemon.
# Two daemons named mp0 with the default ControlSocket run in two network namespaces, each
# as pid 1 of its own pid namespace with its own /proc (as in a container: /proc/1 is then
# the daemon itself, so "is this the host's namespace?" cannot be told from it). Each gets
# a socket of its own, named after its namespace, and `mptun show` with no option in each
# namespace prints that namespace's daemon (told apart by their path names). A second
# daemon on the same socket is refused with a message naming it while the first keeps
# running and answering; a socket left by a killed daemon is taken over; a file that is
# not a socket is refused and left alone.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq unshare stat
topo_init
fail() {
	local f
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log; do
		echo "--- $f"
		cat "$f"
	done
	exit 1
}

topo_ns a
topo_ns b
PSK=$("$MPTUN" genkey)
# A dialing daemon whose one path, named after its namespace, dials nothing that answers.
conf() {
	printf '[Interface]\nName = mp0\nPresharedKey = %s\n%s[Peer]\nEndpoint = 127.0.0.1:9\n[Path]\nName = in-%s\n' \
		"$PSK" "${3:-}" "$2" >"$1"
}
# the socket's default name in namespace NS
sock_of() {
	echo "/run/mptun/mp0.$(topo_exec "$1" stat -L -c %i /proc/self/ns/net).sock"
}
# `mptun show --json` with no option, in namespace NS: the names of the daemon's paths
shown() {
	topo_exec "$1" "$MPTUN" show --json | jq -r '[.paths[].name] | join(",")'
}
# refused NS CONF TEXT: `mptun run CONF` in NS exits 1 and its log has TEXT
refused() {
	local rc=0
	timeout 20 ip netns exec "$(topo_nsname "$1")" "$MPTUN" run "$2" 2>"$2.log" || rc=$?
	[ "$rc" = 1 ] || fail "$2: exit $rc, expected 1"
	grep -qF "$3" "$2.log" || fail "$2: not the message '$3': $(cat "$2.log")"
}
wait_sock() {
	local i
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	fail "no control socket $1"
}

SA=$(sock_of a)
SB=$(sock_of b)
[ "$SA" != "$SB" ] || fail "two namespaces, one socket name $SA"
echo "# two namespaces, one interface name: $SA and $SB"
for ns in a b; do
	conf "$TOPO_DIR/$ns.conf" "$ns"
	topo_bg "$ns" unshare --mount --pid --fork --mount-proc --kill-child=TERM \
		"$MPTUN" run "$TOPO_DIR/$ns.conf" 2>"$TOPO_DIR/$ns.conf.log"
done
APID=${TOPO_PIDS[0]}
wait_sock "$SA"
wait_sock "$SB"
[ "$(shown a)" = "in-a" ] || fail "show in namespace a printed '$(shown a)', not its own daemon (in-a)"
[ "$(shown b)" = "in-b" ] || fail "show in namespace b printed '$(shown b)', not its own daemon (in-b)"
# `show -c` computes the same name from the config
[ "$(topo_exec a "$MPTUN" show -c "$TOPO_DIR/a.conf" --json | jq -r '.paths[0].name')" = in-a ] ||
	fail "show -c in namespace a did not find its daemon"

echo "# a second daemon on the same socket is refused; the first carries on"
cp "$TOPO_DIR/a.conf" "$TOPO_DIR/a2.conf"
refused a "$TOPO_DIR/a2.conf" "control socket $SA: another mptun is running there"
kill -0 "$APID" 2>/dev/null || fail "the first daemon died"
[ -S "$SA" ] || fail "the first daemon's socket is gone"
[ "$(shown a)" = "in-a" ] || fail "the first daemon no longer answers show: '$(shown a)'"

echo "# a daemon killed outright leaves its socket: the next one takes it over"
DPID=$(pgrep -P "$APID") || fail "no daemon under unshare $APID"
kill -9 "$DPID"
for _ in $(seq 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
[ -S "$SA" ] || fail "expected a stale socket left at $SA"
conf "$TOPO_DIR/a3.conf" a3
topo_bg a "$MPTUN" run "$TOPO_DIR/a3.conf" 2>"$TOPO_DIR/a3.conf.log"
for _ in $(seq 100); do
	[ "$(shown a 2>/dev/null)" = "in-a3" ] && break
	sleep 0.1
done
[ "$(shown a)" = "in-a3" ] || fail "the stale socket was not taken over: show printed '$(shown a)'"
[ "$(shown b)" = "in-b" ] || fail "namespace b's daemon changed: '$(shown b)'"

echo "# a ControlSocket that is not a socket is refused and left as it was"
echo "keep me" >"$TOPO_DIR/not-a-socket"
conf "$TOPO_DIR/f.conf" f "ControlSocket = $TOPO_DIR/not-a-socket
"
sed -i 's/^Name = mp0$/Name = mp9/' "$TOPO_DIR/f.conf"
refused b "$TOPO_DIR/f.conf" "$TOPO_DIR/not-a-socket: exists and is not a socket"
[ "$(cat "$TOPO_DIR/not-a-socket")" = "keep me" ] || fail "the file was replaced"
echo "PASS"
