#!/usr/bin/env bash
# pipe-ssh: TCP port forwarding with `mptun pipe`: ssh through a forwarded port.
# sshd (throwaway host key, one authorized key) listens on 127.0.0.1:2222 in the server
# namespace; `pipe listen --target` connects every stream there, `pipe connect --forward`
# accepts on the client's 127.0.0.1:2222 and carries each connection over three paths.
# ssh runs commands (four at once, so streams share the session), one whose stdin ends
# early (the close reaches the far side), scp copies a file both ways (sha256 match).
# Then ssh's ProxyCommand runs `pipe connect` on stdin/stdout against a second listener's
# --target, twice (each run is a client of its own to the listener, which logs it
# connected and gone at the default level), and that listener's --idle-timeout closes a
# connection that stays silent; against a target that refuses, the stdin/stdout side exits
# 1 saying why.
set -eu
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
topo_need sshd ssh scp ssh-keygen unshare sha256sum ss
topo_init
fail() { echo "FAIL: $*"; for f in "$TOPO_DIR"/*.err; do echo "== $f"; tail -8 "$f"; done; exit 1; }

topo_ns c
topo_ns s
for i in 1 2 3; do topo_link c s "$i"; done
"$MPTUN" genkey >"$TOPO_DIR/psk"
chmod 600 "$TOPO_DIR/psk"
ssh-keygen -q -t ed25519 -N '' -f "$TOPO_DIR/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$TOPO_DIR/userkey"
cp "$TOPO_DIR/userkey.pub" "$TOPO_DIR/authorized_keys"
cat >"$TOPO_DIR/sshd.conf" <<CONF
Port 2222
ListenAddress 127.0.0.1
HostKey $TOPO_DIR/hostkey
AuthorizedKeysFile $TOPO_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin yes
StrictModes no
PidFile none
Subsystem sftp internal-sftp
CONF
# sshd wants /run/sshd: a private /run, so the host's is left alone
topo_bg s unshare -m sh -c "mount -t tmpfs mptun-test /run && mkdir -p /run/sshd &&
	exec $(command -v sshd) -D -e -f '$TOPO_DIR/sshd.conf'" 2>"$TOPO_DIR/sshd.err"
topo_bg s "$MPTUN" pipe listen 7000 --psk-file "$TOPO_DIR/psk" --target 127.0.0.1:2222 \
	2>"$TOPO_DIR/s.err"
topo_wait_listen s 7000 || fail "pipe listen does not listen"
topo_bg c "$MPTUN" pipe connect 10.77.1.2:7000@l1 10.77.2.2:7000@l2 10.77.3.2:7000@l3 \
	--psk-file "$TOPO_DIR/psk" --forward 2222 2>"$TOPO_DIR/c.err"
for _ in $(seq 50); do
	topo_exec c ss -ltn | grep -q '127.0.0.1:2222' && topo_exec s ss -ltn | grep -q '127.0.0.1:2222' &&
		break
	sleep 0.1
done
SSH=(-F /dev/null -i "$TOPO_DIR/userkey" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10)

echo "# ssh through the forwarded port runs commands, four at once"
pids=()
for i in 1 2 3 4; do
	topo_exec c timeout 30 ssh "${SSH[@]}" -p 2222 root@127.0.0.1 "echo run $i; head -c 2000000 /dev/zero | wc -c" \
		>"$TOPO_DIR/ssh$i.out" 2>"$TOPO_DIR/ssh$i.err" &
	pids+=($!)
done
wait "${pids[@]}" || true
for i in 1 2 3 4; do
	[ "$(cat "$TOPO_DIR/ssh$i.out")" = "$(printf 'run %s\n2000000' "$i")" ] ||
		fail "ssh $i printed '$(cat "$TOPO_DIR/ssh$i.out")'"
done
echo "four ssh sessions ran their commands"

echo "# stdin ends early: the remote command sees the end and answers"
out=$(printf 'a\nb\nc\n' | topo_exec c timeout 30 ssh "${SSH[@]}" -p 2222 root@127.0.0.1 'wc -l') ||
	fail "ssh with stdin"
[ "$out" = 3 ] || fail "wc -l said '$out'"
echo "remote wc -l counted $out lines, then the session closed"

echo "# scp both ways: sha256 match"
head -c 20000000 /dev/urandom >"$TOPO_DIR/up.bin"
topo_exec c timeout 60 scp "${SSH[@]}" -q -P 2222 "$TOPO_DIR/up.bin" root@127.0.0.1:"$TOPO_DIR/up.copy" ||
	fail "scp up"
topo_exec c timeout 60 scp "${SSH[@]}" -q -P 2222 root@127.0.0.1:"$TOPO_DIR/up.copy" "$TOPO_DIR/down.copy" ||
	fail "scp down"
[ "$(sha256sum <"$TOPO_DIR/up.bin")" = "$(sha256sum <"$TOPO_DIR/up.copy")" ] || fail "upload differs"
[ "$(sha256sum <"$TOPO_DIR/up.bin")" = "$(sha256sum <"$TOPO_DIR/down.copy")" ] || fail "download differs"
echo "20 MB up and down by scp: sha256 match"

echo "# ssh -o ProxyCommand='mptun pipe connect ...' against pipe listen --target"
topo_bg s "$MPTUN" pipe listen 7001 --psk-file "$TOPO_DIR/psk" --target 127.0.0.1:2222 \
	--idle-timeout 3 2>"$TOPO_DIR/s2.err"
topo_wait_listen s 7001 || fail "the second pipe listen does not listen"
PROXY="$MPTUN pipe connect 10.77.1.2:7001@l1 10.77.2.2:7001@l2 10.77.3.2:7001@l3 -q --psk-file $TOPO_DIR/psk"
for i in 1 2; do
	out=$(topo_exec c timeout 30 ssh "${SSH[@]}" -o ProxyCommand="$PROXY" root@pipe-host \
		"echo proxied $i; head -c 3000000 /dev/zero | wc -c" 2>"$TOPO_DIR/proxy$i.err") ||
		fail "ssh with ProxyCommand, run $i: $(cat "$TOPO_DIR/proxy$i.err")"
	[ "$out" = "$(printf 'proxied %s\n3000000' "$i")" ] || fail "ssh with ProxyCommand printed '$out'"
done
grep -q "client 1 (10.77.[123].1): gone (its streams ended, its connections closed)" \
	"$TOPO_DIR/s2.err" || fail "the listener did not log the end of the first client"
grep -q "client 2 (10.77.[123].1): connected" "$TOPO_DIR/s2.err" ||
	fail "the listener did not log the second client"
! grep -q "peer restarted" "$TOPO_DIR/s2.err" || fail "the second client reset the first's session"
echo "two ssh sessions through ProxyCommand ran their commands, each a client of its own"

echo "# --idle-timeout 3: a connection silent for longer is closed, at both ends"
rc=0
topo_exec c timeout 30 ssh "${SSH[@]}" -o ProxyCommand="$PROXY" root@pipe-host \
	"sleep 6; echo too late" >"$TOPO_DIR/idle.out" 2>"$TOPO_DIR/idle.err" || rc=$?
[ "$rc" != 0 ] && [ ! -s "$TOPO_DIR/idle.out" ] || fail "a silent ssh session outlived --idle-timeout (exit $rc)"
grep -q "no traffic for 3 s: closed" "$TOPO_DIR/s2.err" || fail "the listener did not say why it closed"
echo "the silent session was closed (ssh exit $rc)"

echo "# stdin/stdout against a --target that refuses: exit 1, saying so"
topo_bg s "$MPTUN" pipe listen 7002 --psk-file "$TOPO_DIR/psk" --target 127.0.0.1:1 \
	2>"$TOPO_DIR/s3.err"
topo_wait_listen s 7002 || fail "the third pipe listen does not listen"
rc=0
echo hello | topo_exec c timeout 30 "$MPTUN" pipe connect 10.77.1.2:7002@l1 -q \
	--psk-file "$TOPO_DIR/psk" >/dev/null 2>"$TOPO_DIR/refused.err" || rc=$?
[ "$rc" = 1 ] || fail "exit $rc against a refusing target, not 1"
grep -q "peer: reset the stream (its output or its --target connection failed" \
	"$TOPO_DIR/refused.err" || fail "no clear message: $(cat "$TOPO_DIR/refused.err")"
echo "refused: $(tail -1 "$TOPO_DIR/refused.err")"
echo "PASS"
