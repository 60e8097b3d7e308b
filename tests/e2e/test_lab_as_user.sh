#!/usr/bin/env bash
# The lab as a normal user: it makes its namespaces with `unshare -Urn` and
# gets the same results as root; where /dev/net/tun is closed to users, it
# says so in one sentence. The user here is "nobody", and /dev/net/tun is
# opened to all (as Debian and Ubuntu ship it) only inside this test's own
# mount namespace.
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
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$work" LAB_DIR="$work/lab" "$@"; }

# /dev/net/tun as this machine has it.
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    out=$(as_nobody "$root/scripts/lab.sh" 05 2>&1); status=$?
    check_equal "with /dev/net/tun closed to users: the lab fails" 1 "$status"
    check_contains "and the step says what to do" \
        "no permission to open /dev/net/tun: run as root (sudo), or make it usable by all" "$out"
fi

mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
for step in 03-naive-reply 05-checksum; do
    as_nobody "$root/scripts/lab.sh" "${step%%-*}" --summary "$work/$step.row" >"$work/$step.out" 2>&1
    check_equal "as nobody, $step: the same results as root" \
        "$(grep "^$step|" "$root/tests/transcripts/results.txt")" "$(cat "$work/$step.row" 2>/dev/null)"
done
finish
