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
#   topo_wait_listen NAME PORT...
#                                until a TCP socket listens on each PORT in NAME (5 s each)
# The addresses are those of the test's own namespaces: nothing leaves the machine.
#
# Emulated links (synnet, see doc/testbed.md):
#   topo_need_emu                exit 77 unless synnet is built and ethtool, jq exist
#   topo_link A B IDX emu "SETTINGS"
#                                the same addressing as a plain link, but A's l<IDX> and
#                                B's l<IDX> are veth peers of a<IDX> and b<IDX> in the
#                                namespace "emu", bridged by one synnet process that serves
#                                every emulated link of the topology; SETTINGS (may be "")
#                                are synnet link settings, e.g. "delay 10ms loss 1%"; side a
#                                of the link is A, direction "ab" carries A -> B
#   topo_emu CMD...              send one command to that synnet ("link 2 blackhole on");
#                                prints its output; fails if synnet answers an error
#   topo_emu_get IDX DIR FIELD   one counter of link IDX, DIR ab or ba, e.g. drop_loss
#   topo_relay C R S IDX [OPTS...] [-- OPTS...]
#                                client C reaches server S through relay namespace R
#                                (created if needed): link IDX between C and R (first OPTS,
#                                as for topo_link), link IDX+100 between R and S (OPTS after
#                                --); R forwards, and C and S get routes to each other's
#                                subnet through R, so S is 10.77.<IDX+100>.2 (and
#                                fd77:<IDX+100>::2) from C, and R is 10.77.<IDX>.2
# TOPO_SYNNET names the synnet binary (default $top_builddir/tests/synnet/synnet) and
# TOPO_EMU_SEED its seed (default 1); its log is $TOPO_DIR/synnet.log.

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
	TOPO_EMU_SOCK=""
	TOPO_DIR=$(mktemp -d "/tmp/$TOPO_ID.XXXX")
	trap topo_cleanup EXIT
	trap 'exit 130' INT TERM
}

topo_cleanup() {
	local rc=$? p n
	set +e # a test's `set -e` must not cut the cleanup short
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

topo_wait_listen() {
	local ns=$1 port i
	shift
	for port; do
		for i in $(seq 100); do
			topo_exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue 2
			sleep 0.05
		done
		echo "topo: nothing listens on port $port in $ns" >&2
		return 1
	done
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
	local a=$1 b=$2 i=$3 rate="" queue=20 emu="" emu_set=""
	shift 3
	while [ $# -gt 0 ]; do
		case $1 in
		rate) rate=$2; shift 2 ;;
		queue) queue=$2; shift 2 ;;
		emu) emu=$2; emu_set=1; shift 2 ;;
		*) echo "topo_link: unknown option $1" >&2; return 1 ;;
		esac
	done
	if [ -n "$emu_set" ]; then
		topo_emu_veths "$a" "$b" "$i" || return 1
	else
		# created directly inside the namespaces, so the names cannot clash with anything
		ip link add "l$i" netns "$(topo_nsname "$a")" type veth peer name "l$i" \
			netns "$(topo_nsname "$b")" || return 1
	fi
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
	if [ -n "$emu_set" ]; then
		# ends and bridge first, impairments once the link is known to pass
		topo_emu link "$i" add "a$i" "b$i" >/dev/null || return 1
	fi
	# a fresh veth takes a moment before IPv6 passes: wait until it does
	local n
	for n in $(seq 50); do
		if topo_exec "$a" ping -6 -c1 -W1 -i0.1 "fd77:$i::2" >/dev/null 2>&1; then
			[ -n "$emu_set" ] && [ -n "$emu" ] && { topo_emu link "$i" $emu >/dev/null || return 1; }
			return 0
		fi
		sleep 0.05
	done
	echo "topo_link: link $i does not pass IPv6" >&2
	return 1
}

topo_need_emu() {
	topo_need ethtool jq
	TOPO_SYNNET=${TOPO_SYNNET:-${top_builddir:-.}/tests/synnet/synnet}
	[ -x "$TOPO_SYNNET" ] || { echo "SKIP: $TOPO_SYNNET not built"; exit 77; }
}

# topo_emu_start: the middle namespace "emu" and its synnet, once per topology.
topo_emu_start() {
	local n
	[ -n "$TOPO_EMU_SOCK" ] && return 0
	TOPO_SYNNET=${TOPO_SYNNET:-${top_builddir:-.}/tests/synnet/synnet}
	[ -x "$TOPO_SYNNET" ] || { echo "topo: $TOPO_SYNNET not built" >&2; return 1; }
	topo_ns emu || return 1
	# the middle only bridges: no addresses, no IPv6 chatter of its own on the ends
	topo_exec emu sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	TOPO_EMU_SOCK=$TOPO_DIR/synnet.sock
	topo_bg emu "$TOPO_SYNNET" -S "${TOPO_EMU_SEED:-1}" -s "$TOPO_EMU_SOCK" \
		2>>"$TOPO_DIR/synnet.log"
	for n in $(seq 100); do
		"$TOPO_SYNNET" ctl "$TOPO_EMU_SOCK" stats >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "topo: synnet does not answer (see $TOPO_DIR/synnet.log)" >&2
	cat "$TOPO_DIR/synnet.log" >&2
	return 1
}

# topo_emu_veths A B IDX: l<IDX> in A <-> a<IDX> in emu, b<IDX> in emu <-> l<IDX> in B.
topo_emu_veths() {
	local a=$1 b=$2 i=$3 e
	topo_emu_start || return 1
	e=$(topo_nsname emu)
	ip link add "l$i" netns "$(topo_nsname "$a")" type veth peer name "a$i" netns "$e" ||
		return 1
	ip link add "b$i" netns "$e" type veth peer name "l$i" netns "$(topo_nsname "$b")" ||
		return 1
	# frames must reach synnet whole and checksummed: no TSO super-frames or checksum
	# offload from the hosts (GSO still segments in software), no GRO in the middle
	topo_exec "$a" ethtool -K "l$i" tx off tso off >/dev/null 2>&1
	topo_exec "$b" ethtool -K "l$i" tx off tso off >/dev/null 2>&1
	topo_exec emu ethtool -K "a$i" tx off tso off gro off >/dev/null 2>&1
	topo_exec emu ethtool -K "b$i" tx off tso off gro off >/dev/null 2>&1
	ip -n "$e" link set "a$i" up
	ip -n "$e" link set "b$i" up
}

topo_emu() {
	"$TOPO_SYNNET" ctl "$TOPO_EMU_SOCK" "$@"
}

topo_emu_get() {
	topo_emu stats "$1" | jq -r ".links[0].$2.$3"
}

topo_relay() {
	local c=$1 r=$2 s=$3 i=$4 j=$(($4 + 100)) n
	local -a one=() two=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do one+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	two=("$@")
	n=$(topo_nsname "$r")
	ip netns list | grep -qw "^$n" || topo_ns "$r" || return 1
	topo_link "$c" "$r" "$i" "${one[@]}" || return 1
	topo_link "$r" "$s" "$j" "${two[@]}" || return 1
	topo_exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$(topo_nsname "$c")" route add "10.77.$j.0/24" via "10.77.$i.2"
	ip -n "$(topo_nsname "$c")" -6 route add "fd77:$j::/64" via "fd77:$i::2"
	ip -n "$(topo_nsname "$s")" route add "10.77.$i.0/24" via "10.77.$j.1"
	ip -n "$(topo_nsname "$s")" -6 route add "fd77:$i::/64" via "fd77:$j::1"
}
