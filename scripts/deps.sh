# deps.sh: the Debian packages mptun needs, and an installer for the missing ones.
# Sourced by scripts/build, scripts/test and scripts/demo.

# to build the daemon
MPTUN_BUILD_DEPS="gcc make autoconf automake pkg-config libev-dev libsodium-dev libmnl-dev libssl-dev"
# to run the test suite and the benchmarks: real third-party peers, no mocks
MPTUN_TEST_DEPS="iproute2 iputils-ping iperf3 socat jq python3 tcpdump nftables ethtool mptcpize
	microsocks tinyproxy dante-server xinetd vtun openvpn openssh-server openssh-client clang
	mandoc procps psmisc util-linux passwd systemd sysstat"

# deps_install PKG...: apt-get install whatever is not installed yet (root only).
deps_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# the packaged daemons must not keep running: tests start their own instances
	for p in tinyproxy danted xinetd ssh openvpn vtun; do
		systemctl disable --now "$p" >/dev/null 2>&1 || service "$p" stop >/dev/null 2>&1 || true
	done
}
