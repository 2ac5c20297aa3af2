# topo.sh: build test topologies out of network namespaces and veth links.
#
# Source it from a bash script, then:
#   topo_init                    unique id, cleanup of everything on EXIT (also on failure)
#   topo_ns NAME                 a namespace; its real name is "$(topo_nsname NAME)"
#   topo_link A B IDX [rate MBIT] [queue MS]
#                                a veth link between namespaces A and B, link number IDX
#                                (1..250): A gets 10.77.IDX.1/24 and fd77:IDX::1/64 on
#                                interface "l<IDX>", B gets .2 and ::2 on its "l<IDX>";
#                                with rate, both directions go through tbf at MBIT Mbit/s
#                                with a queue of MS milliseconds (default 20)
#   topo_exec NAME CMD...        run CMD inside namespace NAME
#   topo_bg NAME CMD...          the same in the background; killed at cleanup
#   topo_need CMD...             exit 77 (skip) unless every CMD exists and we are root
# The addresses are those of the test's own namespaces: nothing leaves the machine.

topo_need() {
	local c
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for c in ip "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c not installed"; exit 77; }
	done
}

topo_init() {
	TOPO_ID="mpt$$$(printf '%04x' $((RANDOM % 65536)))"
	TOPO_NS=()
	TOPO_PIDS=()
	TOPO_DIR=$(mktemp -d "/tmp/$TOPO_ID.XXXX")
	trap topo_cleanup EXIT
	trap 'exit 130' INT TERM
}

topo_cleanup() {
	local rc=$? p n
	for p in "${TOPO_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TOPO_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for n in "${TOPO_NS[@]}"; do
		# anything still running inside (daemons started by the test) goes too
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TOPO_DIR"
	exit "$rc"
}

topo_nsname() {
	echo "$TOPO_ID-$1"
}

topo_ns() {
	local n
	n=$(topo_nsname "$1")
	ip netns add "$n" || return 1
	TOPO_NS+=("$n")
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

topo_exec() {
	local n
	n=$(topo_nsname "$1")
	shift
	ip netns exec "$n" "$@"
}

topo_bg() {
	local n
	n=$(topo_nsname "$1")
	shift
	ip netns exec "$n" "$@" &
	TOPO_PIDS+=($!)
}

# topo_tbf NS DEV MBIT QUEUE_MS: shape egress of DEV in namespace NS.
topo_tbf() {
	local burst limit
	# burst: at least one jumbo frame, about 1 ms at the rate; limit: QUEUE_MS at the rate
	burst=$(( $3 * 1000000 / 8 / 1000 )); [ "$burst" -lt 65536 ] && burst=65536
	limit=$(( $3 * 1000000 / 8 * $4 / 1000 + burst ))
	ip -n "$(topo_nsname "$1")" link set "$2" gso_max_size 65536 2>/dev/null
	tc -n "$(topo_nsname "$1")" qdisc replace dev "$2" root tbf rate "$3mbit" burst "$burst" limit "$limit"
}

topo_link() {
	local a=$1 b=$2 i=$3 rate="" queue=20
	shift 3
	while [ $# -gt 0 ]; do
		case $1 in
		rate) rate=$2; shift 2 ;;
		queue) queue=$2; shift 2 ;;
		*) echo "topo_link: unknown option $1" >&2; return 1 ;;
		esac
	done
	# created directly inside the namespaces, so the names cannot clash with anything
	ip link add "l$i" netns "$(topo_nsname "$a")" type veth peer name "l$i" \
		netns "$(topo_nsname "$b")" || return 1
	ip -n "$(topo_nsname "$a")" addr add "10.77.$i.1/24" dev "l$i"
	ip -n "$(topo_nsname "$b")" addr add "10.77.$i.2/24" dev "l$i"
	ip -n "$(topo_nsname "$a")" addr add "fd77:$i::1/64" dev "l$i" nodad
	ip -n "$(topo_nsname "$b")" addr add "fd77:$i::2/64" dev "l$i" nodad
	ip -n "$(topo_nsname "$a")" link set "l$i" up
	ip -n "$(topo_nsname "$b")" link set "l$i" up
	if [ -n "$rate" ]; then
		topo_tbf "$a" "l$i" "$rate" "$queue"
		topo_tbf "$b" "l$i" "$rate" "$queue"
	fi
	# a fresh veth takes a moment before IPv6 passes: wait until it does
	local n
	for n in $(seq 50); do
		topo_exec "$a" ping -6 -c1 -W1 -i0.1 "fd77:$i::2" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "topo_link: link $i does not pass IPv6" >&2
	return 1
}
