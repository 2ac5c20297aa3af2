#!/usr/bin/env bash
# ops-install: `make install DESTDIR=...` puts the binary, both man pages, the systemd unit
# (with the installed binary's path), the sysusers.d file, the bash completion and the
# example configurations in place. The unit passes `systemd-analyze verify` (when systemd
# is installed), the man pages `mandoc -Tlint` (when mandoc is), every example `mptun
# check`, and the completion completes commands and options.
set -eu
[ -n "${top_builddir:-}" ] || { echo "SKIP: run through make check"; exit 77; }
command -v make >/dev/null || { echo "SKIP: make not installed"; exit 77; }
D=$(mktemp -d /tmp/mptun-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

# the test runs under make check: start a make of our own, not a job of that one
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$D" \
	>"$D.log" 2>&1 || { cat "$D.log"; rm -f "$D.log"; fail "make install"; }
rm -f "$D.log"
bindir=$(make -s -C "$top_builddir" --no-print-directory -f - print-bindir <<EOF
include Makefile
print-bindir:
	@echo \$(bindir) \$(mandir) \$(docdir) \$(datadir) \$(prefix)
EOF
)
read -r bindir mandir docdir datadir prefix <<<"$bindir"
echo "prefix $prefix"
(cd "$D" && find . -type f | sort)
for f in "$bindir/mptun" "$mandir/man8/mptun.8" "$mandir/man5/mptun.conf.5" \
	"$prefix/lib/systemd/system/mptun@.service" "$prefix/lib/sysusers.d/mptun.conf" \
	"$datadir/bash-completion/completions/mptun" "$docdir/examples/client.conf" \
	"$docdir/examples/server.conf"; do
	[ -s "$D$f" ] || fail "not installed: $f"
done
[ -x "$D$bindir/mptun" ] || fail "the binary is not executable"
n=$(ls "$D$docdir/examples/"*.conf | wc -l)
[ "$n" -eq "$(ls "$top_srcdir"/conf/*.conf | wc -l)" ] || fail "$n examples installed"
"$D$bindir/mptun" genkey | "$D$bindir/mptun" pubkey >/dev/null || fail "the installed binary does not run"

echo "# the unit"
U=$D$prefix/lib/systemd/system/mptun@.service
grep -qx "ExecStart=$bindir/mptun run /etc/mptun/%i.conf" "$U" || fail "ExecStart: $(grep ExecStart "$U")"
grep -q '@bindir@' "$U" && fail "unsubstituted @bindir@ in the unit"
for l in Type=notify WatchdogSec= "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" \
	"AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW" "DeviceAllow=/dev/net/tun rw" \
	DevicePolicy=closed NoNewPrivileges=yes ProtectSystem=strict; do
	grep -q "^$l" "$U" || fail "the unit lacks $l"
done
if command -v systemd-analyze >/dev/null && [ -d /usr/lib/systemd/system ] &&
	[ -e /usr/lib/systemd/system/sysinit.target ]; then
	# verify an instance, pointing at the installed binary
	mkdir "$D/units"
	sed "s|$bindir/mptun|$D$bindir/mptun|g" "$U" >"$D/units/mptun@mp0.service"
	systemd-analyze verify --man=no "$D/units/mptun@mp0.service" || fail "systemd-analyze verify"
	echo "systemd-analyze verify: ok"
	systemd-analyze security --offline=yes --no-pager "$D/units/mptun@mp0.service" 2>/dev/null |
		grep Overall || true
else
	echo "systemd-analyze not available: unit not verified"
fi

echo "# man pages"
if command -v mandoc >/dev/null; then
	for m in "$D$mandir/man8/mptun.8" "$D$mandir/man5/mptun.conf.5"; do
		out=$(mandoc -Tlint "$m" 2>&1 | grep -E 'WARNING|ERROR|UNSUPP' | grep -v 'mandoc.db' || true)
		[ -z "$out" ] || fail "mandoc -Tlint $m: $out"
	done
	mandoc -Tascii "$D$mandir/man8/mptun.8" | grep -q "SIGHUP" || fail "mptun.8 does not render"
	echo "mandoc -Tlint: ok"
fi
for c in run check show reload genkey pubkey reflect pipe; do
	grep -q "^\.It Cm $c" "$D$mandir/man8/mptun.8" || fail "mptun.8 does not describe $c"
done
for s in SIGHUP SIGUSR1 SIGUSR2 SIGTERM; do
	grep -q "Dv $s" "$D$mandir/man8/mptun.8" || fail "mptun.8 does not describe $s"
done

echo "# examples"
for f in "$D$docdir/examples/"*.conf; do
	# key files named in an example need not exist here: check the rest
	if grep -qiE '^(PrivateKeyFile|PresharedKeyFile)' "$f"; then continue; fi
	"$D$bindir/mptun" check "$f" >/dev/null || fail "mptun check $(basename "$f")"
done

echo "# bash completion"
out=$(bash -c '
	complete() { :; }
	compopt() { :; }
	. "$1"
	COMP_WORDS=(mptun re); COMP_CWORD=1; _mptun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(mptun show --p); COMP_CWORD=2; _mptun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(mptun reload -); COMP_CWORD=2; _mptun; echo "${COMPREPLY[*]}"
' _ "$D$datadir/bash-completion/completions/mptun")
echo "$out"
[ "$(sed -n 1p <<<"$out")" = "reload reflect" ] || fail "command completion"
[ "$(sed -n 2p <<<"$out")" = "--prometheus --peer" ] || fail "show option completion"
sed -n 3p <<<"$out" | grep -q -- "--socket" || fail "reload option completion"
echo "PASS"
