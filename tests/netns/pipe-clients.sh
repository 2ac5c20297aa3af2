#!/usr/bin/env bash
# pipe-clients: one `pipe listen --target` serves many clients at once, each in a session of
# its own, and a stdin/stdout `pipe listen` refuses a second client.
#   1. Shared PresharedKey: the target is an echo service that also writes what each
#      connection brings to a file of its own. Client A sends 20 MB of 'A' (rate-limited,
#      so it lasts), client B 20 MB of 'B'; B is killed mid-run and run again with 8 MB
#      while A goes on. Each client gets back exactly what it sent (sha256), each
#      connection's file holds one letter only, the killed run's session goes after the
#      listener's --timeout, and A never sees a restart.
#   2. Key pairs (-c): two clients at once, each verified the same way.
#   3. A stdin/stdout `pipe listen --prbs`: while client 1 transfers, client 2 (another
#      seed) is refused at once, exits 1 saying why, and the listener says it refused it;
#      client 1's stream completes and verifies. A --forward listener refuses a second
#      client the same way.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need python3 sha256sum timeout tr
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -8 "$f"; done; exit 1; }

topo_ns c
topo_ns s
for i in 1 2; do topo_link c s "$i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
T=(10.77.1.2:7000@l1 10.77.2.2:7000@l2)

# The target: echo every connection's bytes back, and keep them in DIR/conn.N.
cat >"$TOPO_DIR/echo.py" <<'PY'
import socket, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)
def serve(c, path):
    with open(path, "wb") as f:
        while True:
            b = c.recv(65536)
            if not b:
                break
            f.write(b)
            c.sendall(b)
    c.shutdown(socket.SHUT_WR)
    c.close()
n = 0
while True:
    c, _ = srv.accept()
    n += 1
    threading.Thread(target=serve, args=(c, "%s.%d" % (sys.argv[2], n)), daemon=True).start()
PY
topo_bg s python3 "$TOPO_DIR/echo.py" 9000 "$TOPO_DIR/conn"
topo_wait_listen s 9000 || fail "the echo service does not listen"

head -c 20000000 /dev/zero | tr '\0' A >"$TOPO_DIR/A.bin"
head -c 20000000 /dev/zero | tr '\0' B >"$TOPO_DIR/B1.bin"
head -c 8000000 /dev/zero | tr '\0' B >"$TOPO_DIR/B2.bin"

# client NAME KEYARGS...: a stdin/stdout client of NAME.bin in the background; its exit
# status goes to NAME.rc, what comes back to NAME.out
client() {
	local n=$1
	shift
	topo_bg c sh -c 'n=$1; shift; "$@" <"$n.bin" >"$n.out" 2>"$n.err"; echo $? >"$n.rc"' \
		sh "$TOPO_DIR/$n" "$MPTUN" pipe connect "${T[@]}" "$@"
}
wait_rc() {
	for _ in $(seq "$2"); do [ -s "$TOPO_DIR/$1.rc" ] && return 0; sleep 0.1; done
	return 1
}
# each connection's file holds only one letter, and what a client sent came back whole
check_clean() {
	local f
	for f in "$TOPO_DIR"/conn.*; do
		[ "$(tr -d A <"$f" | wc -c)" = 0 ] || [ "$(tr -d B <"$f" | wc -c)" = 0 ] ||
			fail "$(basename "$f") mixes the clients' bytes"
	done
	for f in "$@"; do
		[ "$(cat "$TOPO_DIR/$f.rc")" = 0 ] || fail "client $f exit $(cat "$TOPO_DIR/$f.rc")"
		[ "$(sha256sum <"$TOPO_DIR/$f.bin")" = "$(sha256sum <"$TOPO_DIR/$f.out")" ] ||
			fail "client $f got back $(wc -c <"$TOPO_DIR/$f.out") bytes that differ"
	done
}

echo "# PresharedKey: two clients at once, one killed and run again"
topo_bg s sh -c '"$@" 2>"$0.err" & echo $! >"$0.pid"; wait $!; echo $? >"$0.rc"' \
	"$TOPO_DIR/s1" "$MPTUN" pipe listen 7000 --psk-file "$TOPO_DIR/psk" \
	--target 127.0.0.1:9000 --timeout 5
topo_wait_listen s 7000 || fail "pipe listen does not listen"
client A --psk-file "$TOPO_DIR/psk" --rate 1M
# the killed run: mptun itself, not a shell around it, so its connections just die
topo_bg c sh -c 'exec "$@" <"$0.bin" >"$0.out" 2>"$0.err"' "$TOPO_DIR/B1" \
	"$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" --rate 2M
b1=$!
for _ in $(seq 100); do [ -s "$TOPO_DIR/A.out" ] && [ -s "$TOPO_DIR/B1.out" ] && break; sleep 0.1; done
[ -s "$TOPO_DIR/A.out" ] && [ -s "$TOPO_DIR/B1.out" ] || fail "the two clients are not both served"
sleep 1
if [ -s "$TOPO_DIR/A.rc" ]; then
	[ "$(cat "$TOPO_DIR/A.rc")" = 0 ] || fail "client A exit $(cat "$TOPO_DIR/A.rc") beside B: $(tail -1 "$TOPO_DIR/A.err")"
	fail "client A ended before B's restart: the test proves nothing"
fi
{ kill -9 "$b1" && wait "$b1"; } 2>/dev/null || true
client B2 --psk-file "$TOPO_DIR/psk"
wait_rc B2 600 || fail "the rerun of B did not end"
[ ! -s "$TOPO_DIR/A.rc" ] || fail "client A ended before B's rerun did: nothing ran beside it"
wait_rc A 900 || fail "client A did not end"
check_clean A B2
[ "$(ls "$TOPO_DIR"/conn.* | wc -l)" = 3 ] || fail "$(ls "$TOPO_DIR"/conn.* | wc -l) target connections, not 3"
echo "A: 20 MB there and back; B killed after $(wc -c <"$TOPO_DIR/B1.out") bytes, then 8 MB: sha256 match, nothing mixed"
! grep -q "restarted" "$TOPO_DIR/A.err" "$TOPO_DIR/s1.err" || fail "a session was reset"
[ "$(grep -c ": connected$" "$TOPO_DIR/s1.err")" = 3 ] || fail "the listener did not log 3 clients"
for _ in $(seq 100); do
	grep -q "gone (no connection for 5 s; 1 stream closed)" "$TOPO_DIR/s1.err" && break
	sleep 0.1
done
grep -q "client [12] (10.77.[12].1): gone (no connection for 5 s; 1 stream closed)" \
	"$TOPO_DIR/s1.err" || fail "the killed run's session was not freed after --timeout"
[ "$(grep -c "gone (its streams ended, its connections closed)" "$TOPO_DIR/s1.err")" = 2 ] ||
	fail "the finished clients were not both freed"
grep "client" "$TOPO_DIR/s1.err" | sed "s/^.* info: /listener: /"
[ ! -s "$TOPO_DIR/s1.rc" ] || fail "the listener ended with its clients"
kill -TERM "$(cat "$TOPO_DIR/s1.pid")"
wait_rc s1 100 || fail "the listener did not end on SIGTERM"
[ "$(cat "$TOPO_DIR/s1.rc")" = 0 ] || fail "the listener exit $(cat "$TOPO_DIR/s1.rc") on SIGTERM"
echo "the listener served until SIGTERM, then exited 0"

echo "# key pairs: two clients at once"
mpt_keys
printf '[Interface]\nListen = 0.0.0.0:7001\nPrivateKey = %s\n[Peer]\nPublicKey = %s\n' \
	"$MPT_SPRIV" "$MPT_CPUB" >"$TOPO_DIR/s.conf"
printf '[Interface]\nPrivateKey = %s\n[Peer]\nPublicKey = %s\nEndpoint = 10.77.1.2:7001\n' \
	"$MPT_CPRIV" "$MPT_SPUB" >"$TOPO_DIR/c.conf"
chmod 600 "$TOPO_DIR/s.conf" "$TOPO_DIR/c.conf"
rm -f "$TOPO_DIR"/conn.*
topo_bg s "$MPTUN" pipe listen -c "$TOPO_DIR/s.conf" --target 127.0.0.1:9000 \
	2>"$TOPO_DIR/s2.err"
topo_wait_listen s 7001 || fail "pipe listen -c does not listen"
T=(10.77.1.2:7001@l1 10.77.2.2:7001@l2)
rm -f "$TOPO_DIR"/A.rc "$TOPO_DIR"/B2.rc
client A -c "$TOPO_DIR/c.conf" --rate 4M
client B2 -c "$TOPO_DIR/c.conf" --rate 2M
wait_rc A 900 && wait_rc B2 900 || fail "the clients did not end"
check_clean A B2
grep -q "client 2 (10.77.[12].1): connected" "$TOPO_DIR/s2.err" || fail "no second client"
echo "20 MB and 8 MB at once with key pairs: sha256 match, nothing mixed"

echo "# a stdin/stdout listener refuses a second client while the first transfers"
topo_bg s sh -c "'$MPTUN' pipe listen 7002 --psk-file '$TOPO_DIR/psk' --prbs 1 --limit 0 \
	2>'$TOPO_DIR/s3.err'; echo \$? >'$TOPO_DIR/s3.rc'"
topo_wait_listen s 7002 || fail "the stdin/stdout pipe listen does not listen"
T=(10.77.1.2:7002@l1 10.77.2.2:7002@l2)
topo_bg c sh -c '"$@" 2>"$0.err"; echo $? >"$0.rc"' "$TOPO_DIR/p1" "$MPTUN" pipe connect \
	"${T[@]}" --psk-file "$TOPO_DIR/psk" --prbs 1 --limit 20M --rate 2M
for _ in $(seq 100); do grep -q "path p2: up" "$TOPO_DIR/p1.err" && break; sleep 0.1; done
rc=0
start=$(date +%s)
topo_exec c timeout 60 "$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" --prbs 2 \
	--limit 1M 2>"$TOPO_DIR/p2.err" || rc=$?
secs=$(($(date +%s) - start))
[ "$rc" = 1 ] || fail "the second client exit $rc, not 1"
[ "$secs" -lt 30 ] || fail "the second client took $secs s to give up"
grep -q "refused by the server: the server is serving another client" "$TOPO_DIR/p2.err" ||
	fail "the second client's path did not log the refusal"
grep -q "mptun pipe: refused by the server: it serves one client at a time" "$TOPO_DIR/p2.err" ||
	fail "the second client did not say why it gave up"
grep -q "refused a second client from 10.77.[12].1: this pipe serves one client on standard output" \
	"$TOPO_DIR/s3.err" || fail "the listener did not say it refused a second client"
[ ! -s "$TOPO_DIR/p1.rc" ] || fail "the first client ended before the second was refused"
wait_rc p1 900 || fail "the first client did not end"
wait_rc s3 100 || fail "the listener did not end"
[ "$(cat "$TOPO_DIR/p1.rc")" = 0 ] || fail "the first client exit $(cat "$TOPO_DIR/p1.rc")"
[ "$(cat "$TOPO_DIR/s3.rc")" = 0 ] || fail "the listener exit $(cat "$TOPO_DIR/s3.rc")"
grep -q "prbs: 20971520 bytes verified" "$TOPO_DIR/s3.err" || fail "the listener did not verify 20 MiB"
echo "second client: $(tail -1 "$TOPO_DIR/p2.err")"
echo "listener: $(grep refused "$TOPO_DIR/s3.err" | sed 's/^.* warning: //')"
echo "the first client's 20 MiB verified"

echo "# a --forward listener serves one client too"
topo_bg s "$MPTUN" pipe listen 7003 --psk-file "$TOPO_DIR/psk" --forward 7300 2>"$TOPO_DIR/s4.err"
topo_wait_listen s 7003 || fail "the --forward pipe listen does not listen"
T=(10.77.1.2:7003@l1 10.77.2.2:7003@l2)
topo_bg c "$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" --target 127.0.0.1:9000 \
	2>"$TOPO_DIR/f1.err"
for _ in $(seq 100); do grep -q "path p2: up" "$TOPO_DIR/f1.err" && break; sleep 0.1; done
rc=0
topo_exec c timeout 60 "$MPTUN" pipe connect "${T[@]}" --psk-file "$TOPO_DIR/psk" \
	--target 127.0.0.1:9000 2>"$TOPO_DIR/f2.err" || rc=$?
[ "$rc" = 1 ] || fail "the second client of a --forward listener exit $rc, not 1"
grep -q "refused a second client from 10.77.[12].1: this pipe forwards its connections to one client" \
	"$TOPO_DIR/s4.err" || fail "the --forward listener did not say it refused a second client"
echo "second client of a --forward listener: $(tail -1 "$TOPO_DIR/f2.err" | cut -c1-90)..."
echo "PASS"
