#!/usr/bin/env bash
# failover-flap: link 1 flaps (carrier down 1 s every 2 s) for FLAP_SECONDS (default 30;
# FLAP_SECONDS=600 is the 10-minute soak) under a bulk flow and a record stream through
# mp0. Afterwards both daemons must be back where they started: every path up, the open
# descriptors (/proc/PID/fd) back to exactly the baseline within 10 s, and memory within
# FLAP_RSS_KB (default 1024 KiB) of it: both the address space (VmSize) and the resident
# memory that was allocated since (the heap and anonymous mappings that did not exist at
# the baseline, from /proc/PID/smaps). Total RSS is printed but not bounded: the daemons
# preallocate their windows and touch those pages only as sequence numbers first reach
# them, which is not a leak. The baseline is taken after a warm-up of the same load with
# FLAP_WARMUP (8) s of flapping. 1 MiB over 15 flaps (30 s) catches a leak of about
# 70 KiB per flap, over 300 flaps (600 s) one of about 3.5 KiB. Both inner flows must come
# out intact.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/failover.sh"
topo_need_emu jq python3
T=${FLAP_SECONDS:-30}
RSS_TOL=${FLAP_RSS_KB:-1024}

fo_setup 3 "delay 5ms rate 20mbit"
D=$TOPO_DIR
all_up() {
	fo_state_is c p1 up && fo_state_is c p2 up && fo_state_is c p3 up &&
		fo_state_is s p1 up && fo_state_is s p2 up && fo_state_is s p3 up
}

# warm-up: the same load and FLAP_WARMUP (default 8) s of flapping, so that memory the
# daemons touch once (window slots, connection buffers, allocator arenas) is in the baseline
W=${FLAP_WARMUP:-8}
fo_recv s bulk-recv 5001 "$D/warm.json" --timeout $((W + 30))
fo_send c bulk-send 5001 "$D/warm.send.json" --duration "$W" --timeout $((W + 30))
topo_emu link 1 down 1s every 2s >/dev/null || fo_fail "synnet flap schedule"
wait "$FO_PID" || fo_fail "warm-up flow failed: $(cat "$D/warm.send.json")"
topo_emu link 1 schedule off >/dev/null || fo_fail "synnet schedule off"
topo_emu link 1 carrier up >/dev/null
fo_wait 10 all_up || fo_fail "paths not up after the warm-up"
sleep 1
cfd0=$(fo_fds "$FO_CPID")
sfd0=$(fo_fds "$FO_SPID")
crss0=$(fo_rss "$FO_CPID")
srss0=$(fo_rss "$FO_SPID")
cvm0=$(fo_vmsize "$FO_CPID")
svm0=$(fo_vmsize "$FO_SPID")
fo_smaps "$FO_CPID" "$D/c.smaps0"
fo_smaps "$FO_SPID" "$D/s.smaps0"
cl0=$(fo_loose_rss "$D/c.smaps0" "$D/c.smaps0")
sl0=$(fo_loose_rss "$D/s.smaps0" "$D/s.smaps0")
echo "baseline: client $cfd0 fds, RSS $crss0 KiB (heap $cl0), VmSize $cvm0 KiB; server $sfd0 fds, RSS $srss0 KiB (heap $sl0), VmSize $svm0 KiB"
cf0=$(fo_path c p1 failures)

fo_recv s bulk-recv 5002 "$D/bulk.json" --timeout $((T + 60))
brpid=$FO_PID
fo_send c bulk-send 5002 "$D/bulk.send.json" --duration "$T" --timeout $((T + 60))
bspid=$FO_PID
fo_recv s rec-recv 5003 "$D/rec.json" --timeout $((T + 60))
rrpid=$FO_PID
fo_send c rec-send 5003 "$D/rec.send.json" --interval 10 --duration "$T" --timeout $((T + 60))
rspid=$FO_PID
w0=$(topo_emu stats 1 | jq '.links[0].windows')
topo_emu link 1 down 1s every 2s >/dev/null || fo_fail "synnet flap schedule"
echo "flapping link 1 for $T s"
tf=$(fo_now)
series=""
for k in $(seq 10 10 "$T"); do
	fo_sleep_until "$tf" "$k"
	series="$series ${k}s:$(fo_rss "$FO_CPID")/$(fo_rss "$FO_SPID")"
done
fo_sleep_until "$tf" "$T"
echo "RSS KiB client/server while flapping:$series"
topo_emu link 1 schedule off >/dev/null || fo_fail "synnet schedule off"
topo_emu link 1 carrier up >/dev/null
flaps=$(($(topo_emu stats 1 | jq '.links[0].windows') - w0))
echo "synnet: $flaps down windows on link 1; p1 failures on the client: $(( $(fo_path c p1 failures) - cf0 ))"
[ "$flaps" -ge $((T / 2 - 1)) ] || fo_fail "only $flaps flaps"

wait "$bspid"; b=$?
wait "$rspid"; r=$?
wait "$brpid"
wait "$rrpid"
echo "bulk: $(cat "$D/bulk.send.json")"
echo "records: $(jq -c . "$D/rec.json")"
[ "$b" = 0 ] && jq -e '.ok and .eof' "$D/bulk.json" >/dev/null || fo_fail "bulk flow broken by the flapping"
[ "$r" = 0 ] && jq -e '.eof and .bad == 0 and (.reset | not)' "$D/rec.json" >/dev/null ||
	fo_fail "record stream broken by the flapping"
fo_ok "both inner flows intact across $flaps flaps"

fo_wait 10 all_up || fo_fail "paths not all up 10 s after the flapping"
fds_back() { [ "$(fo_fds "$FO_CPID")" = "$cfd0" ] && [ "$(fo_fds "$FO_SPID")" = "$sfd0" ]; }
fo_wait 10 fds_back || fo_fail "descriptors: client $(fo_fds "$FO_CPID") (was $cfd0), server $(fo_fds "$FO_SPID") (was $sfd0)"
fo_smaps "$FO_CPID" "$D/c.smaps1"
fo_smaps "$FO_SPID" "$D/s.smaps1"
check_mem() { # NAME RSS0 RSS VM0 VM LOOSE0 LOOSE
	echo "$1: RSS $2 -> $3 KiB ($(($3 - $2))), VmSize $4 -> $5 KiB ($(($5 - $4))), heap and new mappings $6 -> $7 KiB ($(($7 - $6)))"
	[ $(($5 - $4)) -le "$RSS_TOL" ] || fo_fail "$1: address space grew by $(($5 - $4)) KiB"
	[ $(($7 - $6)) -le "$RSS_TOL" ] || fo_fail "$1: allocated memory grew by $(($7 - $6)) KiB"
}
check_mem client "$crss0" "$(fo_rss "$FO_CPID")" "$cvm0" "$(fo_vmsize "$FO_CPID")" "$cl0" \
	"$(fo_loose_rss "$D/c.smaps0" "$D/c.smaps1")"
check_mem server "$srss0" "$(fo_rss "$FO_SPID")" "$svm0" "$(fo_vmsize "$FO_SPID")" "$sl0" \
	"$(fo_loose_rss "$D/s.smaps0" "$D/s.smaps1")"
fo_ok "descriptors back to the baseline; address space and allocated memory within $RSS_TOL KiB of it"
fo_pass
