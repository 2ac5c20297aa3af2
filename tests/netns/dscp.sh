#!/usr/bin/env bash
# dscp: [Path] DSCP marks the outer packets of that path, both ways.
#   Three paths: p1 DSCP = EF over IPv4, p2 unmarked, p3 DSCP = AF41 over IPv6. tcpdump on
#   the server's links: every packet the client sends on p1 carries tos 0xb8, on p3 traffic
#   class 0x88, on p2 tos 0x0; the server marks its packets of p1 and p3 alike once the
#   client's HELLO has said so (its SYN-ACK and handshake reply come before that), and
#   leaves p2's unmarked.
#   `mptun pipe connect --dscp CS1` marks its connection (tos 0x20).
#   `mptun check` accepts EF and 46 and refuses DSCP = 64 naming file:line.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need tcpdump jq ping timeout python3
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

topo_ns c
topo_ns s
for i in 1 2 3; do topo_link c s "$i"; done

# capture every link of the server's side before anything dials
for i in 1 2 3; do
	topo_bg s tcpdump -n -U --immediate-mode -i "l$i" -w "$TOPO_DIR/l$i.pcap" tcp 2>"$TOPO_DIR/tcpdump$i.err"
	cap[$i]=${TOPO_PIDS[-1]}
done
for i in 1 2 3; do
	for _ in $(seq 50); do grep -q listening "$TOPO_DIR/tcpdump$i.err" 2>/dev/null && break; sleep 0.1; done
	grep -q listening "$TOPO_DIR/tcpdump$i.err" || fail "tcpdump on l$i does not start"
done

mpt_keys
mpt_server_conf "$TOPO_DIR/s.conf"
mpt_path_lines 1 "DSCP = EF"
mpt_path_lines 3 "Endpoint = [fd77:3::2]:7000" "DSCP = AF41"
mpt_client_conf "$TOPO_DIR/c.conf" 3
mpt_start s "$TOPO_DIR/s.conf"
mpt_start c "$TOPO_DIR/c.conf"
mpt_wait_up c "$TOPO_DIR/c.conf" 3 || fail "paths not up"
topo_exec c ping -c 20 -i 0.05 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"
topo_exec s ping -c 20 -i 0.05 -W 2 10.99.0.2 >/dev/null || fail "ping through mp0 back"
sleep 0.5 # heartbeats on every path

echo "# mptun pipe connect --dscp CS1"
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
topo_bg s sh -c "'$MPTUN' pipe listen 7100 --psk-file '$TOPO_DIR/psk' >'$TOPO_DIR/pipe.out' </dev/null 2>'$TOPO_DIR/pipe-s.log'"
topo_wait_listen s 7100 || fail "pipe listen"
echo "marked" | topo_exec c timeout 20 "$MPTUN" pipe connect 10.77.1.2:7100@l1 \
	--psk-file "$TOPO_DIR/psk" --dscp CS1 -q 2>"$TOPO_DIR/pipe-c.log" || fail "pipe connect"
for _ in $(seq 50); do [ -s "$TOPO_DIR/pipe.out" ] && break; sleep 0.1; done
[ "$(cat "$TOPO_DIR/pipe.out")" = marked ] || fail "the pipe did not deliver"
sleep 0.3
for i in 1 2 3; do kill -INT "${cap[$i]}"; done
for i in 1 2 3; do wait "${cap[$i]}" 2>/dev/null || true; done

# marks FILE PORT: per direction, the marks seen (IPv4 tos or IPv6 traffic class, ECN
# bits cleared) with their counts: "to 0xb8 12" for packets to PORT, "from 0x0 3" back.
# "late-from" repeats "from" for the packets after the first ten that carry data from the
# server, which all follow the HELLO.
cat >"$TOPO_DIR/marks.py" <<'PY'
import re, sys
port, n, mark, fromdata = sys.argv[1], {}, None, 0
for line in sys.stdin:
    head = re.match(r"[0-9:.]+ IP6? \((.*)", line)
    if head:
        m = re.search(r"(?:tos|class) (0x[0-9a-f]+)", head.group(1))
        mark = "0x%x" % (int(m.group(1), 16) & 0xfc if m else 0)
    hop = re.search(r" (\S+) > (\S+): .*length (\d+)", line)
    if not hop or mark is None:
        continue
    to = hop.group(2).endswith("." + port)
    key = ("to " if to else "from ") + mark
    n[key] = n.get(key, 0) + 1
    if not to and int(hop.group(3)) > 0:
        fromdata += 1
        if fromdata > 10:
            n["late-" + key] = n.get("late-" + key, 0) + 1
    mark = None
for k in sorted(n):
    print(k, n[k])
PY
marks() { tcpdump -v -n -r "$1" "tcp port $2" 2>/dev/null | python3 "$TOPO_DIR/marks.py" "$2"; }
# only FILE PORT DIRECTION MARK: every packet of DIRECTION has MARK, and there are some
only() {
	local got
	got=$(marks "$1" "$2" | awk -v d="$3" '$1 == d')
	echo "$1 port $2, $3: $(echo $got)"
	[ -n "$got" ] || fail "no packets $3 port $2 on ${1##*/}"
	[ "$(echo "$got" | awk '{ print $2 }' | sort -u)" = "$4" ] ||
		fail "packets $3 port $2 on ${1##*/} are not all marked $4: $(echo $got)"
}

echo "# the marks on the wire"
only "$TOPO_DIR/l1.pcap" 7000 to 0xb8
only "$TOPO_DIR/l1.pcap" 7000 late-from 0xb8
only "$TOPO_DIR/l2.pcap" 7000 to 0x0
only "$TOPO_DIR/l2.pcap" 7000 from 0x0
only "$TOPO_DIR/l3.pcap" 7000 to 0x88
only "$TOPO_DIR/l3.pcap" 7000 late-from 0x88
only "$TOPO_DIR/l1.pcap" 7100 to 0x20
# the pipe's few packets back: those after its HELLO are marked
marks "$TOPO_DIR/l1.pcap" 7100 | grep -q "^from 0x20 " || fail "the pipe's listening side never marked"

echo "# mptun check"
for v in EF ef 46 AF41 cs1 0; do
	printf '[Interface]\nPresharedKey = %s\n[Peer]\nEndpoint = 192.0.2.1:7000\n[Path]\nName = a\nDSCP = %s\n' \
		"$(cat "$TOPO_DIR/psk")" "$v" >"$TOPO_DIR/t.conf"
	out=$("$MPTUN" check "$TOPO_DIR/t.conf") || fail "check refuses DSCP = $v"
	echo "DSCP = $v -> $(echo "$out" | grep '^DSCP')"
done
printf '[Interface]\nPresharedKey = %s\n[Peer]\nEndpoint = 192.0.2.1:7000\n[Path]\nName = a\nDSCP = 64\n' \
	"$(cat "$TOPO_DIR/psk")" >"$TOPO_DIR/t.conf"
if err=$("$MPTUN" check "$TOPO_DIR/t.conf" 2>&1); then fail "check accepts DSCP = 64"; fi
echo "DSCP = 64 -> $err"
case $err in *t.conf:7:*DSCP*64*) ;; *) fail "the error does not name t.conf:7: $err" ;; esac
echo "PASS"
