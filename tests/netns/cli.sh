#!/usr/bin/env bash
# cli: the command explains itself (doc/mptun.8).
#
# --help of mptun and of every command on standard output, exit 0; --version; usage errors
# on standard error, exit 2, naming the argument or value at fault; messages that end the
# program are errors, not warnings. Then the machine behind the configuration: `check`
# refuses a Congestion this kernel lacks with file:line, `run` says so at the default level
# and still brings the path up; a daemon without root and without ControlSocket says what
# to do. Last, a fresh tunnel: what the kernel sends on mp0 before the first path is up is
# counted as session.before_up, and no drop reason reads as a loss.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq runuser
topo_init
D=$TOPO_DIR
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
# run CMD...: exit status in $rc, standard output in $D/out, standard error in $D/err
run() {
	"$@" >"$D/out" 2>"$D/err" </dev/null
	rc=$?
}
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")

echo "# help and version: standard output, exit 0"
f0=$fails
run "$MPTUN" --version
[ $rc = 0 ] && [ "$(cat "$D/out")" = "mptun $version" ] && [ ! -s "$D/err" ] ||
	fail "mptun --version: exit $rc, '$(cat "$D/out")' (wanted 'mptun $version'), stderr '$(cat "$D/err")'"
for h in --help -h help; do
	run "$MPTUN" $h
	[ $rc = 0 ] && grep -q "^usage: mptun run CONFIG" "$D/out" && grep -q "mptun pipe" "$D/out" &&
		[ ! -s "$D/err" ] || fail "mptun $h: exit $rc, stdout '$(head -c 200 "$D/out")', stderr '$(head -c 200 "$D/err")'"
done
for cmd in run check show reload genkey pubkey reflect pipe; do
	for h in --help -h; do
		run "$MPTUN" $cmd $h
		[ $rc = 0 ] && grep -q "^usage: mptun $cmd" "$D/out" && [ ! -s "$D/err" ] ||
			fail "mptun $cmd $h: exit $rc, stdout '$(head -c 200 "$D/out")', stderr '$(head -c 200 "$D/err")'"
	done
done
[ $fails = "$f0" ] && echo "ok: --help, -h of mptun and of its 8 commands, and --version ($version)"

echo "# usage errors: standard error, exit 2, naming what was wrong"
usage_error() { # WANT CMD...: exit 2, nothing on stdout, stderr holds WANT and a usage line
	local want=$1
	shift
	run "$MPTUN" "$@"
	if [ $rc = 2 ] && [ ! -s "$D/out" ] && grep -qF -- "$want" "$D/err" && grep -q "usage: mptun" "$D/err"; then
		echo "ok: mptun $*: $(head -n 1 "$D/err")"
	else
		fail "mptun $*: exit $rc (wanted 2), stderr '$(cat "$D/err")' (wanted '$want')"
	fi
}
usage_error "mptun run: unexpected argument 'extra'" run cfg extra
usage_error "mptun run: missing CONFIG" run
usage_error "mptun run: unrecognized option '--bogus'" run --bogus cfg
usage_error "mptun check: unexpected argument 'b'" check a b
usage_error "mptun show: --watch abc: not a number of seconds" show --watch abc
usage_error "mptun show: --watch 0: not a number of seconds" show --watch=0
usage_error "mptun show: unexpected argument 'x'" show -s "$D/none.sock" x
usage_error "mptun show: -c and -s exclude each other" show -c a -s b
usage_error "mptun reload: --json is an option of show" reload --json
usage_error "mptun genkey: unexpected argument 'x'" genkey x
usage_error "mptun reflect: missing TARGET" reflect 127.0.0.1:1
usage_error "mptun: unknown command 'bogus'" bogus

echo "# messages that end the program are errors"
f0=$fails
run sh -c "echo notakey | '$MPTUN' pubkey"
[ $rc = 1 ] && grep -q "error: pubkey: not a base64 private key" "$D/err" && ! grep -q warning "$D/err" ||
	fail "pubkey of garbage: exit $rc, stderr '$(cat "$D/err")' (wanted an error)"
run "$MPTUN" reflect -m x 127.0.0.1:1 127.0.0.1:2
[ $rc = 2 ] && grep -q "error: reflect: bad value 'x' for -m" "$D/err" && ! grep -q warning "$D/err" ||
	fail "reflect -m x: exit $rc, stderr '$(cat "$D/err")' (wanted an error)"
[ $fails = "$f0" ] && echo "ok: pubkey and reflect end with 'error:', not 'warning:'"

echo "# Congestion: check names file:line for a name this kernel lacks"
f0=$fails
mpt_keys
topo_ns c
topo_ns s
topo_link c s 1
mpt_server_conf "$D/s.conf"
mpt_path_lines 1 "Congestion = bbbr"
mpt_client_conf "$D/c.conf" 1
line=$(grep -n "^Congestion = bbbr" "$D/c.conf" | cut -d: -f1)
run "$MPTUN" check "$D/c.conf"
if [ -e /proc/modules ] && ! [ -e "/lib/modules/$(uname -r)/modules.dep" ]; then
	# a kernel with loadable modules, none of them listed here: check cannot tell
	[ $rc = 0 ] && grep -q "warning: $D/c.conf:$line: Congestion bbbr: cannot tell" "$D/err" ||
		fail "check, Congestion = bbbr, no module list: exit $rc, stderr '$(cat "$D/err")'"
	[ $fails = "$f0" ] && echo "ok: check warns that it cannot tell whether this kernel has bbbr"
else
	[ $rc = 1 ] && [ ! -s "$D/out" ] &&
		grep -q "^$D/c.conf:$line: Congestion bbbr: not a congestion control of this kernel (it has: " "$D/err" ||
		fail "check, Congestion = bbbr: exit $rc (wanted 1), stderr '$(cat "$D/err")'"
	[ $fails = "$f0" ] && echo "ok: $(cat "$D/err")"
fi
avail=$(cut -d' ' -f1 /proc/sys/net/ipv4/tcp_available_congestion_control)
f0=$fails
sed "s/^Congestion = bbbr/Congestion = $avail/" "$D/c.conf" >"$D/c2.conf"
run "$MPTUN" check "$D/c2.conf"
[ $rc = 0 ] && [ ! -s "$D/err" ] && grep -q "^Congestion = $avail" "$D/out" ||
	fail "check, Congestion = $avail (available): exit $rc, stderr '$(cat "$D/err")'"
[ $fails = "$f0" ] && echo "ok: check takes Congestion = $avail, which this kernel has"

echo "# Congestion: run says so at the default level, and the path comes up anyway"
f0=$fails
mpt_start s "$D/s.conf"
mpt_start c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 1 || fail "the tunnel with Congestion = bbbr does not come up"
grep -q "warning: $D/c.conf:$line: Congestion bbbr: not a congestion control of this kernel.*the kernel's default" "$D/c.conf.log" ||
	fail "run does not warn at start about bbbr: $(cat "$D/c.conf.log")"
grep -q "warning: congestion control bbbr: .*; the connection uses the kernel's default" "$D/c.conf.log" ||
	fail "run does not warn when TCP_CONGESTION fails: $(cat "$D/c.conf.log")"
n=$(grep -c "congestion control bbbr:" "$D/c.conf.log")
[ "$n" = 1 ] || fail "the TCP_CONGESTION failure logged $n times, wanted once"
[ $fails = "$f0" ] && echo "ok: run warned about bbbr at start and at the first connection, and the path is up"

echo "# a fresh tunnel: the kernel's start-up packets are not drops"
f0=$fails
# the server starts late, so mp0 of the client is up well before any path is
mpt_stop "$D/c.conf"
mpt_stop "$D/s.conf"
mpt_client_conf "$D/c3.conf" 1
mpt_start c "$D/c3.conf"
sleep 3
mpt_start s "$D/s.conf"
mpt_wait_up c "$D/c3.conf" 1 || fail "the fresh tunnel does not come up"
j=$(mpt_json c "$D/c3.conf")
drops=$(echo "$j" | jq '[.session.drops[]] | add')
early=$(echo "$j" | jq '.session.before_up')
[ "$drops" = 0 ] || fail "a fresh tunnel shows drops: $(echo "$j" | jq -c .session.drops)"
[ "${early:-null}" != null ] && [ "$early" -ge 1 ] ||
	fail "session.before_up is $early: the packets mp0 sent before the first path was up are not counted"
topo_exec c "$MPTUN" show -s "$D/c3.conf.sock" >"$D/show.txt"
grep -q "drops 0$" "$D/show.txt" || fail "show's first line: $(head -n 1 "$D/show.txt")"
topo_exec c "$MPTUN" show -s "$D/c3.conf.sock" --prometheus >"$D/prom.txt"
grep -q "^mptun_session_before_up_total{interface=\"mp0\"} $early$" "$D/prom.txt" ||
	fail "prometheus: $(grep before_up "$D/prom.txt")"
[ $fails = "$f0" ] && echo "ok: fresh tunnel: drops 0, before_up $early ($(head -n 1 "$D/show.txt"))"

echo "# no root, no ControlSocket: an error that says what to do"
mkdir -m 0755 "$D/nr"
{
	echo "[Interface]"
	echo "Mode = udp"
	echo "Name = mpcli$$"
	echo "PresharedKey = $("$MPTUN" genkey)"
	echo "UdpListen = 10.77.1.1:17001"
	echo "Listen = 10.77.1.1:17002"
	echo "[Peer]"
} >"$D/nr/nr.conf"
chmod 0644 "$D/nr/nr.conf" # nobody reads it: a test key, thrown away
chmod 0755 "$D"
run topo_exec c timeout 10 runuser -u nobody -- "$MPTUN" run "$D/nr/nr.conf"
if ! runuser -u nobody -- "$MPTUN" genkey >/dev/null 2>&1; then
	echo "skip: user nobody cannot run $MPTUN (a directory on its path is closed to others)"
elif [ $rc = 1 ] && grep -q "error: cannot create control socket /run/mptun/mpcli$$.*: .*; run as root, or set ControlSocket to a path this user can write" "$D/err" &&
	! grep -q "warning" "$D/err"; then
	echo "ok: $(grep -o 'error: .*' "$D/err")"
else
	fail "a daemon without root: exit $rc, stderr '$(cat "$D/err")'"
fi

[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
exit 0
