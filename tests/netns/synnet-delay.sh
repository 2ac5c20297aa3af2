#!/bin/bash
# synnet-delay: ping RTT through an emulated link equals the configured delays (+-1 ms),
# per direction, and jitter without reordering stays inside its bounds. Medians and
# shares rather than extremes, so a busy machine's scheduling hiccup cannot fail it.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping awk
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "delay 10ms" || exit 1

# rtt N LO HI: "median share-inside-LO..HI spread(p95-p5)" of N pings' RTTs
rtt() {
	topo_exec A ping -n -c1 -W2 10.77.1.2 >/dev/null # neighbour entry fresh
	topo_exec A ping -n -c "$1" -i 0.02 -W2 10.77.1.2 | grep -o 'time=[0-9.]*' |
		cut -d= -f2 | sort -g | awk -v lo="$2" -v hi="$3" '
		{ v[NR] = $1; if ($1 >= lo && $1 <= hi) ok++ }
		END { print v[int((NR + 1) / 2)], ok / NR, v[int(NR * 0.95)] - v[int(NR * 0.05) + 1] }'
}
# check NAME VALUE LO HI
check() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= lo && v <= hi) }'; then
		echo "ok: $1 = $2 (expected $3..$4)"
	else
		echo "FAIL: $1 = $2, expected $3..$4"
		exit 1
	fi
}

read -r med inside _ <<<"$(rtt 40 19 21)"
check "median rtt ms, 10ms each way" "$med" 19 21
check "share of rtts within 19..21 ms" "$inside" 0.9 1

topo_emu link 1 ab delay 30ms ba delay 0ms >/dev/null || exit 1
read -r med inside _ <<<"$(rtt 40 29 31)"
check "median rtt ms, 30ms + 0ms" "$med" 29 31
check "share of rtts within 29..31 ms" "$inside" 0.9 1

# jitter in FIFO mode: RTTs inside the two directions' bounds, and spread out
topo_emu link 1 delay 10ms jitter 4ms reorder off >/dev/null || exit 1
read -r med inside spread <<<"$(rtt 100 11 29)"
check "median rtt ms, 10+-4ms each way" "$med" 17 23
check "share of rtts within 11..29 ms" "$inside" 0.9 1
check "rtt spread ms (p95 - p5) with jitter" "$spread" 3 16
exit 0
