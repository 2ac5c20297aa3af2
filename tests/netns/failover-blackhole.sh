#!/usr/bin/env bash
# failover-blackhole: three paths (synnet: 5 ms each way, 20 Mbit/s), one inner TCP flow
# carrying a verified byte pattern through mp0; link 2 turns into a black hole
# mid-transfer. The inner connection must survive (every byte, in order, no reset), the
# other two paths carry on, p2 is down within DeadTimeout (1 s) plus slack (2.5 s) and up
# again within 6 s of the black hole being lifted (a dial that was under way when it
# opened may still be waiting on its SYN). The checks: fo_transfer_event in
# tests/tools/failover.sh.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3

fo_setup 3 "delay 5ms rate 20mbit"
fo_transfer_event "link 2 blackhole on" "link 2 blackhole off" 2.5 6
fo_pass
