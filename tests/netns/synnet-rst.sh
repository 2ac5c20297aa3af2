#!/bin/bash
# synnet-rst: an injected RST resets a running TCP connection at both ends (IPv4 and
# IPv6): both socat processes stop, each reporting a connection reset.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu socat
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "rate 20mbit delay 1ms" || exit 1

# run ADDR LISTEN-SPEC CONNECT-SPEC
run() {
	local srv cli rcs rcc
	# -d: socat reports a reset on read as a warning (and exits 0)
	topo_exec B socat -d -u "$2" - >/dev/null 2>"$TOPO_DIR/srv.err" &
	srv=$!
	sleep 0.3
	topo_exec A socat -u /dev/zero "$3" 2>"$TOPO_DIR/cli.err" &
	cli=$!
	sleep 1
	kill -0 $srv 2>/dev/null && kill -0 $cli 2>/dev/null ||
		{ echo "FAIL: $1: transfer did not start"; cat "$TOPO_DIR"/*.err; exit 1; }
	topo_emu link 1 rst 5001 >/dev/null || exit 1
	for _ in $(seq 30); do
		kill -0 $srv 2>/dev/null || kill -0 $cli 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $srv 2>/dev/null || kill -0 $cli 2>/dev/null; then
		echo "FAIL: $1: connection survived the RST"
		kill $srv $cli 2>/dev/null
		exit 1
	fi
	wait $srv; rcs=$?
	wait $cli; rcc=$?
	[ $rcc != 0 ] || { echo "FAIL: $1: client exit $rcc"; cat "$TOPO_DIR"/*.err; exit 1; }
	grep -qi reset "$TOPO_DIR/srv.err" ||
		{ echo "FAIL: $1: server saw no reset"; cat "$TOPO_DIR/srv.err"; exit 1; }
	grep -qiE "reset|broken pipe" "$TOPO_DIR/cli.err" ||
		{ echo "FAIL: $1: client saw no reset"; cat "$TOPO_DIR/cli.err"; exit 1; }
	echo "ok: $1: server: $(grep -oi 'connection reset by peer' "$TOPO_DIR/srv.err" | head -1);" \
		"client: $(grep -oiE 'connection reset by peer|broken pipe' "$TOPO_DIR/cli.err" | head -1)"
}

run IPv4 TCP4-LISTEN:5001,reuseaddr TCP4:10.77.1.2:5001
run IPv6 TCP6-LISTEN:5001,reuseaddr "TCP6:[fd77:1::2]:5001"
sent=$(topo_emu stats 1 | jq '.links[0].ab.rst_sent + .links[0].ba.rst_sent')
[ "$sent" -ge 2 ] || { echo "FAIL: rst_sent $sent"; exit 1; }
echo "ok: $sent resets forged"
exit 0
