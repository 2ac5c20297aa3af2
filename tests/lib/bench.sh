# bench.sh: helpers shared by the benchmarks in tests/bench.
#
# Source after topo.sh and mptun.sh (and topo_init). Then:
#   bench_mbit                     iperf3 -J output on stdin: the Mbit/s received, as 12.3
#   bench_ratio A B                A as a percentage of B: "12.3 %"
#   bench_mid X...                 the index (from 0) of the median of the numbers X (the
#                                  lower one of an even count)
#   bench_tunnel_up C S N TAG [LINE...]
#                                  mptun between namespaces C (N paths, path I on link I)
#                                  and S; configs $TOPO_DIR/TAG-c.conf and TAG-s.conf with
#                                  LINEs in [Interface]; returns once every path is up
#   bench_mptcp_up C S N           kernel MPTCP between C and S over links 1..N: S announces
#                                  its addresses on links 2..N (and no others), C accepts
#                                  them, and an MPTCP iperf3 server listens on S port 5202
#                                  (started once); fails when MPTCP or mptcpize is missing

bench_mbit() { jq '.end.sum_received.bits_per_second / 1e6' | xargs printf '%.1f'; }

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }

bench_mid() {
	printf '%s\n' "$@" | awk '{ print NR - 1, $1 }' | sort -k2 -g |
		awk -v n=$# 'NR == int((n + 1) / 2) { print $1 }'
}

bench_tunnel_up() {
	local c=$1 s=$2 n=$3 tag=$4
	shift 4
	mpt_server_conf "$TOPO_DIR/$tag-s.conf" "$@"
	mpt_client_conf "$TOPO_DIR/$tag-c.conf" "$n" "$@"
	mpt_start "$s" "$TOPO_DIR/$tag-s.conf"
	sleep 0.2
	mpt_start "$c" "$TOPO_DIR/$tag-c.conf"
	mpt_wait_up "$c" "$TOPO_DIR/$tag-c.conf" "$n"
}

bench_mptcp_up() {
	local c=$1 s=$2 n=$3 i
	command -v mptcpize >/dev/null || return 1
	topo_exec "$c" ip mptcp limits set subflow $((n - 1)) add_addr_accepted $((n - 1)) \
		2>/dev/null || return 1
	topo_exec "$s" ip mptcp limits set subflow $((n - 1)) add_addr_accepted $((n - 1))
	# the links a run does not use may still be there: announce exactly links 2..N
	topo_exec "$s" ip mptcp endpoint flush
	for i in $(seq 2 "$n"); do
		topo_exec "$s" ip mptcp endpoint add "10.77.$i.2" dev "l$i" signal
	done
	topo_exec "$s" ss -Hltn "sport = :5202" | grep -q . && return 0
	topo_bg "$s" mptcpize run iperf3 -s -p 5202 >/dev/null 2>&1
	topo_wait_listen "$s" 5202 >&2
}
