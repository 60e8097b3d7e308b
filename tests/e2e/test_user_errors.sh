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
    out=$(timeout 5 "$@" 2>&1 >/dev/null); got=$?   # a step that runs instead fails, not hangs
    check_equal "$what: exit status $status" "$status" "$got"
    check_equal "$what: one line" 1 "$(printf '%s\n' "$out" | grep -c '')"
    check_contains "$what: says what to do" "$text" "$out"
}

expect_one_line "an unknown option" 2 "unknown option '--frobnicate': run '$bin -h' for usage." \
    "$bin" --frobnicate
expect_one_line "-i without a name" 2 "option '-i' needs a value" "$bin" -i
expect_one_line "a stray argument" 2 "unexpected argument 'tun0'" "$bin" tun0
# Names as Linux's dev_valid_name() takes them; today's would have reached
# the kernel and come back as "exists and is not a tun device".
for name in averyveryverylongname 'a b' a/b .. a:b; do
    expect_one_line "-i '$name'" 2 \
        "'$name' is not a valid interface name: use 1 to 15 characters, without '/', ':' or spaces" \
        "$bin" -i "$name"
done
expect_one_line "-i 'tun%d' (the kernel would choose the name)" 2 \
    "'tun%d' asks the kernel to choose the device's name" "$bin" -i 'tun%d'
check "and no tun was made for it" bash -c "! ip -o link show type tun | grep -q ."
expect_one_line "-hi: the option that lacks a value is -i" 2 "option '-i' needs a value" "$bin" -hi
expect_one_line "--help=x: the flag given a value is named, as typed" 2 \
    "option '--help' takes no value: run '$bin -h' for usage." "$bin" --help=x
expect_one_line "--pcap '': an empty name" 2 "option '--pcap' needs a value, and it is empty" \
    "$bin" --pcap ''
expect_one_line "--replay=: an empty name" 2 "option '--replay' needs a value, and it is empty" \
    "$bin" --replay=
expect_one_line "-i given twice" 2 "-i/--interface is given twice: give it once" \
    "$bin" -i tun1 --interface tun2
expect_one_line "-i with --replay" 2 "--replay reads a capture instead of a tun device: leave out -i." \
    "$bin" --replay "$root/tests/fixtures/mixed.pcap" -i tun1
expect_one_line "--pcap -" 2 "--pcap - would mix the capture with the log on standard output" \
    "$bin" --pcap -
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
    "--user is for steps that give up root (08 on): leave it out." "$bin" --user nobody
expect_one_line "--icmp-ratelimit with a step that sends no errors" 2 \
    "--icmp-ratelimit, --icmp-msgs-per-sec and --icmp-msgs-burst are for steps that send ICMP errors (09 on): leave them out." \
    "$root/bin/08-least-privilege" --icmp-ratelimit 0
expect_one_line "--ipfrag-time with a step that does not reassemble" 2 \
    "09-icmp-errors: --ipfrag-time and --ipfrag-high-thresh are for steps that put fragments back together (10 on): leave them out." \
    "$root/bin/09-icmp-errors" -i tun6 --ipfrag-time 5
expect_one_line "--ipfrag-high-thresh with step 05" 2 \
    "05-checksum: --ipfrag-time and --ipfrag-high-thresh are for steps that put fragments back together (10 on): leave them out." \
    "$bin" -i tun6 --ipfrag-high-thresh 65536
expect_one_line "--icmp-msgs-per-sec that is not a number" 2 \
    "--icmp-msgs-per-sec 'lots' is not a whole number from 0 to 1000000: give one, for example --icmp-msgs-per-sec 1000 (0 turns the limit off)." \
    "$root/bin/09-icmp-errors" --icmp-msgs-per-sec lots
expect_one_line "--icmp-ratelimit -5, below 0" 2 \
    "--icmp-ratelimit '-5' is not a whole number from 0 to 1000000: give one, for example --icmp-ratelimit 1000 (0 turns the limit off)." \
    "$root/bin/09-icmp-errors" -i tun6 --icmp-ratelimit -5
expect_one_line "--icmp-ratelimit 2000000, past its range" 2 \
    "--icmp-ratelimit '2000000' is not a whole number from 0 to 1000000" \
    "$root/bin/09-icmp-errors" -i tun6 --icmp-ratelimit 2000000
expect_one_line "--icmp-msgs-burst without its value" 2 \
    "option '--icmp-msgs-burst' needs a value: run '$root/bin/09-icmp-errors -h' for usage." \
    "$root/bin/09-icmp-errors" -i tun6 --icmp-msgs-burst
expect_one_line "--icmp-ratelimit given twice" 2 \
    "--icmp-ratelimit is given twice: give it once" \
    "$root/bin/09-icmp-errors" -i tun6 --icmp-ratelimit 5 --icmp-ratelimit 6
expect_one_line "--icmp-msgs-burst with step 05, which sends no errors" 2 \
    "05-checksum: --icmp-ratelimit, --icmp-msgs-per-sec and --icmp-msgs-burst are for steps that send ICMP errors (09 on): leave them out." \
    "$bin" -i tun6 --icmp-msgs-burst 5
expect_one_line "--user with step 07, which still keeps root" 2 \
    "07-ip-options: --user is for steps that give up root (08 on): leave it out." \
    "$root/bin/07-ip-options" -i tun6 --user nobody
# --address: from step 06 on, and a host's address only.
expect_one_line "--address with step 05, which has no address of its own" 2 \
    "05-checksum: --address is for steps that have addresses of their own (06 on): leave it out." \
    "$bin" --address 192.0.2.9/24
expect_one_line "--address 300.1.1.1/24, not an address" 2 \
    "'300.1.1.1/24' is not an IPv4 address with a prefix length: write it as --address 192.0.2.2/24." \
    "$root/bin/06-host-checks" -i tun6 --address 300.1.1.1/24
expect_one_line "--address 192.0.2.255/24, the subnet's broadcast" 2 \
    "--address 192.0.2.255/24 is the broadcast address of its subnet, not a host's address: choose another, for example 192.0.2.2/24." \
    "$root/bin/06-host-checks" -i tun6 --address 192.0.2.255/24
expect_one_line "--address 2001:db8::2/64 with step 10, which speaks IPv4 only" 2 \
    "10-fragments: --address with an IPv6 address is for step 11 on, which speaks IPv6: give this step an IPv4 address (A.B.C.D/N)." \
    "$root/bin/10-fragments" -i tun6 --address 2001:db8::2/64
expect_one_line "--address ff02::1/64 with step 11, a multicast group" 2 \
    "which no host may have" \
    "$root/bin/11-ipv6" -i tun6 --address ff02::1/64
check "11-ipv6 --help names its IPv6 default" bash -c \
    "'$root/bin/11-ipv6' --help | grep -q 'default 2001:db8::2/64 too'"
check "and no tun was made for any of them" bash -c "! ip -o link show tun6 2>/dev/null | grep -q ."
expect_one_line "--user naming nobody that exists" 1 \
    "there is no user 'no-such-user' to run as: name one with --user." \
    "$root/bin/08-least-privilege" -i tun6 --user no-such-user

for step in 02-parse-ipv4 03-naive-reply 04-echo-payload 08-least-privilege; do
    start_step $step
    stop_step
    check_equal "$step: SIGTERM ends it with status 0" 0 "$step_status"
done
# Step 01 takes -i NAME only, checked as Linux checks names; it says what
# it ignores.
expect_one_line "01-open-tun: -i without a name" 2 "01-open-tun: -i needs a name, for example -i tun0." \
    "$root/bin/01-open-tun" -i
expect_one_line "01-open-tun: a name Linux refuses" 2 "'tun%d' cannot be an interface name" \
    "$root/bin/01-open-tun" -i 'tun%d'
out=$(timeout 1 "$root/bin/01-open-tun" -i tun5 --pcap x 2>&1)
check_contains "01-open-tun: says it ignores step 02's options" \
    "01-open-tun: ignored all but -i IFNAME: the other options come with step 02." "$out"
check_contains "and opens the tun it was given" "01-open-tun: reading tun5" "$out"

# Step 01 is the plain loop: it catches no signal, so SIGTERM ends it as the
# kernel ends any program (128 + 15), and what it printed is already out.
start_step 01-open-tun
ping -c1 -W1 192.0.2.2 >/dev/null 2>&1
stop_step
check_equal "01-open-tun: SIGTERM ends it (it catches no signal: status 128+15)" 143 "$step_status"
check_contains "and every packet it read was printed before it ended" "read 84 bytes" "$(cat "$step_log")"

# A tun made for another user ('ip tuntap add ... user nobody'), with
# /dev/net/tun open to all (as Debian ships it) and /sys showing this
# network namespace, both only in this test's own mount namespace.
work=$(mktemp -d)
mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
mount -t sysfs sysfs /sys
ip tuntap add mode tun user nobody name tun8
out=$(setpriv --reuid=1 --regid=1 --clear-groups "$bin" -i tun8 2>&1); status=$?
check_equal "a tun that belongs to nobody, as uid 1: exit status 1" 1 "$status"
check_equal "a tun that belongs to nobody: says whose it is" \
    "05-checksum: tun8 exists and belongs to uid 65534: run as that user, or choose another name with -i." "$out"
ip tuntap del mode tun name tun8
ip tuntap add mode tun group nogroup name tun8
out=$(setpriv --reuid=1 --regid=1 --clear-groups "$bin" -i tun8 2>&1)
check_equal "a tun for group nogroup: says which group" \
    "05-checksum: tun8 exists and belongs to group 65534: run in that group, or choose another name with -i." "$out"
ip tuntap del mode tun name tun8
# Both: the kernel wants the user and the group, so being nobody is not enough.
ip tuntap add mode tun user nobody group nogroup name tun8
out=$(setpriv --reuid=65534 --regid=1 --clear-groups "$bin" -i tun8 2>&1)
check_equal "a tun for nobody in group nogroup, as nobody in group 1: says both" \
    "05-checksum: tun8 exists and belongs to uid 65534 and group 65534: run as that user, in that group, or choose another name with -i." "$out"
ip tuntap del mode tun name tun8
umount /sys /dev/net/tun; rm -rf "$work"

out=$("$root/scripts/lab.sh" 42 2>&1); status=$?
check_equal "make lab with a step that does not exist: exit 2" 2 "$status"
check_contains "and it lists the steps there are" "there is no step '42': choose one of 01-open-tun" "$out"
finish
