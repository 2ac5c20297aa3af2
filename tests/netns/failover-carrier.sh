#!/usr/bin/env bash
# failover-carrier: as failover-blackhole, but link 2 loses its carrier (both ends see
# NO-CARRIER) mid-transfer. The link monitor takes p2 down at once: `mptun show` must say
# so within 0.5 s, and must show it up within 2 s of the carrier's return (the redial is
# immediate). The inner flow survives intact; see fo_transfer_event in
# tests/tools/failover.sh.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3

fo_setup 3 "delay 5ms rate 20mbit"
fo_transfer_event "link 2 carrier down" "link 2 carrier up" 0.5 2
fo_pass
