#!/usr/bin/env bash
# ops-hooks: PostUp, OnPathUp, OnPathDown, PreDown and PostDown run with the documented
# environment (a test hook records it), without blocking the daemon: a PostUp that sleeps
# does not delay the paths or `show`, and is killed after its timeout (10 s). PreDown
# runs while mp0 exists, PostDown after it is gone.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq ping
topo_init
fail() {
	echo "FAIL: $*"
	echo "--- hooks"; cat "$TOPO_DIR/hooks.txt" 2>/dev/null
	echo "--- client log"; cat "$C.log"
	exit 1
}

topo_ns c
topo_ns s
topo_link c s 1
topo_link c s 2
S=$TOPO_DIR/s.conf
C=$TOPO_DIR/c.conf
H=$TOPO_DIR/hook.sh
cat >"$H" <<EOF
#!/bin/sh
# one line per run into hooks.txt (client) or hooks-s.txt (server, \$1 = s): the event,
# every MPTUN_ variable, and whether mp0 exists
if ip link show "\$MPTUN_INTERFACE" >/dev/null 2>&1; then dev=present; else dev=absent; fi
echo "event=\$MPTUN_EVENT if=\$MPTUN_INTERFACE path=\$MPTUN_PATH local=\$MPTUN_LOCAL remote=\$MPTUN_REMOTE reason=\$MPTUN_REASON dev=\$dev" >>$TOPO_DIR/hooks\${1:+-\$1}.txt
EOF
chmod +x "$H"
mpt_keys
mpt_server_conf "$S" "OnPathUp = $H s" "OnPathDown = $H s"
mpt_path_lines 2 "Source = 10.77.2.1"
mpt_client_conf "$C" 2 "PostUp = $H; echo \$\$ >$TOPO_DIR/sleeper.pid; exec sleep 100" \
	"PreDown = $H" "PostDown = $H" "OnPathUp = $H" "OnPathDown = $H"
mpt_start s "$S"
t0=$(date +%s%N)
mpt_start c "$C"
CPID=${TOPO_PIDS[-1]}
mpt_wait_up c "$C" 2 3 || fail "paths not up within 3 s while PostUp sleeps"
echo "paths up $((($(date +%s%N) - t0) / 1000000)) ms after start, PostUp still sleeping"
for i in $(seq 30); do [ "$(cat "$TOPO_DIR"/hooks*.txt 2>/dev/null | grep -c 'event=path-up')" -ge 4 ] && break; sleep 0.1; done
cat "$TOPO_DIR/hooks.txt"
want() { grep -qxF -- "$1" "$TOPO_DIR/hooks.txt" || fail "no hook line: $1"; }
want "event=post-up if=mp0 path= local= remote= reason= dev=present"
want "event=path-up if=mp0 path=p1 local=l1 remote=10.77.1.2:7000 reason=10.77.1.2:7000 dev=present"
want "event=path-up if=mp0 path=p2 local=l2 10.77.2.1 remote=10.77.2.2:7000 reason=10.77.2.2:7000 dev=present"
# the server: a listening-side path, no local binding, the client's address as remote
grep -qE "^event=path-up if=mp0 path=p1 local= remote=10\.77\.1\.1:[0-9]+ reason=10\.77\.1\.1:[0-9]+ dev=present$" \
	"$TOPO_DIR/hooks-s.txt" || fail "no server-side path-up line for p1"

echo "# OnPathDown: the server goes away on link 2"
topo_exec s ip link set l2 down
for i in $(seq 50); do grep -q "event=path-down" "$TOPO_DIR/hooks.txt" && break; sleep 0.1; done
grep "event=path-down" "$TOPO_DIR/hooks.txt" || fail "no path-down hook for p2"
grep -qE "^event=path-down if=mp0 path=p2 local=l2 10\.77\.2\.1 remote=10\.77\.2\.2:7000 reason=.+ dev=present$" \
	"$TOPO_DIR/hooks.txt" || fail "path-down line for p2 lacks its variables"

echo "# a hook that runs too long is killed"
pid=$(cat "$TOPO_DIR/sleeper.pid")
kill -0 "$pid" || fail "the PostUp sleeper is not running"
for i in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "PostUp still running after its timeout"
grep -q "hook PostUp: still running after 10 s, killed" "$C.log" || fail "no log line for the kill"
kill -0 "$CPID" || fail "the daemon died"

echo "# PreDown while mp0 exists, PostDown after"
kill -TERM "$CPID"
for i in $(seq 50); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CPID" 2>/dev/null && fail "the daemon did not stop"
tail -2 "$TOPO_DIR/hooks.txt"
[ "$(tail -2 "$TOPO_DIR/hooks.txt" | head -1)" = "event=pre-down if=mp0 path= local= remote= reason= dev=present" ] ||
	fail "PreDown is not the second last hook, or mp0 was gone"
[ "$(tail -1 "$TOPO_DIR/hooks.txt")" = "event=post-down if=mp0 path= local= remote= reason= dev=absent" ] ||
	fail "PostDown is not the last hook, or mp0 still existed"
echo "PASS"
