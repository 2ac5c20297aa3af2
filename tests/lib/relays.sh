# relays.sh: start the reflectors and proxies users put on an mptun path, inside the
# namespaces of a topo.sh topology, configured as doc/relays.md says.
#
# Source after topo.sh (and topo_init). Every function starts one relay in the background
# (killed at cleanup with its namespace), logs to $TOPO_DIR/KIND-NS-IP-PORT.log, waits until it
# listens and returns non-zero when it does not (or its program is missing): callers say
# `relay_x ... || fail "..."`.
#
#   relay_have CMD...              true when every CMD is installed
#   relay_socat NS IP PORT TIP TPORT [OPT]
#                                  socat forwarding IP:PORT to TIP:TPORT, a fork per connection;
#                                  OPT (e.g. nodelay) is added to both of socat's addresses
#   relay_reflect NS LISTEN TARGET [OPTION...]
#                                  mptun reflect LISTEN TARGET (LISTEN and TARGET as host:port)
#   relay_dnat NS PORT TIP TPORT   nftables: DNAT of TCP port PORT to TIP:TPORT, masqueraded
#                                  (one rule set per namespace); fails without nat support
#   relay_xinetd NS IP PORT TIP TPORT
#                                  xinetd `redirect` from IP:PORT to TIP:TPORT
#   relay_microsocks NS IP PORT [USER PASS]
#                                  microsocks SOCKS5, with RFC 1929 credentials when given
#   relay_dante NS IP PORT EXTIF   dante SOCKS5 without authentication, leaving through EXTIF
#   relay_tinyproxy NS IP PORT [USER PASS [LINE...]]
#                                  tinyproxy HTTP CONNECT, Basic auth when USER is not "",
#                                  extra config LINEs (e.g. "ConnectPort 443")
#   relay_junk NS IP PORT TEXT     a "proxy" that answers every connection with TEXT (and a
#                                  CR LF), then reads forever
#   relay_silent NS IP PORT        a "proxy" that accepts and never says a word
#   relay_client_conf FILE N [LINE...]
#                                  mpt_client_conf (tests/lib/mptun.sh), except that a path
#                                  given its own `Endpoint = ...` by mpt_path_lines keeps only
#                                  that one (mpt_client_conf writes a default for each path)
# MPTUN names the mptun binary (default: $top_builddir/mptun).

relay_have() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null 2>&1 || return 1; done
}

relay_socat() {
	local o=${6:+,$6}
	relay_have socat || return 1
	topo_bg "$1" socat TCP-LISTEN:"$3",bind="$2",reuseaddr,fork,keepalive"$o" TCP:"$4":"$5""$o" \
		2>>"$TOPO_DIR/socat-$1-$2-$3.log"
	topo_wait_listen "$1" "$3"
}

relay_reflect() {
	local ns=$1 listen=$2 target=$3
	shift 3
	topo_bg "$ns" "${MPTUN:-${top_builddir:-.}/mptun}" reflect "$@" "$listen" "$target" \
		2>>"$TOPO_DIR/reflect-$ns-$listen.log"
	topo_wait_listen "$ns" "${listen##*:}"
}

relay_dnat() {
	local ns=$1 port=$2 tip=$3 tport=$4
	relay_have nft || return 1
	topo_exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	# the masquerade brings the answers back through the relay whatever the target's routes
	topo_exec "$ns" nft -f - <<EOF || return 1
table ip mptun_reflect {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport $port dnat to $tip:$tport
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr $tip tcp dport $tport masquerade
	}
}
EOF
}

relay_xinetd() {
	local ns=$1 ip=$2 port=$3 f=$TOPO_DIR/xinetd-$1-$2-$3
	relay_have xinetd || return 1
	cat >"$f.conf" <<EOF
service mptun-relay-$port
{
	type        = UNLISTED
	socket_type = stream
	protocol    = tcp
	wait        = no
	user        = nobody
	bind        = $ip
	port        = $port
	redirect    = $4 $5
}
EOF
	topo_bg "$ns" xinetd -dontfork -stayalive -f "$f.conf" -pidfile "$f.pid" 2>"$f.log"
	topo_wait_listen "$ns" "$port"
}

relay_microsocks() {
	local auth=()
	relay_have microsocks || return 1
	[ $# -ge 5 ] && auth=(-u "$4" -P "$5")
	topo_bg "$1" microsocks -i "$2" -p "$3" "${auth[@]}" 2>>"$TOPO_DIR/microsocks-$1-$2-$3.log"
	topo_wait_listen "$1" "$3"
}

relay_dante() {
	local f=$TOPO_DIR/danted-$1-$2-$3
	relay_have danted || return 1
	cat >"$f.conf" <<EOF
logoutput: stderr
internal: $2 port = $3
external: $4
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: ::/0 }
EOF
	topo_bg "$1" danted -f "$f.conf" -p "$f.pid" 2>"$f.log"
	topo_wait_listen "$1" "$3"
}

relay_tinyproxy() {
	local ns=$1 ip=$2 port=$3 user=${4:-} pass=${5:-} f=$TOPO_DIR/tinyproxy-$1-$2-$3 l
	relay_have tinyproxy || return 1
	shift 5 2>/dev/null || shift $#
	{
		echo "User nobody"
		echo "Group nogroup"
		echo "Port $port"
		echo "Listen $ip"
		echo "Timeout 600"
		echo "MaxClients 20"
		echo "Allow 10.77.0.0/16"
		[ -n "$user" ] && echo "BasicAuth $user $pass"
		for l in "$@"; do echo "$l"; done
	} >"$f.conf"
	topo_bg "$ns" tinyproxy -d -c "$f.conf" 2>"$f.log" >&2
	topo_wait_listen "$ns" "$port"
}

relay_junk() {
	local f=$TOPO_DIR/junk-$1-$2-$3
	relay_have socat || return 1
	printf '%s\r\n' "$4" >"$f.txt"
	# the answer goes out at once and the connection stays open
	topo_bg "$1" socat TCP-LISTEN:"$3",bind="$2",reuseaddr,fork \
		SYSTEM:"cat $f.txt; exec cat >/dev/null" 2>>"$f.log"
	topo_wait_listen "$1" "$3"
}

relay_silent() {
	relay_have socat || return 1
	topo_bg "$1" socat TCP-LISTEN:"$3",bind="$2",reuseaddr,fork \
		SYSTEM:"exec cat >/dev/null" 2>>"$TOPO_DIR/silent-$1-$2-$3.log"
	topo_wait_listen "$1" "$3"
}

relay_client_conf() {
	local f=$1
	mpt_client_conf "$@" || return 1
	# per [Path]: when two Endpoint lines are there, the first is the default: drop it
	awk '
	function flush(  i, skip) {
		skip = (neps > 1) ? first : 0
		for (i = 1; i <= n; i++)
			if (i != skip)
				print buf[i]
		n = 0; neps = 0; first = 0
	}
	/^\[/ { flush() }
	{ buf[++n] = $0 }
	/^Endpoint *=/ { if (++neps == 1) first = n }
	END { flush() }
	' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
}
