#!/usr/bin/env bash
# ops-privs: the daemon gives up root after set-up, and runs the way mptun@.service runs it.
# 1. Started as root with User = a throwaway system user: the tunnel works; /proc shows that
#    user's uid and gid and only CAP_NET_ADMIN | CAP_NET_RAW in CapEff, CapPrm, CapBnd; the
#    control socket answers root and that user but nobody else; a reload (read as that
#    user) adds a path bound to an interface, which needs CAP_NET_RAW; PostUp runs as the
#    user with the two capabilities.
# 2. Started as the unit starts it (that user, ambient CAP_NET_ADMIN and CAP_NET_RAW only,
#    NOTIFY_SOCKET, WATCHDOG_USEC): it makes mp0 without root, says READY=1 only once a
#    path is up, WATCHDOG=1 at half the interval, STATUS= and STOPPING=1.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq ping useradd userdel setpriv python3
topo_init
U=mptst$$
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U"
# topo's cleanup first (in a subshell: it exits), so no process of the user is left
drop_user() {
	local rc=$? i
	set +e
	(topo_cleanup)
	for i in $(seq 30); do userdel "$U" 2>/dev/null && break; sleep 0.1; done
	id "$U" >/dev/null 2>&1 && userdel -f "$U"
	exit "$rc"
}
trap drop_user EXIT
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
KEEP=$(((1 << 12) | (1 << 13))) # CAP_NET_ADMIN, CAP_NET_RAW
fail() {
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log "$TOPO_DIR"/out/*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}
# check_status PID: the uid, gid and capabilities of a dropped daemon
check_status() {
	local st=/proc/$1/status f v
	[ -r "$st" ] || fail "no process $1"
	grep -E '^(Uid|Gid|Cap)' "$st"
	awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st" | grep -qx "$UID_U $UID_U $UID_U $UID_U" || fail "uid"
	awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st" | grep -qx "$GID_U $GID_U $GID_U $GID_U" || fail "gid"
	for f in CapEff CapPrm CapBnd; do
		v=$((16#$(awk -v f="$f:" '$1 == f { print $2 }' "$st")))
		[ "$v" -eq "$KEEP" ] || fail "$f is $(printf %x "$v"), not $(printf %x "$KEEP")"
	done
}

chmod 711 "$TOPO_DIR" # the user reads its config, and runs hooks, below it
mkdir "$TOPO_DIR/out"
chown "$U:" "$TOPO_DIR/out"
topo_ns c
topo_ns s
topo_link c s 1
topo_link c s 2
S=$TOPO_DIR/s.conf
C=$TOPO_DIR/c.conf
mpt_keys
mpt_server_conf "$S"
mpt_client_conf "$C" 1 "User = $U" \
	"PostUp = (id -u; grep -E '^Cap(Eff|Amb)' /proc/self/status) >$TOPO_DIR/out/postup"
chown "$U:" "$C"
chmod 600 "$C"

echo "# 1. root, then User = $U"
mpt_start s "$S"
mpt_start c "$C"
CPID=${TOPO_PIDS[-1]}
mpt_wait_up c "$C" 1
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"
check_status "$CPID"
grep -q "privileges dropped: uid $UID_U" "$C.log" || fail "no log line for the drop"
[ "$(stat -c %U "$C.sock")" = "$U" ] || fail "control socket owned by $(stat -c %U "$C.sock")"
"$MPTUN" show -s "$C.sock" --json | jq -e '.paths[0].state == "up"' >/dev/null || fail "show as root"
setpriv --reuid="$U" --regid="$GID_U" --clear-groups "$MPTUN" show -s "$C.sock" >/dev/null ||
	fail "show as $U"
if setpriv --reuid=nobody --regid=nogroup --clear-groups "$MPTUN" show -s "$C.sock" >/dev/null 2>&1; then
	fail "nobody may use the control socket"
fi
for i in $(seq 30); do [ -s "$TOPO_DIR/out/postup" ] && break; sleep 0.1; done
echo "PostUp saw: $(tr '\n' ' ' <"$TOPO_DIR/out/postup")"
[ "$(head -1 "$TOPO_DIR/out/postup")" = "$UID_U" ] || fail "PostUp did not run as $U"
grep -q "^CapAmb:.*0000000000003000" "$TOPO_DIR/out/postup" || fail "PostUp without the capabilities"

echo "# reload as $U: a path bound to l2 (SO_BINDTODEVICE needs CAP_NET_RAW)"
mpt_client_conf "$C.new" 2 "User = $U"
sed "s|$C.new.sock|$C.sock|" "$C.new" >"$C"
out=$(topo_exec c "$MPTUN" reload -s "$C.sock") || fail "reload: $out"
echo "$out"
mpt_wait_up c "$C" 2 5 || fail "p2 not up after the reload"
grep -q "bind to device" "$C.log" && fail "SO_BINDTODEVICE refused after the drop"
check_status "$CPID" >/dev/null
kill -TERM "$CPID"
for i in $(seq 50); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CPID" 2>/dev/null && fail "the daemon did not stop"

echo "# 2. as mptun@.service starts it: $U with ambient capabilities, sd_notify"
mpt_stop "$S" # READY=1 must wait for a path
cat >"$TOPO_DIR/notify.py" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            f.write("%.3f %s\n" % (time.monotonic(), line))
EOF
topo_bg c python3 "$TOPO_DIR/notify.py" "$TOPO_DIR/notify.sock" "$TOPO_DIR/notify.txt"
for i in $(seq 50); do [ -S "$TOPO_DIR/notify.sock" ] && break; sleep 0.1; done
C2=$TOPO_DIR/out/c2.conf
mpt_client_conf "$C2" 1
chown "$U:" "$C2"
chmod 600 "$C2"
topo_bg c env NOTIFY_SOCKET="$TOPO_DIR/notify.sock" WATCHDOG_USEC=600000 \
	setpriv --reuid="$U" --regid="$GID_U" --clear-groups \
	--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
	--bounding-set=-all,+net_admin,+net_raw "$MPTUN" run "$C2" 2>"$TOPO_DIR/c2.log"
C2PID=${TOPO_PIDS[-1]}
sleep 1.5
kill -0 "$C2PID" || fail "the daemon did not start without root"
grep -q "READY=1" "$TOPO_DIR/notify.txt" && fail "READY=1 before any path was up"
n=$(grep -c "WATCHDOG=1" "$TOPO_DIR/notify.txt" || true)
echo "watchdog pings in 1.5 s at WATCHDOG_USEC=600000: $n"
[ "$n" -ge 4 ] && [ "$n" -le 7 ] || fail "$n watchdog pings, expected about 5"
mpt_start s "$S"
for i in $(seq 50); do grep -q "READY=1" "$TOPO_DIR/notify.txt" && break; sleep 0.1; done
grep -q "READY=1" "$TOPO_DIR/notify.txt" || fail "no READY=1 after the path came up"
grep "STATUS=" "$TOPO_DIR/notify.txt" | tail -1
grep -q "STATUS=mp0: 1 of 1 path up" "$TOPO_DIR/notify.txt" || fail "no STATUS= line"
topo_exec c ping -c 3 -i 0.1 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0 made without root"
check_status "$C2PID"
kill -TERM "$C2PID"
for i in $(seq 50); do grep -q "STOPPING=1" "$TOPO_DIR/notify.txt" && break; sleep 0.1; done
grep -q "STOPPING=1" "$TOPO_DIR/notify.txt" || fail "no STOPPING=1"
echo "PASS"
