# sec.sh: shared steps of the security tests (tests/netns/security-*.sh).
#
# Source after topo.sh and mptun.sh (and topo_init). Then:
#   sec_fail MSG...                 print FAIL and the daemons' logs, exit 1
#   sec_daemon NS FILE              mpt_start, remembering the daemon's pid in SEC_PID[FILE]
#   sec_server NS FILE              sec_daemon, then wait until it listens on port 7000
#   sec_drop NS FILE REASON         one session drop counter (session.drops.REASON)
#   sec_wait SECS CMD...            poll CMD every 0.1 s until it succeeds; 1 on timeout
#   sec_capture NS DEV FILE [FILTER...]
#                                   start tcpdump -U on DEV in NS writing FILE; returns once
#                                   it listens; its pid in SEC_CAP_PID
#   sec_capture_stop                stop it (SIGINT) and wait for it to exit
#   sec_count FILE HEX              how often the bytes HEX occur in FILE
#   sec_sync NS ADDR FILE           send pings to ADDR carrying a random 16-byte pattern
#                                   until the capture FILE holds it: everything sent on the
#                                   captured link before is then in FILE too
#   sec_listening NS tcp|udp PORT   something listens on PORT in NS
#   sec_rss PID                     VmRSS of PID in KiB
# SEC_TOOL is tests/tools/sectool.py (raw peers, flood, man in the middle). Each test prints
# "ok: ..." lines and ends with FAIL or exit 0.

SEC_TOOL=${top_srcdir:-.}/tests/tools/sectool.py
declare -A SEC_PID

sec_fail() {
	local f
	echo "FAIL: $*"
	for f in "$TOPO_DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 20 "$f"
	done
	exit 1
}

sec_daemon() {
	mpt_start "$1" "$2"
	SEC_PID[$2]=${TOPO_PIDS[-1]}
}

sec_server() {
	sec_daemon "$1" "$2"
	sec_wait 10 sec_listening "$1" tcp 7000 || sec_fail "the server does not listen: $(cat "$2.log")"
}

sec_drop() {
	mpt_json "$1" "$2" | jq -r ".session.drops.$3"
}

sec_wait() {
	local secs=$1 i
	shift
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

sec_capture() {
	local ns=$1 dev=$2 file=$3
	shift 3
	rm -f "$file" "$file.err"
	topo_bg "$ns" tcpdump -n -U -s 0 -i "$dev" -w "$file" "$@" 2>"$file.err"
	SEC_CAP_PID=${TOPO_PIDS[-1]}
	sec_wait 10 grep -q "listening on" "$file.err" || sec_fail "tcpdump does not start: $(cat "$file.err")"
}

sec_capture_stop() {
	kill -INT "$SEC_CAP_PID" 2>/dev/null
	wait "$SEC_CAP_PID" 2>/dev/null
	return 0
}

sec_count() {
	python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(bytes.fromhex(sys.argv[2])))' "$1" "$2"
}

sec_sync() {
	local ns=$1 addr=$2 file=$3 pat i
	pat=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	for i in $(seq 50); do
		topo_exec "$ns" ping -n -q -c 1 -W 1 -p "$pat" "$addr" >/dev/null 2>&1
		[ "$(sec_count "$file" "$pat")" -gt 0 ] && return 0
		sleep 0.1
	done
	sec_fail "capture $file never saw the sync pattern"
}

sec_listening() {
	local o
	o=$(topo_exec "$1" ss -Hln --"$2" "sport = :$3" 2>/dev/null)
	[ -n "$o" ]
}

sec_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
