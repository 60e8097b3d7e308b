#!/bin/sh
# Install the Debian packages icmp-steps needs, and nothing else.
#
#   libcmocka-dev  unit tests          libpcap-dev  --pcap / --replay
#   iputils-ping   the real ping       tshark       Wireshark's verdict
#   graphviz       the diagrams        iproute2     namespaces and tun setup
#   bsdextrautils  hexdump -C, the reference for step 01
#   util-linux     unshare, for private network namespaces; setpriv
#   libcap2-bin    setcap and capsh, for the tests of giving up privileges
#   python3        tools/weave.py, which keeps the lessons in step with the code
#   clang          libFuzzer, for `make fuzz` (with its runtime, libclang-rt-*-dev)
#   traceroute, iputils-tracepath, netcat-openbsd
#                  the tools a host must satisfy from step 06 on (the lab, make demo)
#   strace         counts the system calls a reply costs (test_syscalls.sh)
#
# Called by `make deps`, by `make test` and `make demo` when something is
# missing, and by .ci/run. Safe to run twice: it installs only what is absent.
set -eu

PACKAGES="build-essential pkg-config libcmocka-dev libpcap-dev iputils-ping tshark graphviz iproute2 bsdextrautils util-linux libcap2-bin python3 clang jq xxd traceroute iputils-tracepath netcat-openbsd strace"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "icmp-steps needs these Debian packages:$missing" >&2
    echo "Install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# libFuzzer's runtime: Debian 12 names it libclang-rt-dev, Ubuntu by version.
apt-get install -y -qq --no-install-recommends libclang-rt-dev >/dev/null 2>&1 || true
echo "Installed:$missing"
