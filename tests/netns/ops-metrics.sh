#!/usr/bin/env bash
# ops-metrics: `mptun show --prometheus` passes a strict parser of the text exposition
# format (HELP and TYPE once per family before its samples, families contiguous, metric and
# label names, label escapes, no duplicate series, counters named _total and not
# negative) and its counters equal those of `show --json` taken at the same moment.
# `show` gives rates: under a 40 Mbit/s UDP flow the paths' sent/s add up to that; on a
# terminal it is the table with share bars, `--watch` redraws it; into a pipe it keeps its
# stable columns.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need jq ping python3 iperf3 script timeout
topo_init
fail() {
	echo "FAIL: $*"
	exit 1
}

topo_ns c
topo_ns s
topo_link c s 1
topo_link c s 2
S=$TOPO_DIR/s.conf
C=$TOPO_DIR/c.conf
mpt_keys
mpt_server_conf "$S"
mpt_client_conf "$C" 2
mpt_start s "$S"
mpt_start c "$C"
mpt_wait_up c "$C" 2
topo_exec c ping -c 5 -i 0.05 -W 2 10.99.0.1 >/dev/null || fail "ping through mp0"

cat >"$TOPO_DIR/prom.py" <<'PYEOF'
# prom.py PROM JSON...: parse PROM strictly; compare its counters with each JSON snapshot
# (all taken around it); exit 0 when PROM matches one whose neighbours agree with it.
import json, math, re, sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def die(n, line, why):
    sys.exit("line %d: %s: %r" % (n, why, line))


def labels(n, line, text):
    """Parse '{a="x",b="y"}' contents with escapes; returns a dict."""
    out, i = {}, 0
    while i < len(text):
        m = re.match(r"([^=]*)=\"", text[i:])
        if not m or not LABEL.match(m.group(1)):
            die(n, line, "bad label name")
        name, i, val = m.group(1), i + m.end(), ""
        while True:
            if i >= len(text):
                die(n, line, "unterminated label value")
            ch = text[i]
            if ch == "\\":
                nxt = text[i + 1 : i + 2]
                if nxt not in ('\\', '"', "n"):
                    die(n, line, "bad escape in label value")
                val += {"n": "\n"}.get(nxt, nxt)
                i += 2
            elif ch == '"':
                i += 1
                break
            elif ch == "\n":
                die(n, line, "raw newline in label value")
            else:
                val += ch
                i += 1
        if name in out:
            die(n, line, "label given twice")
        out[name] = val
        if i < len(text):
            if text[i] != ",":
                die(n, line, "expected , between labels")
            i += 1
    return out


def parse(text):
    if not text.endswith("\n"):
        sys.exit("no final newline")
    helps, types, done, series = {}, {}, set(), {}
    current = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        if line == "":
            die(n, line, "blank line")
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                die(n, line, "comment that is neither HELP nor TYPE")
            kind, name = parts[1], parts[2]
            if not NAME.match(name):
                die(n, line, "bad metric name")
            if name in done:
                die(n, line, "family split in two")
            if current is not None and current != name:
                done.add(current)
            current = name
            if kind == "HELP":
                if name in helps:
                    die(n, line, "second HELP")
                doc = parts[3] if len(parts) > 3 else ""
                if re.search(r"\\[^\\n]", doc):
                    die(n, line, "bad escape in HELP")
                helps[name] = doc
            else:
                if name in types or len(parts) != 4 or parts[3] not in TYPES:
                    die(n, line, "bad or second TYPE")
                if any(k[0] == name for k in series):
                    die(n, line, "TYPE after samples")
                types[name] = parts[3]
            continue
        m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)(?: (-?\d+))?\Z", line)
        if not m:
            die(n, line, "not a sample line")
        name, lab, value = m.group(1), m.group(2), m.group(3)
        if not NAME.match(name):
            die(n, line, "bad metric name")
        if name not in types:
            die(n, line, "sample without TYPE")
        if name != current:
            die(n, line, "sample outside its family")
        try:
            v = float(value)
        except ValueError:
            die(n, line, "bad value")
        if value.lower() in ("nan", "inf", "+inf", "-inf") and value not in ("NaN", "+Inf", "-Inf"):
            die(n, line, "bad spelling of a special value")
        lab = labels(n, line, lab or "")
        key = (name, tuple(sorted(lab.items())))
        if key in series:
            die(n, line, "duplicate series")
        if types[name] == "counter" and (not name.endswith("_total") or v < 0 or math.isnan(v)):
            die(n, line, "counter not named _total, or negative")
        series[key] = v
    for name in types:
        if name not in helps:
            sys.exit("%s: no HELP" % name)
    return series


def expected(js):
    """The counters of a `show --json` snapshot as Prometheus series."""
    i = js["interface"]
    e, ses = {}, js["session"]
    for k in ("tx_bytes", "rx_bytes", "tx_packets", "rx_packets", "retransmits", "before_up"):
        e[("mptun_session_%s_total" % k, (("interface", i),))] = ses[k]
    for r, v in ses["drops"].items():
        e[("mptun_session_drops_total", (("interface", i), ("reason", r)))] = v
    e[("mptun_session_up", (("interface", i),))] = 1 if ses["state"] == "up" else 0
    for p in js["paths"]:
        lab = (("interface", i), ("path", p["name"]))
        for k in ("tx_bytes", "rx_bytes", "tx_packets", "rx_packets", "failures"):
            e[("mptun_path_%s_total" % k, lab)] = p[k]
        e[("mptun_path_up", lab)] = 1 if p["state"] == "up" else 0
        up = [c for c in p["connections"] if c["state"] == "up"]
        e[("mptun_path_connections", lab)] = len(up)
        e[("mptun_path_inflight_bytes", lab)] = sum(c["inflight_bytes"] for c in up)
        e[("mptun_path_queued_bytes", lab)] = sum(c["queued_bytes"] for c in up)
        for st in ("up", "connecting", "down"):
            e[("mptun_path_state", lab + (("state", st),))] = 1 if p["state"] == st else 0
    return e


series = parse(open(sys.argv[1]).read())
docs = [json.load(open(f)) for f in sys.argv[2:]]
snaps = [expected(js) for js in docs]
for name in {k[0] for k in snaps[0]}:
    if not any(k[0] == name for k in series):
        sys.exit("missing family " + name)
rates = [[c["rate_mbps"] for p in js["paths"] for c in p["connections"]] for js in docs]
if snaps[0] != snaps[-1] or rates[0] != rates[-1]:
    sys.exit(3)  # the counters moved while we looked: try again
bad = [(k, v, series.get(k)) for k, v in snaps[0].items() if series.get(k) != v]
# the rate estimate: json gives each connection's in Mbit/s to one decimal
js = docs[0]
for p in js["paths"]:
    up = [c for c in p["connections"] if c["state"] == "up"]
    key = ("mptun_path_rate_bytes_per_second", (("interface", js["interface"]), ("path", p["name"])))
    if key not in series or abs(series[key] * 8 / 1e6 - sum(c["rate_mbps"] for c in up)) > 0.051 * len(up):
        bad.append((key, [c["rate_mbps"] for c in up], series.get(key)))
if bad:
    sys.exit("prometheus differs from json: %r" % bad[:5])
rtt = [k for k in series if k[0] == "mptun_path_rtt_seconds"]
print("%d series, %d families, %d compared with json, rtt for %d paths" %
      (len(series), len({k[0] for k in series}), len(snaps[0]), len(rtt)))
PYEOF

echo "# the exposition format, against show --json"
ok=0
for try in $(seq 20); do
	mpt_json c "$C" >"$TOPO_DIR/a.json"
	topo_exec c "$MPTUN" show -s "$C.sock" --prometheus >"$TOPO_DIR/prom.txt"
	mpt_json c "$C" >"$TOPO_DIR/b.json"
	if python3 "$TOPO_DIR/prom.py" "$TOPO_DIR/prom.txt" "$TOPO_DIR/a.json" "$TOPO_DIR/b.json"; then
		ok=1
		break
	elif [ $? -ne 3 ]; then
		head -40 "$TOPO_DIR/prom.txt"
		fail "prometheus output rejected"
	fi
	sleep 0.2
done
[ "$ok" = 1 ] || fail "the counters never held still"
# a broken line must be caught: the parser itself can fail
sed '0,/^mptun_session_up/s/interface="mp0"/interface="mp0\\x"/' "$TOPO_DIR/prom.txt" >"$TOPO_DIR/bad.txt"
python3 "$TOPO_DIR/prom.py" "$TOPO_DIR/bad.txt" "$TOPO_DIR/a.json" 2>/dev/null &&
	fail "the parser accepted a bad escape"
grep -q '^mptun_path_rtt_seconds{interface="mp0",path="p1"} 0\.' "$TOPO_DIR/prom.txt" ||
	fail "no RTT for p1"

echo "# rates: a 40 Mbit/s UDP flow"
topo_bg s iperf3 -s -1 >/dev/null 2>&1
topo_wait_listen s 5201 || fail "no iperf3 server"
topo_exec c iperf3 -u -c 10.99.0.1 -b 40M -t 4 -l 1400 >/dev/null 2>&1 &
IPERF=$!
sleep 2.5
topo_exec c "$MPTUN" show -s "$C.sock" >"$TOPO_DIR/show.txt"
script -qfc "ip netns exec $(topo_nsname c) $MPTUN show -s $C.sock" /dev/null >"$TOPO_DIR/table.txt"
wait "$IPERF" || fail "iperf3 failed"
cat "$TOPO_DIR/show.txt"
tr -d '\r' <"$TOPO_DIR/table.txt"
grep -q '^  path  *state  *conns  *rtt  *sent  *received  *sent/s  *received/s$' "$TOPO_DIR/show.txt" ||
	fail "plain show: no header line"
[ "$(grep -c '^  p[12] ' "$TOPO_DIR/show.txt")" = 2 ] || fail "plain show: not one line per path"
# the paths' sent/s in MiB/s (columns: ... sent/s value, unit)
sum=$(awk '/^  p[12] / { v = $(NF - 3); u = $(NF - 2);
	if (u == "KiB/s") v /= 1024; else if (u == "B/s") v /= 1048576; else if (u == "GiB/s") v *= 1024;
	s += v } END { printf "%.2f", s }' "$TOPO_DIR/show.txt")
echo "sent/s over both paths: $sum MiB/s (the flow: 40 Mbit/s = 4.77 MiB/s of payload)"
awk -v s="$sum" 'BEGIN { exit !(s > 3.8 && s < 5.8) }' || fail "rates do not add up to the flow"
grep -q 'PATH  *STATE  *CONN  *RTT  *OUT/s  *IN/s  *SHARE' "$TOPO_DIR/table.txt" || fail "no table on a terminal"
[ "$(grep -cE '^p[12] .* [#.]{20} +[0-9]+%' "$TOPO_DIR/table.txt")" = 2 ] || fail "no share bars"
share=$(tr -d '\r' <"$TOPO_DIR/table.txt" | awk '/^p[12] / { s += $NF + 0 } END { print s }')
echo "shares add up to $share %"
[ "$share" -ge 98 ] && [ "$share" -le 102 ] || fail "shares add up to $share %"

echo "# --watch redraws"
timeout 2.6 script -qfc "ip netns exec $(topo_nsname c) $MPTUN show -s $C.sock --watch 1" /dev/null \
	>"$TOPO_DIR/watch.txt" || true
n=$(grep -o $'\033\\[2J' "$TOPO_DIR/watch.txt" | wc -l)
echo "screens in 2.6 s at --watch 1: $n"
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "--watch drew $n screens"
timeout 2.6 "$MPTUN" show -s "$C.sock" --watch 1 >"$TOPO_DIR/watch2.txt" || true
grep -q $'\033' "$TOPO_DIR/watch2.txt" && fail "--watch into a pipe wrote escape sequences"
[ "$(grep -c '^mp0: tun' "$TOPO_DIR/watch2.txt")" -ge 2 ] || fail "--watch into a pipe"

echo "# a socket that never answers: an error within 5 s, not a hang"
topo_bg c python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen()
time.sleep(30)' "$TOPO_DIR/silent.sock"
for _ in $(seq 50); do [ -S "$TOPO_DIR/silent.sock" ] && break; sleep 0.1; done
t0=$(date +%s%N)
rc=0
timeout 15 "$MPTUN" show -s "$TOPO_DIR/silent.sock" --json >"$TOPO_DIR/silent.out" 2>&1 || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
cat "$TOPO_DIR/silent.out"
[ "$rc" = 1 ] || fail "show on a silent socket: exit $rc after $ms ms, not 1"
grep -q "silent.sock: no answer within 5 s" "$TOPO_DIR/silent.out" || fail "no clear message"
[ "$ms" -lt 8000 ] || fail "show gave up after $ms ms"
echo "gave up after $ms ms"
echo "PASS"
