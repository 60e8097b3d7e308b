#!/usr/bin/env bash
# The lab as a normal user: it makes its namespaces with `unshare -Urn` and
# gets the same results as root (the README's table); where /dev/net/tun is
# closed to users, it says so in one sentence. The user here is "nobody",
# with a normal user's environment (Debian's PATH has no /usr/sbin, so no
# sysctl and no root's ip), and /dev/net/tun is opened to all (as Debian and
# Ubuntu ship it) only inside this test's own mount namespace. After
# `sudo make lab`, no file in the tree is left to root.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --net true 2>/dev/null; then
    echo "$e2e_name: skipped: this machine does not let normal users create user namespaces"
    exit 0
fi
work=$(mktemp -d)
chmod 777 "$work"
trap 'umount /dev/net/tun 2>/dev/null; rm -rf "$work"' EXIT
user_path=/usr/local/bin:/usr/bin:/bin:/usr/games      # Debian 12's default for users
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -i PATH="$user_path" HOME="$work" LANG=C.UTF-8 LAB_DIR="$work/lab" "$@"
}

# /dev/net/tun as this machine has it.
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    out=$(as_nobody "$root/scripts/lab.sh" 05 2>&1); status=$?
    check_equal "with /dev/net/tun closed to users: the lab fails" 1 "$status"
    check_contains "and the step says what to do" \
        "no permission to open /dev/net/tun: run as root (sudo), or make it usable by all" "$out"
fi

# make check as a normal user whose /dev/net/tun is closed: a SKIP with
# the fix, and a check that checked nothing does not pass.
mknod -m 0600 "$work/tun-closed" c 10 200
mount --bind "$work/tun-closed" /dev/net/tun
out=$(cd "$root" && as_nobody "$root/scripts/check.sh" 05 "python3 examples/responder.py" 2>&1); status=$?
umount /dev/net/tun
check_contains "/dev/net/tun closed: make check skips the live checks, saying how to fix it" \
    "SKIP  the live checks: you may not open /dev/net/tun (mode 600): run 'sudo make check STEP=05 BIN=...', or 'sudo chmod 0666 /dev/net/tun'" "$out"
check_contains "and says nothing was checked" "check: nothing was checked" "$out"
check_equal "and does not pass" 3 "$status"

mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
for step in 03-naive-reply 04-echo-payload 05-checksum; do
    as_nobody "$root/scripts/lab.sh" "${step%%-*}" --summary "$work/$step.row" >"$work/$step.out" 2>&1
    check_equal "as nobody with a user's PATH, $step: the README's row" \
        "$(grep "^$step|" "$root/tests/transcripts/results.txt")" "$(cat "$work/$step.row" 2>/dev/null)"
done
# Step 09 and the real tools (traceroute is in /usr/sbin, not on a user's
# PATH), beside Linux in a namespace of the user's own: Part 2's rows.
as_nobody "$root/scripts/lab.sh" 09 --tools-summary "$work/09.tools" >"$work/09.out" 2>&1
check_equal "as nobody, 09-icmp-errors and Linux: the README's rows of Part 2's table" \
    "$(grep '^09-icmp-errors|\|^Linux|' "$root/tests/transcripts/tools.txt")" "$(cat "$work/09.tools" 2>/dev/null)"
# make check as a normal user, with a user's PATH: the same verdicts.
out=$(cd "$root" && as_nobody "$root/scripts/check.sh" 5 "python3 examples/responder.py" 2>&1)
check_contains "as nobody, make check STEP=5 BIN=\"python3 examples/responder.py\" passes" \
    "05-checksum: 8 passed, 0 failed" "$out"
# Step 08 in a user namespace of the user's own: uid 0 there is nobody
# outside, which make check knows; the host's checks run as for root.
out=$(cd "$root" && as_nobody "$root/scripts/check.sh" 8 "$root/bin/08-least-privilege" 2>&1)
check_contains "as nobody, make check STEP=8 BIN=bin/08-least-privilege passes" \
    "08-least-privilege: 16 passed, 0 failed" "$out"
check_contains "and reads who it runs as from /proc" \
    "PASS  it runs as uid 0 here, which is you outside, with no supplementary group (/proc/PID/status)" "$out"

# The lab shell's recipes work as typed, as a normal user.
printf '%s\n' 'ping -c 1 -W 2 192.0.2.2 | grep -c "bytes from"' \
    'echo "0 0" >/proc/sys/net/ipv4/ping_group_range && echo set' \
    'ping -c 1 -W 2 192.0.2.2 | grep -c "bytes from"' 'exit' |
    as_nobody "$root/scripts/lab.sh" 05 --shell >"$work/shell.out" 2>&1
check_equal "as nobody, the lab shell's raw ping, then its datagram recipe, both answered" \
    "$(printf '1\nset\n1')" "$(grep -x '1\|set' "$work/shell.out")"
check_lacks "and the banner gives no sysctl -w recipe" "sysctl -w" "$(cat "$work/shell.out")"
check_contains "and its tshark checks the IPv4 header checksum" "tshark -i tun0 -o ip.check_checksum:TRUE -V" \
    "$(cat "$work/shell.out")"

# sudo make lab, then the learner as themselves: nothing in the tree is root's.
tree=$work/tree
mkdir -p "$tree"
cp -r "$root"/Makefile "$root"/common "$root"/steps "$root"/scripts "$root"/tools "$root"/tests "$tree"/
chmod -R a+rX "$tree"
SUDO_UID=65534 SUDO_GID=65534 make -C "$tree" -s lab STEP=05 >"$work/sudo.out" 2>&1
check_equal "after 'sudo make lab': no file of bin/, build/ or lab/ belongs to root" "" \
    "$(find "$tree/bin" "$tree/build" "$tree/lab" -user 0 2>/dev/null | head -n 3)"
setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$user_path" HOME="$work" \
    make -C "$tree" -s lab STEP=05 >"$work/after-sudo.out" 2>&1
check_equal "and the learner's own 'make lab' then works" 0 $?
SUDO_UID=65534 SUDO_GID=65534 make -C "$tree" -s exercise STEP=01 >/dev/null 2>&1
SUDO_UID=65534 SUDO_GID=65534 make -C "$tree" -s check STEP=01 >"$work/sudo-check.out" 2>&1
check_equal "after 'sudo make exercise' and 'sudo make check': no file of workshop/ belongs to root" "" \
    "$(find "$tree/workshop" -user 0 2>/dev/null | head -n 3)"
check_contains "(that check ran)" "01-open-tun: " "$(cat "$work/sudo-check.out")"
touch "$tree/lab/left-by-root"
chown 0:0 "$tree/lab/left-by-root"
chmod 644 "$tree/lab/left-by-root"; chmod 755 "$tree/lab"; chown 0:0 "$tree/lab"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$user_path" HOME="$work" \
    make -C "$tree" -s lab STEP=05 2>&1)
check_contains "root's files in the tree: one sentence with the repair" \
    "is not yours" "$out"
check_contains "that names the command" "run 'sudo chown -R nobody: " "$out"
finish
