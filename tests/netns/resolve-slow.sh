#!/usr/bin/env bash
# resolve-slow: path p2's Endpoint is a name, and the resolver the client sees
# (tests/tools/slowdns.py, in the client's namespace) first never answers, then answers only
# after 5 s. Meanwhile p1 carries a paced UDP flow through mp0 (a datagram every 20 ms for
# 25 s) that must arrive whole with no gap over 200 ms: names are looked up off the daemon's
# loop (src/resolve.c), where a lookup used to freeze every path for the resolver's whole
# timeout at each dial. Also: p2's connections show "resolving" while they wait, its two
# connections and their redials share one lookup, a lookup that takes too long is logged,
# p2 comes up once the name resolves, a dial that cannot reach the address (the server
# stopped) looks the name up again, and the daemon exits at once (status 0) while that
# lookup hangs. RS_SHOWLOGS=1 prints the client's and the resolver's logs on success.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq python3 unshare mount

NAME=slow.mptun.test
DNS=$top_srcdir/tests/tools/slowdns.py
PROBE=$top_srcdir/tests/tools/gapprobe.py
MAX_GAP_MS=200
ERRORS=()

fail() {
	local f
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log "$TOPO_DIR"/*.json; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 30 "$f"
	done
	exit 1
}

# wait_file FILE SECS: until FILE exists.
wait_file() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# paths_up N SECS: until N paths are up, by the clock (a frozen daemon makes each `show`
# wait its full 5 s).
paths_up() {
	local end=$((SECONDS + $2)) up
	while [ $SECONDS -lt $end ]; do
		up=$(mpt_json c "$C" 2>/dev/null | jq '[.paths[] | select(.state == "up")] | length' 2>/dev/null)
		[ "${up:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

p2_field() {
	mpt_json c "$C" 2>/dev/null | jq -r ".paths[] | select(.name == \"p2\") | $1" 2>/dev/null
}

topo_init
topo_ns c
topo_ns s
topo_link c s 1 || fail "cannot make link 1"
topo_link c s 2 || fail "cannot make link 2"
mpt_keys || fail "cannot make keys"
S=$TOPO_DIR/s.conf
C=$TOPO_DIR/c.conf

# The client's resolver is slowdns on its own loopback: one try of 8 s per query. The
# client runs in a mount namespace of its own that sees these two files, nothing else does.
echo drop >"$TOPO_DIR/dns.mode"
printf 'nameserver 127.0.0.1\noptions timeout:8 attempts:1\n' >"$TOPO_DIR/resolv.conf"
printf 'hosts: files dns\n' >"$TOPO_DIR/nsswitch.conf"
topo_bg c python3 "$DNS" 127.0.0.1 53 "$NAME" "$TOPO_DIR/dns.mode" --delay 5 \
	--timeout 900 --ready "$TOPO_DIR/dns.ready" >"$TOPO_DIR/dns.log"
wait_file "$TOPO_DIR/dns.ready" 10 || fail "slowdns did not start"

mpt_server_conf "$S"
mpt_path_lines 2 "Endpoint = $NAME:7000" "Connections = 2"
mpt_client_conf "$C" 2
mpt_start s "$S"
topo_wait_listen s 7000 || fail "the server does not listen"
topo_bg c unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
	mount --bind "$2" /etc/nsswitch.conf && exec "$3" run "$4"' sh \
	"$TOPO_DIR/resolv.conf" "$TOPO_DIR/nsswitch.conf" "$MPTUN" "$C" 2>"$C.log"
CPID=${TOPO_PIDS[-1]}
paths_up 1 30 ||
	fail "p1 (numeric endpoint) not up within 30 s: its dial and handshake need the loop, which p2's lookups must not hold"

topo_bg s python3 "$PROBE" udp-recv 10.99.0.1 9000 --ready "$TOPO_DIR/recv.ready" \
	>"$TOPO_DIR/recv.json"
wait_file "$TOPO_DIR/recv.ready" 10 || fail "the probe's receiver did not start"
topo_bg c python3 "$PROBE" udp-send 10.99.0.1 9000 --interval 20 --count 1250 \
	>"$TOPO_DIR/send.json"
SEND_PID=${TOPO_PIDS[-1]}
echo "$(date +%s.%N) probe starts" >>"$TOPO_DIR/dns.log"
RECV_PID=${TOPO_PIDS[-2]}

# While the resolver says nothing: the connections wait in "resolving", then time out.
seen=""
states=""
end=$((SECONDS + 6))
while [ $SECONDS -lt $end ]; do
	states=$(p2_field '[.connections[].state] | join(",")')
	case ",$states," in *,resolving,*) seen=1; break ;; esac
	sleep 0.1
done
[ -n "$seen" ] || ERRORS+=("p2's connections never showed \"resolving\" (last seen: '$states')")
# a lookup that takes longer than a dial's phase timeout (5 s) is named, once
end=$((SECONDS + 10))
while [ $SECONDS -lt $end ] && ! grep -q "p2: .*resolving $NAME timed out" "$C.log"; do
	sleep 0.1
done
why=$(grep -m1 "p2: .*resolving $NAME timed out" "$C.log")
if [ -n "$why" ]; then
	echo "ok: p2 while the resolver is silent: $states; ${why#* * }"
else
	ERRORS+=("the log does not say that resolving $NAME timed out")
fi

# Now the resolver answers, 5 s late.
echo 10.77.2.2 >"$TOPO_DIR/dns.mode"
echo "$(date +%s.%N) resolver answers from now" >>"$TOPO_DIR/dns.log"
if paths_up 2 40; then
	echo "ok: p2 up: $(p2_field '[.connections[] | .state + " " + .peer] | join(", ")')"
else
	ERRORS+=("p2 did not come up within 40 s once $NAME resolved")
fi

wait "$SEND_PID"
wait "$RECV_PID"
[ -s "$TOPO_DIR/recv.json" ] || fail "the probe's receiver printed nothing"
gap=$(jq .max_gap_ms "$TOPO_DIR/recv.json")
lost=$(jq .lost "$TOPO_DIR/recv.json")
got=$(jq .received "$TOPO_DIR/recv.json")
echo "probe: $got datagrams, $lost lost, longest gap $gap ms" \
	"($(jq -c .gaps "$TOPO_DIR/recv.json"))"
jq -e ".max_gap_ms <= $MAX_GAP_MS" "$TOPO_DIR/recv.json" >/dev/null ||
	ERRORS+=("the flow on p1 stopped for $gap ms (over $MAX_GAP_MS ms) while $NAME was resolved")
# (a loaded machine may stall p1 for a moment, and p1 is all there is until p2 comes up: a
# frozen loop queues datagrams in the tun device rather than losing them, so loss is not
# what tells a freeze; the gap is)
jq -e '.lost <= 12 and .end_marker' "$TOPO_DIR/recv.json" >/dev/null ||
	ERRORS+=("the flow on p1 lost $lost datagrams (more than 1 %)")

# One lookup in flight per name: the silent phase saw one A query, whatever the redials.
silent=$(grep -c "query [0-9]* A $NAME drop" "$TOPO_DIR/dns.log")
[ "$silent" = 1 ] ||
	ERRORS+=("$silent lookups of $NAME while the resolver was silent (two connections redialing), not 1")
echo "ok: $silent lookup while the resolver was silent; $(grep -c "query [0-9]* A $NAME" \
	"$TOPO_DIR/dns.log") in all"

# A dial that cannot reach the address asks the resolver again; and a lookup that never
# ends does not hold up the daemon's exit.
echo drop >"$TOPO_DIR/dns.mode"
mpt_stop "$S"
end=$((SECONDS + 15))
while [ $SECONDS -lt $end ] && [ "$(grep -c "query [0-9]* A $NAME drop" "$TOPO_DIR/dns.log")" -lt 2 ]; do
	sleep 0.1
done
if [ "$(grep -c "query [0-9]* A $NAME drop" "$TOPO_DIR/dns.log")" -lt 2 ]; then
	ERRORS+=("no new lookup of $NAME after its server went away")
else
	t0=$(date +%s%N)
	kill -TERM "$CPID"
	wait "$CPID"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" != 0 ] || [ "$ms" -gt 2000 ]; then
		ERRORS+=("with a lookup in flight the client exited $rc after $ms ms (want 0, within 2 s)")
	else
		echo "ok: redial after the server went away looked $NAME up again; exit 0 in $ms ms with the lookup in flight"
	fi
fi

if [ ${#ERRORS[@]} -gt 0 ]; then
	for e in "${ERRORS[@]:1}"; do echo "FAIL: $e"; done
	fail "${ERRORS[0]}"
fi
[ -n "${RS_SHOWLOGS:-}" ] && cat "$C.log" "$TOPO_DIR/dns.log"
echo PASS
