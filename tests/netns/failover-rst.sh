#!/usr/bin/env bash
# failover-rst: as failover-blackhole, but p2's outer TCP connection is killed by a forged
# RST (synnet `link 2 rst 7000`: both ends see "connection reset by peer") mid-transfer.
# p2 must notice at once (a failure counted within 1 s) and be up again within 3 s of the
# reset (first redial after the minimum backoff); the inner flow survives intact; see
# fo_transfer_event in tests/tools/failover.sh.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3

fo_setup 3 "delay 5ms rate 20mbit"
fo_transfer_event "link 2 rst 7000" "" 1 3
n=$(topo_emu stats 2 | jq '.links[0].ab.rst_sent + .links[0].ba.rst_sent')
[ "$n" -ge 1 ] || fo_fail "synnet sent no RST on link 2"
fo_ok "$n forged RST segments on link 2"
fo_pass
