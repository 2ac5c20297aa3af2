# mptun.sh: run a pair of mptun daemons across a topo.sh topology.
#
# Source after topo.sh (and topo_init). Then:
#   mpt_keys                       fresh key pairs for client and server
#   mpt_server_conf FILE [LINE...] a listening config: mp0 10.99.0.1/24 + fd99::1/64,
#                                  Listen on port 7000 (v4 and v6); extra LINEs go to
#                                  [Interface]
#   mpt_client_conf FILE N [LINE...]
#                                  a dialing config: mp0 10.99.0.2/24 + fd99::2/64 and N
#                                  paths p1..pN, path I bound to interface lI and dialing
#                                  10.77.I.2:7000; extra LINEs go to [Interface]
#   mpt_path_lines I LINE...       extra lines for [Path] pI of the next mpt_client_conf
#   mpt_start NS FILE              run the daemon in namespace NS (log: FILE.log)
#   mpt_wait_up NS FILE N [SECS]   wait until N paths are up (default 10 s)
#   mpt_json NS FILE               print `mptun show --json`
#   mpt_path_tx NS FILE NAME       tx_bytes of one path
#   mpt_stop FILE                  stop the daemon running FILE
# MPTUN names the binary (default: $top_builddir/mptun); MPT_MTU and MPT_CC, when set, give
# every config an MTU and every path a Congestion; MPT_EXPRESS=yes or no sets every path's
# Express (unset: the daemon's default, yes).

MPTUN=${MPTUN:-${top_builddir:-.}/mptun}
MPT_MTU=${MPT_MTU:-}
MPT_CC=${MPT_CC:-}
MPT_EXPRESS=${MPT_EXPRESS:-}
declare -A MPT_PATH_EXTRA

mpt_keys() {
	MPT_CPRIV=$("$MPTUN" genkey) && MPT_CPUB=$(echo "$MPT_CPRIV" | "$MPTUN" pubkey) &&
		MPT_SPRIV=$("$MPTUN" genkey) && MPT_SPUB=$(echo "$MPT_SPRIV" | "$MPTUN" pubkey)
}

mpt_server_conf() {
	local f=$1 l
	shift
	{
		echo "[Interface]"
		echo "Address = 10.99.0.1/24"
		echo "Address = fd99::1/64"
		echo "Listen = 0.0.0.0:7000"
		echo "Listen = [::]:7000"
		echo "PrivateKey = $MPT_SPRIV"
		echo "ControlSocket = $f.sock"
		[ -n "$MPT_MTU" ] && echo "MTU = $MPT_MTU"
		for l in "$@"; do echo "$l"; done
		echo "[Peer]"
		echo "PublicKey = $MPT_CPUB"
	} >"$f"
}

mpt_path_lines() {
	local i=$1
	shift
	MPT_PATH_EXTRA[$i]=$(printf '%s\n' "$@")
}

mpt_client_conf() {
	local f=$1 n=$2 i l
	shift 2
	{
		echo "[Interface]"
		echo "Address = 10.99.0.2/24"
		echo "Address = fd99::2/64"
		echo "PrivateKey = $MPT_CPRIV"
		echo "ControlSocket = $f.sock"
		[ -n "$MPT_MTU" ] && echo "MTU = $MPT_MTU"
		for l in "$@"; do echo "$l"; done
		echo "[Peer]"
		echo "PublicKey = $MPT_SPUB"
		for i in $(seq "$n"); do
			echo "[Path]"
			echo "Name = p$i"
			echo "Interface = l$i"
			case "${MPT_PATH_EXTRA[$i]:-}" in
			*Endpoint*) ;; # the test gives its own
			*) echo "Endpoint = 10.77.$i.2:7000" ;;
			esac
			[ -n "$MPT_CC" ] && echo "Congestion = $MPT_CC"
			[ -n "$MPT_EXPRESS" ] && echo "Express = $MPT_EXPRESS"
			[ -n "${MPT_PATH_EXTRA[$i]:-}" ] && echo "${MPT_PATH_EXTRA[$i]}"
		done
	} >"$f"
	MPT_PATH_EXTRA=()
}

mpt_start() {
	topo_bg "$1" "$MPTUN" run "$2" 2>"$2.log"
}

mpt_json() {
	topo_exec "$1" "$MPTUN" show -s "$2.sock" --json
}

mpt_wait_up() {
	local ns=$1 f=$2 n=$3 secs=${4:-10} i up
	for i in $(seq $((secs * 10))); do
		up=$(mpt_json "$ns" "$f" 2>/dev/null | jq '[.paths[] | select(.state == "up")] | length' 2>/dev/null)
		[ "${up:-0}" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "mpt_wait_up: $up of $n paths up after $secs s" >&2
	cat "$f.log" >&2
	return 1
}

mpt_path_tx() {
	mpt_json "$1" "$2" | jq --arg n "$3" '.paths[] | select(.name == $n) | .tx_bytes'
}

# mpt_stop FILE: stop the daemon running FILE and wait until it is gone.
mpt_stop() {
	local i
	pkill -f "mptun run $1\$" || return 0
	for i in $(seq 50); do
		pgrep -f "mptun run $1\$" >/dev/null || return 0
		sleep 0.1
	done
	pkill -9 -f "mptun run $1\$"
}

# Does this CPU run the vector AES ciphers (aegis256x4; src/vaes.c asks the same)?
mpt_vaes512() {
	local f
	for f in vaes vpclmulqdq avx512f avx512bw avx512vl; do
		grep -qw "$f" /proc/cpuinfo || return 1
	done
}
