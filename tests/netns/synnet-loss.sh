#!/bin/bash
# synnet-loss: over 10,000 frames, random loss matches the configured rate (+-1.5 points)
# and comes in runs of about one frame, while Gilbert-Elliott loss of a similar rate
# comes in bursts (mean run length clearly above one). Counts come from synnet's counters.
. "${top_srcdir:-.}/tests/lib/topo.sh"
topo_need_emu ping socat awk
topo_init
topo_ns A
topo_ns B
topo_link A B 1 emu "" || exit 1

# measure SETTINGS: send 10,000 UDP datagrams of 100 bytes A -> B with loss on "ab";
# print "loss% mean-run frames"
measure() {
	topo_exec A ping -n -q -c 1 -W 1 10.77.1.2 >/dev/null # neighbour entry fresh
	topo_emu link 1 ab clear $1 >/dev/null || exit 1
	topo_emu link 1 zero >/dev/null
	topo_exec A socat -b 100 -u OPEN:/dev/zero,readbytes=1000000 UDP4-SENDTO:10.77.1.2:9 ||
		{ echo "FAIL: socat"; exit 1; }
	sleep 0.2
	topo_emu stats 1 | jq -r '.links[0].ab |
		"\(.drop_loss * 100 / .rx_packets) \(if .loss_bursts > 0 then .drop_loss / .loss_bursts else 0 end) \(.rx_packets)"'
}
check() {
	if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= lo && v <= hi) }'; then
		echo "ok: $1 = $2 (expected $3..$4)"
	else
		echo "FAIL: $1 = $2, expected $3..$4"
		exit 1
	fi
}

read -r rate burst n <<<"$(measure "loss 10%")"
check "frames seen" "$n" 10000 10100
check "random loss %" "$rate" 8.5 11.5
check "random loss mean run" "$burst" 1 1.3

# p = 5%, r = 50%: 5/55 = 9.1% lost, in bursts of 1/r = 2 frames on average
read -r rate burst n <<<"$(measure "loss gemodel 5% 50%")"
check "frames seen" "$n" 10000 10100
check "gilbert-elliott loss %" "$rate" 7.6 10.6
check "gilbert-elliott mean burst" "$burst" 1.6 2.5

read -r rate burst n <<<"$(measure "loss 2%")"
check "random loss % (2%)" "$rate" 0.5 3.5
exit 0
