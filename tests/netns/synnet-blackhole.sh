#!/bin/bash
# synnet-blackhole: a blackhole drops everything (counted), lifting it restores traffic;
# a timed window ends by itself; periodic windows repeat.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "" || exit 1
topo_link A B 2 emu "" || exit 1

pings() { # LINK COUNT: replies received
	topo_exec A ping -n -q -c "$2" -i 0.05 -W 1 "10.77.$1.2" | awk '/received/ { print $4 }'
}
expect() {
	[ "$2" = "$3" ] || { echo "FAIL: $1: got $2, expected $3"; exit 1; }
	echo "ok: $1"
}

expect "link 1 passes" "$(pings 1 5)" 5
topo_emu link 1 blackhole on >/dev/null || exit 1
expect "link 1 blackholed" "$(pings 1 5)" 0
expect "link 2 unaffected" "$(pings 2 5)" 5
n=$(topo_emu_get 1 ab drop_blackhole)
[ "$n" -ge 5 ] || { echo "FAIL: drop_blackhole $n < 5"; exit 1; }
echo "ok: $n frames counted as blackholed"
topo_emu link 1 blackhole off >/dev/null || exit 1
expect "link 1 restored" "$(pings 1 5)" 5

# one direction only: requests pass, replies vanish. The ab count is taken after the
# blackhole is lifted: while it was on, A's neighbour probes and IPv6 reports on link 1
# were dropped and counted too, at times of the kernel's choosing.
n=$(topo_emu_get 1 ab drop_blackhole)
topo_emu link 1 ba blackhole on >/dev/null || exit 1
expect "replies blackholed" "$(pings 1 3)" 0
m=$(topo_emu_get 1 ab drop_blackhole)
[ "$m" = "$n" ] || { echo "FAIL: ab counted $((m - n)) frames with only ba blackholed"; exit 1; }
topo_emu link 1 ba blackhole off >/dev/null || exit 1

# a window of 1 s opens at once and closes by itself
topo_emu link 1 blackhole 1s >/dev/null || exit 1
expect "inside the window" "$(pings 1 3)" 0
sleep 1
expect "after the window" "$(pings 1 3)" 3

# periodic: 200 ms every 500 ms
topo_emu link 2 blackhole 200ms every 500ms >/dev/null || exit 1
sleep 1.3
w=$(topo_emu stats 2 | jq '.links[0].windows')
[ "$w" -ge 3 ] && [ "$w" -le 4 ] || { echo "FAIL: $w windows in 1.3 s, expected 3"; exit 1; }
echo "ok: $w periodic windows"
topo_emu link 2 schedule off >/dev/null || exit 1
expect "schedule cancelled" "$(pings 2 5)" 5
exit 0
