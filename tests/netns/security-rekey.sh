#!/bin/bash
# security-rekey: the record layer's key ratchet, during a long transfer, loses nothing
# (doc/security.md, "Rekeying").
#
#   c --l1-- m --l4-- s    one path, one connection, Cipher = chacha20poly1305; m watches
#                          the records go by (tests/tools/sectool.py mitm, no tampering)
#
# A sender rekeys after CRYPTO_REKEY_BYTES (1 GiB) of plaintext under one key, or 120 s.
# The daemon has no knob to make that smaller, so REKEY_MIB (default 1300) MiB of random
# data cross mp0 on one TCP stream: the sha256 of what arrives must equal that of what was
# sent, the connection must stay the same one throughout (no path failure on either side,
# the man in the middle still forwards the connection it started with), no record may fail
# to open (drops.auth, drops.malformed), and the man in the middle must have seen a record
# with the REKEY flag in its header: the ratchet did happen, in the middle of the stream.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/sec.sh"
topo_need jq python3 socat sha256sum
topo_init
D=$TOPO_DIR
MIB=${REKEY_MIB:-1300}
CHUNK_MIB=50
mpt_keys || sec_fail "keys"

topo_ns c
topo_ns m
topo_ns s
topo_link c m 1 && topo_link m s 4 || sec_fail "topology"
CTL=$D/mitm.sock
topo_bg m python3 "$SEC_TOOL" mitm 7000 10.77.4.2 7000 "$CTL" 2>"$D/mitm.log"
ctl() { topo_exec m python3 "$SEC_TOOL" ctl "$CTL" "$@"; }
sec_wait 10 test -S "$CTL" || sec_fail "mitm does not start"

# a daemon that honours MPTUN_REKEY_BYTES ratchets every 256 MiB, several times here; one
# that does not still ratchets once, at 1 GiB
export MPTUN_REKEY_BYTES=$((256 << 20))
mpt_server_conf "$D/s.conf" "Cipher = chacha20poly1305"
# one connection, no express one: the records the mitm counts are all of the tunnel's
mpt_path_lines 1 "Express = no"
mpt_client_conf "$D/c.conf" 1 "Cipher = chacha20poly1305"
sec_server s "$D/s.conf"
sec_daemon c "$D/c.conf"
mpt_wait_up c "$D/c.conf" 1 || sec_fail "tunnel not up"
id=$(ctl conns)
[ "$(echo "$id" | wc -w)" = 1 ] || sec_fail "expected one connection, the mitm has '$id'"

failures() { mpt_json "$1" "$D/$1.conf" | jq '[.paths[].failures] | add'; }
cf0=$(failures c)
sf0=$(failures s)

# the data: a random chunk, sent MIB / CHUNK_MIB times
head -c $((CHUNK_MIB << 20)) /dev/urandom >"$D/chunk"
n=$((MIB / CHUNK_MIB))
send() { local i; for i in $(seq "$n"); do cat "$D/chunk"; done; }
want=$(send | sha256sum | cut -d' ' -f1)

topo_bg s sh -c "socat -u TCP4-LISTEN:5000,bind=10.99.0.1 - | sha256sum >'$D/got'"
sec_wait 10 sec_listening s tcp 5000 || sec_fail "no receiver"
t0=$(date +%s.%N)
send | topo_exec c socat -u - TCP4:10.99.0.1:5000 || sec_fail "the sender failed"
sec_wait 30 test -s "$D/got" || sec_fail "the receiver has no digest"
t1=$(date +%s.%N)
got=$(cut -d' ' -f1 "$D/got")
[ "$got" = "$want" ] || sec_fail "sha256 differs: sent $want, received $got"
echo "ok: $((n * CHUNK_MIB)) MiB through mp0, sha256 equal," \
	"$(awk -v a="$t0" -v b="$t1" -v m=$((n * CHUNK_MIB)) 'BEGIN { printf "%.0f Mbit/s", m * 8.388608 / (b - a) }')"

[ "$(failures c)" = "$cf0" ] && [ "$(failures s)" = "$sf0" ] ||
	sec_fail "path failures during the transfer: client $cf0 -> $(failures c), server $sf0 -> $(failures s)"
for side in c s; do
	a=$(mpt_json "$side" "$D/$side.conf" | jq '.session.drops.auth + .session.drops.malformed')
	[ "$a" = 0 ] || sec_fail "$side: $a auth+malformed drops"
done
st=$(ctl stats)
[ "$(ctl conns)" = "$id" ] || sec_fail "the connection changed: was $id, now $(ctl conns)"
recs=$(echo "$st" | jq --arg i "$id" '.[$i].records')
rk=$(echo "$st" | jq --arg i "$id" '.[$i].rekeys')
mb=$(echo "$st" | jq --arg i "$id" '.[$i].bytes / 1048576 | floor')
echo "ok: one connection throughout, no failures, no auth or malformed drops on either side"
[ "${rk:-0}" -ge 1 ] || sec_fail "no record carried the REKEY flag ($recs records, $mb MiB)"
echo "ok: rekey observed: $rk record(s) with the REKEY flag among $recs ($mb MiB) client -> server"
exit 0
