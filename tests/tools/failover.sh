# failover.sh: shared steps of the failover tests (tests/netns/failover-*.sh) and of
# tests/bench/failover.
#
# Source after topo.sh and mptun.sh. Then:
#   fo_fail MSG...                 print FAIL, the daemons' and probes' logs; exit 1
#   fo_ok MSG...                   print "ok: MSG"
#   fo_pass                        print PASS (and with FO_SHOWLOGS=1 the daemons' logs); exit 0
#   fo_now                         the time now, seconds since the epoch (ns resolution)
#   fo_setup N "SETTINGS" [LINE...]
#                                  topo_init, namespaces c (client) and s (server), N synnet
#                                  links with SETTINGS, mp0 across them (extra [Interface]
#                                  LINEs for the client; [Path] lines with mpt_path_lines
#                                  before; the server's in the array FO_SERVER_LINES), both
#                                  daemons up; their pids in FO_CPID, FO_SPID, their
#                                  configs in FO_C and FO_S
#   fo_json c|s                    `mptun show --json` of that side
#   fo_path c|s NAME FIELD         one field of one path (state, tx_bytes, failures, ...)
#   fo_wait SECS CMD...            run CMD every 0.05 s until it succeeds; 0 and FO_WAITED
#                                  (ms since the call) set, or 1 after SECS
#   fo_since T                     ms from fo_now time T to now
#   fo_state_is c|s NAME STATE     the path's state is STATE ("!up": anything but up)
#   fo_recv c|s KIND PORT OUT [ARG...]
#                                  start gapprobe KIND (udp-recv, rec-recv, bulk-recv) on that
#                                  side's mp0 address, JSON to OUT; returns once it listens;
#                                  its pid in FO_PID
#   fo_send c|s KIND PORT OUT [ARG...]
#                                  start gapprobe KIND towards the other side's mp0 address in
#                                  the background, JSON to OUT; its pid in FO_PID
#   fo_fds PID                     open descriptors of PID
#   fo_rss PID                     VmRSS of PID in KiB
#   fo_vmsize PID                  VmSize of PID in KiB
#   fo_smaps PID FILE              save /proc/PID/smaps in FILE
#   fo_loose_rss BASE SMAPS        KiB resident in the heap and in anonymous mappings of
#                                  SMAPS that BASE (an earlier fo_smaps of the same process)
#                                  does not have: memory allocated since, as opposed to
#                                  preallocated regions being touched for the first time
#   fo_tx c|s                      "TX1 TX2 TX3": tx_bytes of paths p1, p2, p3 on that side
#                                  (0 for a path the side does not list)
#   fo_gaps JSON T                 the five longest gaps of a probe, "+S.SSs:MSms" from T
#   fo_sleep_until T S             sleep until S seconds after the fo_now time T
#   fo_went_down c|s NAME N        the path is not up, or has more than N failures
#   fo_transfer_event "ON" "OFF" DOWN_SECS UP_SECS
#                                  the common body of failover-blackhole, -carrier, -rst
#                                  (see its comment below)
#   fo_bulk_rates JSON TE TL       from a bulk-recv JSON: the mean rate (Mbit/s) from 1 s
#                                  after the first byte to TE, and the lowest rate of any
#                                  0.5 s window from TE + 1 s to TL as a % of that mean
# FO_TOOL is tests/tools/gapprobe.py. Addresses through the tunnel: the server's mp0 is
# 10.99.0.1, the client's 10.99.0.2.

FO_TOOL=${top_srcdir:-.}/tests/tools/gapprobe.py
FO_PYTHON=${FO_PYTHON:-python3}

fo_fail() {
	local f
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log "$TOPO_DIR"/*.json; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 25 "$f"
	done
	# each daemon's counters as they stand (a control socket works from any namespace)
	for f in "$TOPO_DIR"/*.conf.sock; do
		[ -S "$f" ] || continue
		echo "--- $f"
		"$MPTUN" show -s "$f" --json 2>&1 | jq -c '.session, (.paths[] |
			{name, state, failures, tx_bytes, rx_bytes, last_error,
			 connections: [.connections[] | {state, rtt_ms, rate_mbps, stalls, queued_bytes}]})'
	done
	exit 1
}

fo_ok() {
	echo "ok: $*"
}

fo_pass() {
	local f
	if [ -n "${FO_SHOWLOGS:-}" ]; then
		for f in "$TOPO_DIR"/*.conf.log; do echo "--- $f"; cat "$f"; done
	fi
	echo PASS
	exit 0
}

fo_now() {
	date +%s.%N
}

fo_since() {
	awk -v a="$1" -v b="$(fo_now)" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

fo_setup() {
	local n=$1 set=$2 i
	shift 2
	topo_init
	topo_ns c
	topo_ns s
	for i in $(seq "$n"); do
		topo_link c s "$i" emu "$set" || fo_fail "link $i"
	done
	FO_C=$TOPO_DIR/c.conf
	FO_S=$TOPO_DIR/s.conf
	mpt_keys || fo_fail "mptun genkey"
	mpt_server_conf "$FO_S" ${FO_SERVER_LINES[@]+"${FO_SERVER_LINES[@]}"}
	mpt_client_conf "$FO_C" "$n" "$@"
	mpt_start s "$FO_S"
	FO_SPID=${TOPO_PIDS[-1]}
	mpt_start c "$FO_C"
	FO_CPID=${TOPO_PIDS[-1]}
	mpt_wait_up c "$FO_C" "$n" || fo_fail "paths not up"
	mpt_wait_up s "$FO_S" "$n" || fo_fail "paths not up on the server"
}

fo_conf() {
	[ "$1" = c ] && echo "$FO_C" || echo "$FO_S"
}

fo_json() {
	mpt_json "$1" "$(fo_conf "$1")"
}

fo_path() {
	fo_json "$1" | jq -r --arg n "$2" ".paths[] | select(.name == \$n) | .$3"
}

fo_state_is() {
	local s
	s=$(fo_path "$1" "$2" state 2>/dev/null) || return 1
	[ -n "$s" ] || return 1
	if [ "$3" = "!up" ]; then [ "$s" != up ]; else [ "$s" = "$3" ]; fi
}

fo_wait() {
	local ms t0 t
	ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
	shift
	t0=$(date +%s%N)
	while :; do
		if "$@"; then
			FO_WAITED=$((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		t=$(date +%s%N)
		[ $(((t - t0) / 1000000)) -ge "$ms" ] && return 1
		sleep 0.05
	done
}

fo_addr() {
	[ "$1" = c ] && echo 10.99.0.2 || echo 10.99.0.1
}

fo_other() {
	[ "$1" = c ] && echo s || echo c
}

fo_recv() {
	local side=$1 kind=$2 port=$3 out=$4 rdy
	shift 4
	rdy=$out.ready
	rm -f "$rdy"
	topo_bg "$side" "$FO_PYTHON" "$FO_TOOL" "$kind" "$(fo_addr "$side")" "$port" --ready "$rdy" \
		"$@" >"$out" 2>"$out.log"
	FO_PID=${TOPO_PIDS[-1]}
	fo_wait 5 test -e "$rdy" || fo_fail "$kind did not start"
}

fo_send() {
	local side=$1 kind=$2 port=$3 out=$4
	shift 4
	topo_bg "$side" "$FO_PYTHON" "$FO_TOOL" "$kind" "$(fo_addr "$(fo_other "$side")")" "$port" \
		"$@" >"$out" 2>"$out.log"
	FO_PID=${TOPO_PIDS[-1]}
}

fo_fds() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

fo_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

fo_smaps() {
	cp "/proc/$1/smaps" "$2"
}

fo_vmsize() {
	awk '/^VmSize:/ { print $2 }' "/proc/$1/status"
}

fo_loose_rss() {
	awk -v base="$1" '
		BEGIN { while ((getline l < base) > 0) if (l ~ /^[0-9a-f]+-[0-9a-f]+ /) { split(l, f, " "); old[f[1]] = 1 } }
		/^[0-9a-f]+-[0-9a-f]+ / { r = $1; n = $6; keep = (n == "[heap]") || (n == "" && !(r in old)) }
		/^Rss:/ && keep { sum += $2 }
		END { print sum + 0 }' "$2"
}

fo_tx() {
	fo_json "$1" | jq -r '[.paths[] | {(.name): .tx_bytes}] | add // {} |
		[.p1 // 0, .p2 // 0, .p3 // 0] | map(tostring) | join(" ")'
}

fo_bulk_rates() {
	jq -r --argjson e "$2" --argjson l "$3" '
		.t0 as $t0 | .bucket as $b | .buckets as $k |
		def between(a; z): [range(0; $k | length) |
			select($t0 + . * $b >= a - 1e-6 and $t0 + (. + 1) * $b <= z + 1e-6) | $k[.]] | add // 0;
		(between($t0 + 1; $e) / ($e - $t0 - 1)) as $pre |
		([range($e + 1; $l - 0.5 + 1e-6; 0.5) as $w | between($w; $w + 0.5) / 0.5] | min) as $low |
		"\($pre * 8 / 1e6 | . * 10 | floor / 10) \(if $pre > 0 then 100 * $low / $pre | floor else 0 end)"
	' "$1"
}

# fo_gaps JSON T: the longest gaps of a probe's JSON, as "+S.SSs:MS" from time T
fo_gaps() {
	jq -r --argjson t "$2" '[.gaps[] | "\(.[0] - $t | . * 100 | round / 100)s:\(.[1])ms"] | join(" ")' "$1"
}

# fo_sleep_until T S: sleep until S seconds after fo_now time T (at once if that is past)
fo_sleep_until() {
	local w
	w=$(awk -v t="$1" -v s="$2" -v n="$(fo_now)" 'BEGIN { w = t + s - n; printf "%.3f", (w > 0 ? w : 0) }')
	sleep "$w"
}

# fo_went_down c|s NAME FAILURES: the path is not up, or failed since it had FAILURES
fo_went_down() {
	local j
	j=$(fo_json "$1" 2>/dev/null) || return 1
	echo "$j" | jq -e --arg n "$2" --argjson f "$3" \
		'.paths[] | select(.name == $n) | .state != "up" or .failures > $f' >/dev/null
}

# fo_transfer_event "ON" "OFF" DOWN_SECS UP_SECS: the body of failover-blackhole, -carrier
# and -rst, on a fo_setup of three paths. A verified bulk flow client -> server for 10 s;
# 3.5 s in, the synnet command ON hits link 2; p2 must go down (or count a failure) within
# DOWN_SECS; 3 s after the fault the command OFF (if any) ends it and p2 must be up within
# UP_SECS of that (without OFF: within UP_SECS of the fault). Then checks: the flow is
# intact and never reset, no delivery stall above FO_MAX_STALL_MS (default 1000) from the
# fault until 0.5 s before the flow ends, every 0.5 s window from 1.5 s after the fault
# until OFF at >= 30 % of the earlier rate, p1 and p3 carried bytes meanwhile, and p2
# carries >= 10 % of a fresh 3 s flow once back.
fo_transfer_event() {
	local on=$1 off=$2 dsecs=$3 usecs=$4 D=$TOPO_DIR rpid spid src f0 te tl
	local tx0 tx1 a1 a2 a3 b1 b2 b3 stall pre low share max=${FO_MAX_STALL_MS:-1000}
	fo_recv s bulk-recv 5001 "$D/recv.json" --timeout 40
	rpid=$FO_PID
	fo_send c bulk-send 5001 "$D/send.json" --duration 10 --timeout 40
	spid=$FO_PID
	sleep 3.5
	f0=$(fo_path c p2 failures)
	te=$(fo_now)
	topo_emu $on >/dev/null || fo_fail "synnet: $on"
	fo_wait "$dsecs" fo_went_down c p2 "$f0" || fo_fail "p2 still up $dsecs s after '$on'"
	FO_DOWN_MS=$(fo_since "$te")
	fo_ok "p2 down $FO_DOWN_MS ms after '$on' (bound $dsecs s; last error: $(fo_path c p2 last_error))"
	if [ -z "$off" ]; then
		fo_wait "$usecs" fo_state_is c p2 up || fo_fail "p2 not up $usecs s after '$on'"
		FO_UP_MS=$(fo_since "$te")
		fo_ok "p2 up again $FO_UP_MS ms after '$on' (bound $usecs s)"
	fi
	fo_sleep_until "$te" 1.5
	tx0=$(fo_tx c)
	fo_sleep_until "$te" 2.5
	tx1=$(fo_tx c)
	fo_sleep_until "$te" 3
	tl=$(fo_now)
	if [ -n "$off" ]; then
		topo_emu $off >/dev/null || fo_fail "synnet: $off"
		fo_wait "$usecs" fo_state_is c p2 up || fo_fail "p2 not up $usecs s after '$off'"
		FO_UP_MS=$(fo_since "$tl")
		fo_ok "p2 up again $FO_UP_MS ms after '$off' (bound $usecs s)"
	fi

	wait "$spid"
	src=$?
	wait "$rpid"
	echo "sender: $(cat "$D/send.json")"
	[ "$src" = 0 ] || fo_fail "inner TCP flow failed (sender exit $src)"
	jq -e '.ok and .eof and (.reset | not) and .error == ""' "$D/recv.json" >/dev/null ||
		fo_fail "receiver saw corrupt, reset or incomplete data: $(jq -c 'del(.buckets)' "$D/recv.json")"
	fo_ok "inner TCP flow intact: $(jq .bytes "$D/recv.json") bytes verified, no reset"
	# the longest stall from the fault until 0.5 s before the sender stops (te + 6.5 s): a
	# tail loss at the very end of the flow is the inner TCP's business, not failover's
	# (only the five longest gaps are known: if none falls in the window, the smallest of
	# them bounds the window's longest)
	stall=$(jq --argjson a "$te" '[.gaps[] | select(.[0] >= $a - 0.2 and .[0] <= $a + 6) | .[1]] as $in |
		if ($in | length) > 0 then $in | max else [.gaps[][1]] | min // 0 end | floor' "$D/recv.json")
	FO_STALL_MS=$stall
	echo "longest delivery stall after the fault: $stall ms (bound $max); longest gaps of the flow, from the fault: $(fo_gaps "$D/recv.json" "$te")"
	[ "$stall" -le "$max" ] || fo_fail "delivery stalled for $stall ms"
	read -r pre low <<<"$(fo_bulk_rates "$D/recv.json" "$(awk -v t="$te" 'BEGIN { printf "%.3f", t + 0.5 }')" "$tl")"
	echo "rate before: $pre Mbit/s; lowest half second from 1.5 s after the fault: $low % of it"
	[ "$low" -ge 30 ] || fo_fail "throughput did not recover on the other paths ($low % of before)"
	read -r a1 a2 a3 <<<"$tx0"
	read -r b1 b2 b3 <<<"$tx1"
	echo "path tx from +1.x s for 1 s: p1 $((b1 - a1)) p2 $((b2 - a2)) p3 $((b3 - a3)) bytes"
	[ $((b1 - a1)) -gt 0 ] && [ $((b3 - a3)) -gt 0 ] || fo_fail "p1 or p3 idle after the fault"
	fo_ok "bytes kept flowing on p1 and p3"

	fo_recv s bulk-recv 5002 "$D/recv2.json" --timeout 20
	tx0=$(fo_tx c)
	fo_send c bulk-send 5002 "$D/send2.json" --duration 3 --timeout 20
	wait "$FO_PID" || fo_fail "second transfer failed: $(cat "$D/send2.json")"
	tx1=$(fo_tx c)
	read -r a1 a2 a3 <<<"$tx0"
	read -r b1 b2 b3 <<<"$tx1"
	share=$((100 * (b2 - a2) / (b1 - a1 + b2 - a2 + b3 - a3 + 1)))
	echo "p2 share of a 3 s flow after its return: $share %"
	[ "$share" -ge 10 ] || fo_fail "p2 carries only $share % after its return"
	fo_ok "p2 carries traffic again"
	kill -0 "$FO_CPID" && kill -0 "$FO_SPID" || fo_fail "a daemon died"
}
