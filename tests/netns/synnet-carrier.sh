#!/bin/bash
# synnet-carrier: carrier-down takes the link's interfaces down so both hosts see the
# carrier loss, and back up; a timed carrier-down window ends by itself.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "" || exit 1

carrier() { # NS: "up" or "down" as the host sees its l1
	if ip -n "$(topo_nsname "$1")" -o link show l1 | grep -q NO-CARRIER; then
		echo down
	else
		echo up
	fi
}
expect() {
	[ "$2" = "$3" ] || { echo "FAIL: $1: $2, expected $3"; exit 1; }
	echo "ok: $1 $2"
}
wait_carrier() { # NS STATE: up to 2 s
	local n
	for n in $(seq 40); do
		[ "$(carrier "$1")" = "$2" ] && break
		sleep 0.05
	done
	carrier "$1"
}
passes() {
	topo_exec A ping -n -c 1 -W 1 10.77.1.2 >/dev/null 2>&1 && echo yes || echo no
}
passes_soon() { # a link that just came back may need a moment (neighbour, ports): 3 s
	local n
	for n in 1 2 3; do
		[ "$(passes)" = yes ] && { echo yes; return; }
	done
	echo no
}

expect "A carrier" "$(carrier A)" up
topo_emu link 1 carrier down >/dev/null || exit 1
expect "A carrier after carrier down" "$(wait_carrier A down)" down
expect "B carrier after carrier down" "$(wait_carrier B down)" down
expect "traffic while down" "$(passes)" no
topo_emu link 1 carrier up >/dev/null || exit 1
expect "A carrier after carrier up" "$(wait_carrier A up)" up
expect "B carrier after carrier up" "$(wait_carrier B up)" up
expect "traffic after carrier up" "$(passes_soon)" yes

# one side only
topo_emu link 1 carrier down b >/dev/null || exit 1
expect "B carrier, side b down" "$(wait_carrier B down)" down
expect "A carrier, side b down" "$(carrier A)" up
topo_emu link 1 carrier up >/dev/null || exit 1
expect "B carrier restored" "$(wait_carrier B up)" up

# a 1 s window
topo_emu link 1 down 1s >/dev/null || exit 1
expect "A carrier in the window" "$(wait_carrier A down)" down
sleep 1
expect "A carrier after the window" "$(wait_carrier A up)" up
expect "B carrier after the window" "$(wait_carrier B up)" up
expect "traffic after the window" "$(passes_soon)" yes
f=$(topo_emu stats 1 | jq '.links[0].flaps')
[ "$f" -ge 8 ] || { echo "FAIL: flaps $f"; exit 1; }
echo "ok: $f carrier changes counted"
exit 0
