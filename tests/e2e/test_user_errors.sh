#!/usr/bin/env bash
# A learner's mistakes get one sentence that says what to do, and a non-zero
# exit; Ctrl-C and SIGTERM end a step cleanly.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

bin=$root/bin/05-checksum

# expect_one_line "what" STATUS TEXT command...
expect_one_line() {
    local what=$1 status=$2 text=$3 out got; shift 3
    out=$("$@" 2>&1 >/dev/null); got=$?
    check_equal "$what: exit status $status" "$status" "$got"
    check_equal "$what: one line" 1 "$(printf '%s\n' "$out" | grep -c '')"
    check_contains "$what: says what to do" "$text" "$out"
}

expect_one_line "an unknown option" 2 "unknown option '--frobnicate': run '$bin -h' for usage." \
    "$bin" --frobnicate
expect_one_line "-i without a name" 2 "option '-i' needs a value" "$bin" -i
expect_one_line "a stray argument" 2 "unexpected argument 'tun0'" "$bin" tun0
expect_one_line "a name too long for Linux" 1 \
    "'averyveryverylongname' cannot be an interface name: use 1 to 15 characters" \
    "$bin" -i averyveryverylongname
expect_one_line "a device that is not a tun" 1 "lo exists and is not a tun device: choose another name with -i." \
    "$bin" -i lo

start_step 05-checksum
expect_one_line "tun0 already taken by another step" 1 \
    "tun0 is already in use by another program: stop that program, or choose another name with -i." \
    "$bin" -i tun0

# Without root, there is no way in: either /dev/net/tun is closed to us
# (mode 0600, as on some systems) or creating a device needs CAP_NET_ADMIN.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$bin" -i tun5 2>&1); status=$?
check_equal "as nobody: exit status 1" 1 "$status"
check_contains "as nobody: says there is no permission and what to do" "05-checksum: no permission to" "$out"
check_contains "as nobody: suggests root" "root" "$out"

check "-h prints the usage and exits 0" bash -c "'$bin' -h | grep -q '^usage: .*05-checksum \[-i IFNAME\]'"

kill -INT "$step_pid"; wait "$step_pid"; status=$?
check_equal "Ctrl-C (SIGINT) ends a step with status 0" 0 "$status"
check_contains "and it says how many packets it saw" "05-checksum: stopped after" "$(cat "$step_log")"

expect_one_line "--user with a step that keeps no privileges" 2 \
    "--user is for steps that give up root (06 on): leave it out." "$bin" --user nobody
expect_one_line "--user naming nobody that exists" 1 \
    "there is no user 'no-such-user' to run as: name one with --user." \
    "$root/bin/06-host-requirements" -i tun6 --user no-such-user

for step in 01-open-tun 02-parse-ipv4 03-naive-reply 04-echo-payload 06-host-requirements; do
    start_step $step
    stop_step
    check_equal "$step: SIGTERM ends it with status 0" 0 "$step_status"
done

out=$("$root/scripts/lab.sh" 42 2>&1); status=$?
check_equal "make lab with a step that does not exist: exit 2" 2 "$status"
check_contains "and it lists the steps there are" "there is no step '42': choose one of 01-open-tun" "$out"
finish
