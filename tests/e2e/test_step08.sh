#!/usr/bin/env bash
# Step 08 is step 07 without root: started as root, it is nobody once the
# tun is open, with no capability, as the kernel shows it (/proc/PID/status,
# never what the step says), and it still does all step 07 does. Started as
# nobody on a tun made for nobody, it has nothing to give up.
# (tests/e2e/test_privileges.sh covers each way a drop could fall short.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

inject="$root/build/tools/inject"
request="$root/tests/fixtures/requests/default.pcap"
work=$(mktemp -d)
trap 'stop_step 2>/dev/null; rm -rf "$work"' EXIT

STEP_BIN_DIR=build/asan/bin start_step 08-least-privilege
sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1

# Least privilege: started as root, it is now nobody, with no capabilities.
status=$(cat "/proc/$step_pid/status")
check_contains "started as root, runs as nobody" "$(printf 'Uid:\t65534\t65534\t65534\t65534')" "$status"
check_contains "with nobody's group" "$(printf 'Gid:\t65534\t65534\t65534\t65534')" "$status"
check "with no supplementary group" grep -qP '^Groups:\s*$' <<<"$status"
check_contains "with no effective capability" "$(printf 'CapEff:\t0000000000000000')" "$status"
check_contains "with no permitted capability" "$(printf 'CapPrm:\t0000000000000000')" "$status"
check_contains "and no way to gain any (no_new_privs)" "$(printf 'NoNewPrivs:\t1')" "$status"
check_contains "it says so" "now running as nobody (uid 65534, gid 65534), with no capabilities" \
    "$(cat "$step_log")"

# As nobody, it still does what step 07 does (tests/e2e/test_step07.sh
# compares it with the kernel): answers its own address only, returns the
# route, refuses every rung of the ladder.
out=$(ping_with raw -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "as nobody: answers ping 192.0.2.2" "2 received" "$out"
out=$(ping_with raw -c 1 -W 1 192.0.2.77)
check_contains "as nobody: not ping 192.0.2.77" " 0 received" "$out"
out=$(ping_with raw -c 1 -W 1 -R 192.0.2.2)
check_contains "as nobody: ping -R, the route there and back" \
    "$(printf 'RR: \t192.0.2.1\n\t192.0.2.2\n\t192.0.2.2\n\t192.0.2.1')" "$out"
out=$("$inject" -i tun0 --ladder "$request")
check_equal "as nobody: no reply to any of the ladder's 18 packets" "sent 18, replies 0" "$out"

# Random input, then still answering.
out=$("$inject" -i tun0 --random 5000 --seed 6)
check_contains "5000 random packets sent" "sent 5000" "$out"
check "still running after them" kill -0 "$step_pid"
out=$(ping_with raw -c 3 -i 0.2 -W 1 192.0.2.2)
check_contains "still answers ping" "3 received" "$out"

stop_step
check_equal "SIGTERM ends it with status 0, no sanitizer report" 0 "$step_status"
check_contains "and prints its counters when it stops" "08-least-privilege: packets by verdict" \
    "$(tail -n 22 "$step_log")"

# Without root: a tun made for the user "nobody", and /dev/net/tun open to
# all as Debian and Ubuntu ship it (here only inside this test's own mount
# namespace).
mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
ip tuntap add mode tun user nobody name tun7
ip addr add 192.0.2.1/24 dev tun7
ip link set tun7 up
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$root/bin/08-least-privilege" -i tun7 >"$work/nobody.log" 2>&1 &
nobody_pid=$!
wait_for_link tun7
out=$(ping_with datagram -c 2 -i 0.2 -W 1 192.0.2.2)
check_contains "as nobody, on a tun made for nobody: answers ping" "2 received" "$out"
check_contains "and says it had nothing to give up" "not root (uid 65534): nothing to give up" \
    "$(cat "$work/nobody.log")"
kill -TERM $nobody_pid; wait $nobody_pid
check_equal "as nobody: SIGTERM ends it with status 0" 0 $?
ip tuntap del mode tun name tun7
umount /dev/net/tun
finish
