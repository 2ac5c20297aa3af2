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
topo_need socat cmp ss
DIAL=$top_builddir/tests/proxy-dial
[ -x "$DIAL" ] || { echo "SKIP: $DIAL not built"; exit 77; }
REFLECT=("$top_builddir/mptun" reflect)

topo_init
D=$TOPO_DIR
RAN=0
fail() { echo "FAIL: $*"; for f in "$D"/*.log; do echo "--- $f"; tail -n 15 "$f"; done; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

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

wait_listen() {
	local i
	for i in $(seq 100); do
		topo_exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on port $2 in $1"
}

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
topo_bg b "${REFLECT[@]}" 10.77.2.2:7000 10.77.3.2:6000 2>"$D/reflect.log"
topo_bg a socat TCP-LISTEN:7001,bind=10.77.1.2,reuseaddr,fork TCP:10.77.3.2:6000
wait_listen b 7000; wait_listen a 7001
dial_ok "tcp:// mptun reflect" 10.77.3.2:6000 tcp://10.77.2.2:7000
dial_ok "tcp:// socat" 10.77.3.2:6000 tcp://10.77.1.2:7001
dial_ok "tcp:// socat, then mptun reflect" 10.77.3.2:6000 tcp://10.77.1.2:7001 tcp://10.77.2.2:7000

# --- nftables DNAT on a ---
if have nft && topo_exec a nft -f - <<'EOF'
table ip mptun_reflect {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 7100 dnat to 10.77.3.2:6000
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr 10.77.3.2 tcp dport 6000 masquerade
	}
}
EOF
then
	dial_ok "tcp:// nftables DNAT" 10.77.3.2:6000 tcp://10.77.1.2:7100
else
	echo "skip: nftables DNAT (no nft or no nat support)"
fi

# --- xinetd redirect on a ---
if have xinetd; then
	cat >"$D/xinetd.conf" <<EOF
service mptun-relay
{
	type        = UNLISTED
	socket_type = stream
	protocol    = tcp
	wait        = no
	user        = nobody
	bind        = 10.77.1.2
	port        = 7200
	redirect    = 10.77.3.2 6000
}
EOF
	topo_bg a xinetd -dontfork -stayalive -f "$D/xinetd.conf" -pidfile "$D/xinetd.pid" \
		2>"$D/xinetd.log"
	wait_listen a 7200
	# xinetd's redirect closes both ways on the first end of stream (no half-close; mptun
	# never half-closes its connections, so that is fine): keep sending until the echo
	HOLD=1 dial_ok "tcp:// xinetd redirect" 10.77.3.2:6000 tcp://10.77.1.2:7200
else
	echo "skip: xinetd"
fi

# --- microsocks with a user and password on a ---
if have microsocks; then
	topo_bg a microsocks -i 10.77.1.2 -p 1080 -u alice -P 's3cr:t' 2>"$D/microsocks.log"
	wait_listen a 1080
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
	cat >"$D/danted.conf" <<'EOF'
logoutput: stderr
internal: 10.77.1.2 port = 1081
external: l2
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: ::/0 }
EOF
	topo_bg a danted -f "$D/danted.conf" -p "$D/danted.pid" 2>"$D/danted.log"
	wait_listen a 1081
	dial_ok "socks5 dante, IPv4 target" 10.77.3.2:6000 socks5://10.77.1.2:1081
	dial_ok "socks5 dante, IPv6 target" "[fd77:3::2]:6006" socks5://10.77.1.2:1081
	dial_err "socks5 dante, refused target" "connection refused (REP 5)" 10.77.3.2:6999 \
		socks5://10.77.1.2:1081
else
	echo "skip: dante"
fi

# --- tinyproxy with Basic auth on b ---
if have tinyproxy; then
	cat >"$D/tinyproxy.conf" <<'EOF'
User nobody
Group nogroup
Port 3128
Listen 10.77.2.2
Timeout 60
MaxClients 20
Allow 10.77.0.0/16
BasicAuth bob hunter2
EOF
	topo_bg b tinyproxy -d -c "$D/tinyproxy.conf" 2>"$D/tinyproxy.log" >&2
	wait_listen b 3128
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
