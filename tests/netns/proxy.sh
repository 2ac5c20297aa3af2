#!/bin/bash
# proxy.sh: the proxy module (through tests/proxy-dial) against the reflectors and proxies
# users run, configured as doc/relays.md says:
#
#   c --l1-- a --l2-- b --l3-- s
#   a: microsocks (SOCKS5, user/password), dante (SOCKS5, no auth), nftables DNAT, xinetd
#   b: tinyproxy (HTTP CONNECT, Basic auth), mptun reflect
#   s: echo servers
#
# Each kind alone, a chain socks5 -> http -> tcp, the errors each proxy can give (bad
# password, missing credentials, refused target), and SOCKS5 targets as a name, IPv4 and
# IPv6. Parts whose program is missing are skipped; the test skips when none can run.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/relays.sh"
topo_need socat cmp ss
DIAL=$top_builddir/tests/proxy-dial
[ -x "$DIAL" ] || { echo "SKIP: $DIAL not built"; exit 77; }

topo_init
D=$TOPO_DIR
RAN=0
fail() { echo "FAIL: $*"; for f in "$D"/*.log; do echo "--- $f"; tail -n 15 "$f"; done; exit 1; }
have() { relay_have "$1"; }

topo_ns c; topo_ns a; topo_ns b; topo_ns s
topo_link c a 1 && topo_link a b 2 && topo_link b s 3 || fail "links"
for n in a b; do
	topo_exec $n sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
topo_exec c ip route add default via 10.77.1.2
topo_exec a ip route add 10.77.3.0/24 via 10.77.2.2
topo_exec b ip route add 10.77.1.0/24 via 10.77.2.1
topo_exec s ip route add default via 10.77.3.1
topo_exec a ip -6 route add fd77:3::/64 via fd77:2::2
topo_exec s ip -6 route add default via fd77:3::1
topo_exec b ip -6 route add fd77:1::/64 via fd77:2::1

wait_listen() { topo_wait_listen "$1" "$2" || fail "nothing listens on port $2 in $1"; }

# dial_ok WHAT ENDPOINT HOP...: send a line through the chain, expect it back (echo
# server); the sending side stays open HOLD seconds (0.5) before its end of stream, since
# microsocks and xinetd close both ways on the first end of stream
dial_ok() {
	local what=$1 out
	shift
	out=$( (echo "hello $what"; sleep "${HOLD:-0.5}") |
		timeout 10 ip netns exec "$(topo_nsname c)" "$DIAL" "$@" 2>&1)
	[ "$out" = "hello $what" ] || fail "$what: got '$out'"
	echo "ok: $what"
	RAN=$((RAN + 1))
}

# dial_err WHAT 'message part' ENDPOINT HOP...: the chain must fail with that message
dial_err() {
	local what=$1 want=$2 out
	shift 2
	out=$(echo x | timeout 10 ip netns exec "$(topo_nsname c)" "$DIAL" "$@" 2>&1) &&
		fail "$what: succeeded"
	case $out in *"$want"*) ;; *) fail "$what: '$out' lacks '$want'" ;; esac
	echo "ok: $what: $out"
	RAN=$((RAN + 1))
}

# echo servers: on s (v4 and v6), and on a's loopback for a SOCKS5 name target
topo_bg s socat TCP-LISTEN:6000,reuseaddr,fork EXEC:cat
topo_bg s socat TCP6-LISTEN:6006,reuseaddr,fork EXEC:cat
topo_bg a socat TCP-LISTEN:6100,bind=127.0.0.1,reuseaddr,fork EXEC:cat
wait_listen s 6000; wait_listen s 6006; wait_listen a 6100

dial_ok "direct" 10.77.3.2:6000

# --- mptun reflect (b) and socat (a) as tcp:// hops ---
relay_reflect b 10.77.2.2:7000 10.77.3.2:6000 || fail "mptun reflect"
relay_socat a 10.77.1.2 7001 10.77.3.2 6000 || fail "socat"
dial_ok "tcp:// mptun reflect" 10.77.3.2:6000 tcp://10.77.2.2:7000
dial_ok "tcp:// socat" 10.77.3.2:6000 tcp://10.77.1.2:7001
dial_ok "tcp:// socat, then mptun reflect" 10.77.3.2:6000 tcp://10.77.1.2:7001 tcp://10.77.2.2:7000

# --- nftables DNAT on a ---
if relay_dnat a 7100 10.77.3.2 6000; then
	dial_ok "tcp:// nftables DNAT" 10.77.3.2:6000 tcp://10.77.1.2:7100
else
	echo "skip: nftables DNAT (no nft or no nat support)"
fi

# --- xinetd redirect on a ---
if have xinetd; then
	relay_xinetd a 10.77.1.2 7200 10.77.3.2 6000 || fail "xinetd"
	# xinetd's redirect closes both ways on the first end of stream (no half-close; mptun
	# never half-closes its connections, so that is fine): keep sending until the echo
	HOLD=1 dial_ok "tcp:// xinetd redirect" 10.77.3.2:6000 tcp://10.77.1.2:7200
else
	echo "skip: xinetd"
fi

# --- microsocks with a user and password on a ---
if have microsocks; then
	relay_microsocks a 10.77.1.2 1080 alice 's3cr:t' || fail "microsocks"
	M=socks5://alice:s3cr%3At@10.77.1.2:1080
	dial_ok "socks5 microsocks, IPv4 target" 10.77.3.2:6000 $M
	dial_ok "socks5 microsocks, name target" localhost:6100 $M
	dial_ok "socks5 microsocks, IPv6 target" "[fd77:3::2]:6006" $M
	dial_err "socks5 wrong password" "authentication failed (STATUS" 10.77.3.2:6000 \
		socks5://alice:nope@10.77.1.2:1080
	dial_err "socks5 no credentials" "no acceptable authentication method (METHOD 0xff)" \
		10.77.3.2:6000 socks5://10.77.1.2:1080
	dial_err "socks5 refused target" "(REP " 10.77.3.2:6999 $M
else
	echo "skip: microsocks"
fi

# --- dante without authentication on a ---
if have danted; then
	relay_dante a 10.77.1.2 1081 l2 || fail "dante"
	dial_ok "socks5 dante, IPv4 target" 10.77.3.2:6000 socks5://10.77.1.2:1081
	dial_ok "socks5 dante, IPv6 target" "[fd77:3::2]:6006" socks5://10.77.1.2:1081
	dial_err "socks5 dante, refused target" "connection refused (REP 5)" 10.77.3.2:6999 \
		socks5://10.77.1.2:1081
else
	echo "skip: dante"
fi

# --- tinyproxy with Basic auth on b ---
if have tinyproxy; then
	relay_tinyproxy b 10.77.2.2 3128 bob hunter2 || fail "tinyproxy"
	T=http://bob:hunter2@10.77.2.2:3128
	dial_err "http no credentials" "give user:password@ in the hop" 10.77.3.2:6000 \
		http://10.77.2.2:3128
	dial_ok "http tinyproxy" 10.77.3.2:6000 $T
	# tinyproxy answers 401 rather than 407 to bad credentials
	dial_err "http wrong password" "(credentials refused)" 10.77.3.2:6000 \
		http://bob:nope@10.77.2.2:3128
	dial_err "http refused target" "http 10.77.2.2:3128: 5" 10.77.3.2:6999 $T
	if have microsocks; then
		# the chain of the docs: SOCKS5, then HTTP CONNECT, then a plain reflector
		dial_ok "chain socks5 -> http -> tcp" 10.77.3.2:6000 $M $T tcp://10.77.2.2:7000
		head -c 3000000 /dev/urandom >"$D/in.bin"
		(cat "$D/in.bin"; sleep 2) | timeout 30 ip netns exec "$(topo_nsname c)" "$DIAL" \
			10.77.3.2:6000 $M $T tcp://10.77.2.2:7000 >"$D/out.bin" || fail "chain: 3 MB echo"
		cmp -s "$D/in.bin" "$D/out.bin" || fail "chain: 3 MB echo differs"
		echo "ok: 3 MB echo through socks5 -> http -> tcp"
	fi
else
	echo "skip: tinyproxy"
fi

[ $RAN -gt 5 ] || { echo "SKIP: too few parts could run"; exit 77; }
echo "PASS ($RAN checks)"
