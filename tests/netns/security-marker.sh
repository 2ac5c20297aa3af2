#!/bin/bash
# security-marker: what mp0 carries never shows on the outer link unless Cipher = none.
#
# For each cipher a fresh pair of namespaces c --l1-- s runs a tunnel; tcpdump records
# everything on the client's l1 while a random marker crosses mp0 as UDP datagrams both
# ways. Each datagram must arrive at the far end (so it did cross l1), a ping pattern sent
# on l1 afterwards must be in the capture (so the capture is complete), and then the marker
# must not be in it. With Cipher = none the marker must be in it: the capture works.
# aes256gcm is tried only on a CPU with AES-NI and PCLMUL (libsodium offers it only there),
# aegis256x4 only on one with VAES and AVX-512.
set -u
. "$top_srcdir/tests/lib/topo.sh"
. "$top_srcdir/tests/lib/mptun.sh"
. "$top_srcdir/tests/tools/sec.sh"
topo_need jq socat tcpdump python3 ping od
topo_init
D=$TOPO_DIR
mpt_keys || sec_fail "keys"

ciphers="none chacha20poly1305 auto"
if grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then
	ciphers="$ciphers aes256gcm"
else
	echo "note: no AES-NI/PCLMUL on this CPU: aes256gcm not tried"
fi
if mpt_vaes512; then
	ciphers="$ciphers aegis256x4"
else
	echo "note: no VAES/AVX-512 on this CPU: aegis256x4 not tried"
fi

# received FILE MARKER: FILE holds MARKER
received() { grep -qF "$2" "$1" 2>/dev/null; }

# run CIPHER N: tunnel pair number N with CIPHER; sets GOT, is the marker's count on the wire
run() {
	local ci=$1 c=c$2 s=s$2 marker hex i
	topo_ns "$c" && topo_ns "$s" && topo_link "$c" "$s" 1 || sec_fail "topology"
	mpt_server_conf "$D/$s.conf" "Cipher = $ci"
	mpt_client_conf "$D/$c.conf" 1 "Cipher = $ci"
	sec_server "$s" "$D/$s.conf"
	sec_daemon "$c" "$D/$c.conf"
	mpt_wait_up "$c" "$D/$c.conf" 1 || sec_fail "$ci: tunnel not up"
	topo_bg "$s" socat -u UDP4-RECV:9999,bind=10.99.0.1 "OPEN:$D/$s.rx,creat,append"
	topo_bg "$c" socat -u UDP4-RECV:9999,bind=10.99.0.2 "OPEN:$D/$c.rx,creat,append"
	sec_wait 10 sec_listening "$s" udp 9999 && sec_wait 10 sec_listening "$c" udp 9999 ||
		sec_fail "$ci: no UDP receiver"

	marker="mptun-marker-$ci-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
	hex=$(printf '%s' "$marker" | od -An -tx1 | tr -d ' \n')
	sec_capture "$c" l1 "$D/$c.pcap"
	for i in 1 2 3; do
		echo "$marker" | topo_exec "$c" socat -u - UDP4-SENDTO:10.99.0.1:9999
		echo "$marker" | topo_exec "$s" socat -u - UDP4-SENDTO:10.99.0.2:9999
	done
	sec_wait 10 received "$D/$s.rx" "$marker" || sec_fail "$ci: marker did not reach the server"
	sec_wait 10 received "$D/$c.rx" "$marker" || sec_fail "$ci: marker did not reach the client"
	sec_sync "$c" 10.77.1.2 "$D/$c.pcap"
	sec_capture_stop
	GOT=$(sec_count "$D/$c.pcap" "$hex")
	[ "$(stat -c %s "$D/$c.pcap")" -gt 1000 ] || sec_fail "$ci: capture nearly empty"
}

n=0
for ci in $ciphers; do
	n=$((n + 1))
	run "$ci" "$n"
	got=$GOT
	if [ "$ci" = none ]; then
		[ "$got" -ge 1 ] || sec_fail "Cipher = none: the marker is not in the capture: it cannot prove anything"
		echo "ok: Cipher = none: marker seen $got times on l1 (the capture works)"
	else
		[ "$got" -eq 0 ] || sec_fail "Cipher = $ci: the marker is on the wire $got times"
		echo "ok: Cipher = $ci: marker crossed mp0 both ways, never seen on l1"
	fi
done
exit 0
