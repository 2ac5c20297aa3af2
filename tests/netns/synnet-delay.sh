#!/bin/bash
# synnet-delay: the delay an emulated link adds to ping's RTT equals the configured delays
# (+-1 ms), per direction, and jitter without reordering stays inside its bounds. Medians
# and shares rather than extremes, so a busy machine's scheduling hiccup cannot fail it.
# "Adds": the link's RTT with no delay configured (the wake-ups of ping and of the
# emulator, about 0.1 ms here) is measured first and counted in the bounds. 100 pings each:
# a hiccup of the machine lasting a fraction of a second cannot take a tenth of them.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping awk
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "delay 0ms" || exit 1

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

# bounds LO HI: LO and HI in ms past the base RTT
bounds() { awk -v b="$base" -v lo="$1" -v hi="$2" 'BEGIN { print b + lo, b + hi }'; }

read -r base _ <<<"$(rtt 40 0 1000)"
check "median rtt ms with no delay" "$base" 0 2

topo_emu link 1 delay 10ms >/dev/null || exit 1
read -r lo hi <<<"$(bounds 19 21)"
read -r med inside _ <<<"$(rtt 100 "$lo" "$hi")"
check "median rtt ms, 10ms each way" "$med" "$lo" "$hi"
check "share of rtts within $lo..$hi ms" "$inside" 0.9 1

topo_emu link 1 ab delay 30ms ba delay 0ms >/dev/null || exit 1
read -r lo hi <<<"$(bounds 29 31)"
read -r med inside _ <<<"$(rtt 100 "$lo" "$hi")"
check "median rtt ms, 30ms + 0ms" "$med" "$lo" "$hi"
check "share of rtts within $lo..$hi ms" "$inside" 0.9 1

# jitter in FIFO mode: RTTs inside the two directions' bounds, and spread out
topo_emu link 1 delay 10ms jitter 4ms reorder off >/dev/null || exit 1
read -r lo hi <<<"$(bounds 11 29)"
read -r med inside spread <<<"$(rtt 100 "$lo" "$hi")"
read -r mlo mhi <<<"$(bounds 17 23)"
check "median rtt ms, 10+-4ms each way" "$med" "$mlo" "$mhi"
check "share of rtts within $lo..$hi ms" "$inside" 0.9 1
check "rtt spread ms (p95 - p5) with jitter" "$spread" 3 16
exit 0
