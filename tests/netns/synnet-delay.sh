#!/bin/bash
# synnet-delay: ping RTT through an emulated link equals the configured delays (+-1 ms),
# per direction, and jitter without reordering stays inside its bounds.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping awk
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "delay 10ms" || exit 1

# "min avg max" of N pings (after one that warms ARP up)
rtt() {
	topo_exec A ping -n -c1 -W2 10.77.1.2 >/dev/null
	topo_exec A ping -n -q -c "$1" -i 0.02 -W2 10.77.1.2 |
		awk -F'[/ =]+' '/^rtt/ { print $6, $7, $8 }'
}
# check NAME VALUE LO HI
check() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= lo && v <= hi) }'; then
		echo "ok: $1 = $2 ms (expected $3..$4)"
	else
		echo "FAIL: $1 = $2 ms, expected $3..$4"
		exit 1
	fi
}

read -r min avg max <<<"$(rtt 30)"
check "rtt avg, 10ms each way" "$avg" 19 21
check "rtt min, 10ms each way" "$min" 19 21
check "rtt max, 10ms each way" "$max" 19 21.5

topo_emu link 1 ab delay 30ms ba delay 0ms >/dev/null || exit 1
read -r min avg max <<<"$(rtt 30)"
check "rtt avg, 30ms + 0ms" "$avg" 29 31

# jitter in FIFO mode: every RTT inside the two directions' bounds, and spread out
topo_emu link 1 delay 10ms jitter 4ms reorder off >/dev/null || exit 1
read -r min avg max <<<"$(rtt 100)"
check "rtt min, 10+-4ms each way" "$min" 11 29
check "rtt max, 10+-4ms each way" "$max" 11 29
check "rtt avg, 10+-4ms each way" "$avg" 18 23
spread=$(awk -v a="$min" -v b="$max" 'BEGIN { print b - a }')
check "rtt spread with jitter" "$spread" 3 16
exit 0
