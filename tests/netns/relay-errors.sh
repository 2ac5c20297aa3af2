#!/bin/bash
# relay-errors: paths whose relay fails them, beside a good direct path.
#
#   c --l1-- s                  p1: direct, the good path
#   c --lI-- r --l60-- s        pI (I = 2..N): through a broken relay on r at 10.77.I.2
#
# For each broken relay (a wrong SOCKS5 password, wrong or missing HTTP credentials, a
# proxy that refuses the target, a "proxy" that answers garbage, one that answers nothing)
# the client logs one line naming the hop and the proxy's code with its meaning; `mptun
# show --json` has the path not up, with that message as last_error; the path is dialed
# again and again (its failures counter grows); the silent one fails after the 5 s phase
# timeout, not sooner or much later; and ping through mp0 keeps working all along.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/lib/relays.sh"
topo_need jq ping socat ss microsocks tinyproxy danted
topo_init
D=$TOPO_DIR
fail() {
	echo "FAIL: $*"
	for f in "$D"/*.log; do echo "--- $f"; tail -n 25 "$f"; done
	exit 1
}

# broken WHAT VIA ENDPOINT WANT [quiet]: a broken path; WANT is part of the message expected
# in the log and in last_error; "quiet": failures before the relay exchange (the TCP connect,
# mptun's handshake) are not logged at the default level, so only last_error is checked
VIA=() END=() WANT=() WHAT=() QUIET=()
broken() {
	local i=$((${#VIA[@]} + 2))
	WHAT[$i]=$1 VIA[$i]=$2 END[$i]=$3 WANT[$i]=$4 QUIET[$i]=${5:-}
}
S=10.77.60.2 # the server, as the relays reach it
broken "SOCKS5, wrong password" "socks5://alice:wrong@10.77.2.2:1080" $S:7000 \
	"socks5 10.77.2.2:1080: authentication failed (STATUS "
broken "HTTP, wrong password" "http://bob:wrong@10.77.3.2:3128" $S:7000 \
	"http 10.77.3.2:3128: 401 Unauthorized (credentials refused)"
broken "HTTP, no credentials" "http://10.77.4.2:3128" $S:7000 \
	"http 10.77.4.2:3128: 407 Proxy Authentication Required; give user:password@ in the hop"
broken "HTTP 407" "http://bob:wrong@10.77.5.2:3128" $S:7000 \
	"http 10.77.5.2:3128: 407 Proxy Authentication Required (credentials refused)"
broken "HTTP, target port not allowed" "http://10.77.6.2:3128" $S:7000 \
	"http 10.77.6.2:3128: 403 Forbidden"
broken "SOCKS5, target port closed" "socks5://10.77.7.2:1080" $S:7999 \
	"socks5 10.77.7.2:1080: connection refused (REP 5)"
broken "SOCKS5 hop answering garbage" "socks5://10.77.8.2:1080" $S:7000 \
	"socks5 10.77.8.2:1080: not a SOCKS5 reply (VER 83)"
broken "HTTP hop answering garbage" "http://10.77.9.2:3128" $S:7000 \
	"http 10.77.9.2:3128: malformed status line 'SSH-2.0-OpenSSH_9.2'"
broken "silent SOCKS5 hop" "socks5://10.77.10.2:1080" $S:7000 \
	"socks5 10.77.10.2:1080: timed out waiting for the method choice"
SILENT=$((${#VIA[@]} + 1))
# a reflector whose target is down takes the connection, then drops it (reset or closed)
broken "reflector, target down" "tcp://10.77.11.2:9000" $S:7000 "by peer" quiet
broken "nothing at the first hop" "tcp://10.77.12.2:9000" $S:7000 \
	"connect 10.77.12.2:9000: Connection refused" quiet
N=$((${#VIA[@]} + 1))

topo_ns c
topo_ns s
topo_ns r
topo_link c s 1 || fail "link 1"
for i in $(seq 2 $N); do topo_link c r "$i" || fail "link $i"; done
topo_link r s 60 || fail "link 60"

relay_microsocks r 10.77.2.2 1080 alice right || fail "microsocks"
relay_tinyproxy r 10.77.3.2 3128 bob right || fail "tinyproxy"
relay_tinyproxy r 10.77.4.2 3128 bob right || fail "tinyproxy"
relay_junk r 10.77.5.2 3128 "HTTP/1.1 407 Proxy Authentication Required" || fail "407 responder"
relay_tinyproxy r 10.77.6.2 3128 "" "" "ConnectPort 443" || fail "tinyproxy"
relay_dante r 10.77.7.2 1080 l60 || fail "dante"
relay_junk r 10.77.8.2 1080 "SSH-2.0-OpenSSH_9.2" || fail "junk responder"
relay_junk r 10.77.9.2 3128 "SSH-2.0-OpenSSH_9.2" || fail "junk responder"
relay_silent r 10.77.10.2 1080 || fail "silent listener"
relay_reflect r 10.77.11.2:9000 $S:7999 || fail "mptun reflect"

mpt_keys
mpt_server_conf "$D/s.conf"
for i in $(seq 2 $N); do mpt_path_lines "$i" "Via = ${VIA[$i]}" "Endpoint = ${END[$i]}"; done
relay_client_conf "$D/c.conf" $N
"$MPTUN" check "$D/c.conf" >/dev/null || fail "client config: $("$MPTUN" check "$D/c.conf" 2>&1)"
mpt_start s "$D/s.conf"
topo_wait_listen s 7000 || fail "the server does not listen"
t0=$(date +%s%N)
mpt_start c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 1 || fail "the good path did not come up"
good_failures=$(mpt_json c "$D/c.conf" | jq '.paths[] | select(.name == "p1") | .failures')
# ping through mp0 the whole time the broken paths fail and retry
topo_bg c ping -i 0.2 -c 100 -W 1 10.99.0.1 >"$D/ping.out" 2>&1
PING=$!

# path I's field F from a show --json snapshot J
field() { jq -r --arg n "p$2" ".paths[] | select(.name == \$n) | .$3" <<<"$1"; }

# every broken path fails once, with its message in the log and in show --json
silent_ms=""
for _ in $(seq 200); do
	j=$(mpt_json c "$D/c.conf")
	pending=0
	for i in $(seq 2 $N); do
		[ "$(field "$j" "$i" failures)" -ge 1 ] || { pending=1; continue; }
		[ "$i" = $SILENT ] && [ -z "$silent_ms" ] &&
			silent_ms=$((($(date +%s%N) - t0) / 1000000))
	done
	[ $pending = 0 ] && break
	sleep 0.1
done
[ $pending = 0 ] || fail "some broken paths never failed: $(jq -c '[.paths[] | {name, failures}]' <<<"$j")"
for i in $(seq 2 $N); do
	[ -n "${QUIET[$i]}" ] || grep -qF "path p$i: ${WANT[$i]}" "$D/c.conf.log" ||
		fail "${WHAT[$i]}: no log line 'path p$i: ${WANT[$i]}'"
	[ "$(field "$j" "$i" state)" != up ] || fail "${WHAT[$i]}: p$i is up"
	err=$(field "$j" "$i" last_error)
	[[ $err == *"${WANT[$i]}"* ]] || fail "${WHAT[$i]}: last_error '$err', not '${WANT[$i]}'"
	[ "$(field "$j" "$i" tx_bytes)" = 0 ] || fail "${WHAT[$i]}: p$i counted bytes"
	if [ -n "${QUIET[$i]}" ]; then
		printf '%-30s p%-2s last_error: %s\n' "${WHAT[$i]}" "$i" "$err"
	else
		printf '%-30s p%-2s logs: %s\n' "${WHAT[$i]}" "$i" "$(grep -m1 -F "path p$i: " "$D/c.conf.log")"
	fi
done
echo "# every broken path shows its error as last_error, and each relay's is logged"
# the silent hop fails by the 5 s phase timeout: not sooner, not much later
echo "# silent hop: first failure seen after $silent_ms ms"
[ "$silent_ms" -ge 4900 ] && [ "$silent_ms" -le 8000 ] ||
	fail "silent hop failed after $silent_ms ms, not about 5000"

# each is dialed again: its failures counter grows
for i in $(seq 2 $N); do f0[$i]=$(field "$j" "$i" failures); done
for _ in $(seq 300); do
	j=$(mpt_json c "$D/c.conf")
	pending=0
	for i in $(seq 2 $N); do
		[ "$(field "$j" "$i" failures)" -gt "${f0[$i]}" ] || pending=1
	done
	[ $pending = 0 ] && break
	sleep 0.1
done
[ $pending = 0 ] || fail "some broken paths were not retried: $(jq -c '[.paths[] | {name, failures}]' <<<"$j")"
for i in $(seq 2 $N); do
	[[ $(field "$j" "$i" last_error) == *"${WANT[$i]}"* ]] || fail "${WHAT[$i]}: last_error changed"
done
echo "# every broken path was dialed again: failures $(for i in $(seq 2 $N); do
	printf '%s->%s ' "${f0[$i]}" "$(field "$j" "$i" failures)"; done)"

# the good path carried the ping all along and is still up
[ "$(field "$j" 1 state)" = up ] || fail "the good path is $(field "$j" 1 state)"
[ "$(field "$j" 1 failures)" = "$good_failures" ] ||
	fail "the good path went down: $(field "$j" 1 last_error)"
kill -INT $PING 2>/dev/null
for _ in $(seq 50); do grep -q 'packets transmitted' "$D/ping.out" && break; sleep 0.1; done
read -r sent got < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$D/ping.out")
echo "# ping through mp0 meanwhile: $got of $sent answered"
[ "${sent:-0}" -ge 20 ] && [ "$got" -ge $((sent - 2)) ] || fail "ping through mp0: $(tail -n 3 "$D/ping.out")"
topo_exec c ping -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0 at the end"
echo "PASS"
