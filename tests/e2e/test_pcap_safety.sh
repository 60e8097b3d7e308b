#!/usr/bin/env bash
# Nothing lost: --pcap never overwrites the capture --replay reads, never
# writes through a link or a file planted for root, says once when a write
# fails and exits 1, keeps whole records only, and cuts records to its
# 65535-byte snaplen; --replay reads only IP out of Ethernet (VLAN tags
# included) and Linux cooked captures. The test captures are written byte by
# byte from the pcap format (tests/e2e/pcap_build.py), and tshark confirms
# what they hold.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

bin=$root/bin/08-least-privilege
build() { python3 "$root/tests/e2e/pcap_build.py" "$@"; }
request=$root/tests/fixtures/requests/default.pcap
work=$(mktemp -d)
chmod 755 "$work"
loop=
trap 'umount "$work/small" 2>/dev/null; [ -z "$loop" ] || losetup --detach "$loop"; rm -rf "$work"' EXIT

# run WHAT STATUS TEXT ARGS...: the step exits with STATUS, and its standard
# error is one line that contains TEXT.
run() {
    local what=$1 status=$2 text=$3 got; shift 3
    timeout 10 "$bin" "$@" >"$work/out" 2>"$work/err"; got=$?
    check_equal "$what: exit status $status" "$status" "$got"
    check_equal "$what: one line" 1 "$(grep -c '' "$work/err")"
    check_contains "$what: says so" "$text" "$(cat "$work/err")"
}

# --pcap naming the capture --replay reads, by any name.
cp "$request" "$work/m.pcap"
ln -s m.pcap "$work/symlink.pcap"
ln "$work/m.pcap" "$work/hardlink.pcap"
sum=$(sha256sum <"$work/m.pcap")
for pair in "m.pcap m.pcap" "symlink.pcap m.pcap" "m.pcap symlink.pcap" "m.pcap hardlink.pcap"; do
    set -- $pair
    run "--replay $1 --pcap $2" 2 "is the capture --replay reads, and writing it would destroy it" \
        --replay "$work/$1" --pcap "$work/$2"
    check_equal "--replay $1 --pcap $2: the capture is intact" "$sum" "$(sha256sum <"$work/m.pcap")"
done

# Files that take no writes: said at once, exit status 1.
run "--pcap /dev/full" 1 "cannot write the capture /dev/full (No space left on device)." \
    --replay "$request" --pcap /dev/full
run "--pcap /proc/version" 1 "cannot write the capture /proc/version" \
    --replay "$request" --pcap /proc/version

# A file system that fills up half way: said once, exit status 1, and the
# file keeps whole records only (tshark reads it without complaint).
mkdir "$work/small"
mount -t tmpfs -o size=64k tmpfs "$work/small"
build many "$work/many.pcap" "$request" 2000
timeout 20 "$bin" --replay "$work/many.pcap" --pcap "$work/small/out.pcap" >/dev/null 2>"$work/err"
check_equal "a full file system: exit status 1" 1 $?
check_equal "a full file system: said once" 1 "$(grep -c 'writing the capture' "$work/err")"
kept=$(sed -n 's/.*failed after \([0-9]*\) records (No space left on device).*/\1/p' "$work/err")
check "a full file system: it says how many records it kept ($kept)" test -n "$kept"
check_equal "those records are in the file, whole" "$kept" \
    "$(build records "$work/small/out.pcap" | tail -n +2 | awk '$1 == $2' | wc -l)"
check "and tshark reads it without an error" tshark -r "$work/small/out.pcap" -q 2>/dev/null
check "and the step still answered every request (2000 replies)" \
    grep -q "replayed 2000 packets from .*, 2000 replies" "$work/err"
umount "$work/small"

# Root writing in a directory anyone may write to (mode 1777, like /tmp):
# what someone else put there is not written through.
mkdir -m 1777 "$work/shared"
echo precious >"$work/victim"
ln -s "$work/victim" "$work/shared/link.pcap"
ln "$work/victim" "$work/shared/hard.pcap"
setpriv --reuid=65534 --regid=65534 --clear-groups touch "$work/shared/planted.pcap"
run "a symbolic link planted for root" 1 "link.pcap is or goes through a symbolic link, which the step does not follow" \
    --replay "$request" --pcap "$work/shared/link.pcap"
run "a hard link planted for root" 1 "hard.pcap has another name (a hard link)" \
    --replay "$request" --pcap "$work/shared/hard.pcap"
run "a file planted by nobody" 1 "planted.pcap belongs to someone else in a directory anyone may write to" \
    --replay "$request" --pcap "$work/shared/planted.pcap"
check_equal "the file the links name is intact" precious "$(cat "$work/victim")"
check_equal "the planted file is untouched" 0 "$(stat -c %s "$work/shared/planted.pcap")"

# A directory on the way that is a link (O_NOFOLLOW looks at the last name
# only): nobody's shared/dir -> $work/private, where root keeps out.pcap.
mkdir "$work/private"
echo precious >"$work/private/out.pcap"
setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$work/private" "$work/shared/dir"
run "a directory planted as a link" 1 "dir/out.pcap is or goes through a symbolic link" \
    --replay "$request" --pcap "$work/shared/dir/out.pcap"
run "a directory planted as a link, new name" 1 "dir/new.pcap is or goes through a symbolic link" \
    --replay "$request" --pcap "$work/shared/dir/new.pcap"
check_equal "the file behind it is intact, and nothing was created beside it" "out.pcap precious" \
    "$(ls "$work/private") $(cat "$work/private/out.pcap")"

# A named pipe planted by nobody, with nobody reading it: it gets nothing.
setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo "$work/shared/pipe.pcap"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    timeout 20 dd if="$work/shared/pipe.pcap" of="$work/shared/stolen" status=none &
reader=$!
run "a named pipe planted by nobody" 1 "pipe.pcap belongs to someone else in a directory anyone may write to" \
    --replay "$request" --pcap "$work/shared/pipe.pcap"
wait $reader
check_equal "its reader got nothing" 0 "$(stat -c %s "$work/shared/stolen" 2>/dev/null || echo none)"

# A disk (a block device, here a loop device over a file): never written.
head -c 65536 /dev/zero >"$work/disk"
if loop=$(losetup --find --show "$work/disk" 2>/dev/null); then
    run "--pcap a block device" 1 "$loop is a disk (a block device), which the capture would overwrite" \
        --replay "$request" --pcap "$loop"
    losetup --detach "$loop"; loop=
    check_equal "and the disk is untouched" 0 "$(tr -d '\0' <"$work/disk" | wc -c)"
else
    ok "--pcap a block device: skipped, losetup cannot make a loop device here"
fi
ip link set lo up
run "live, as root, before it opens the tun" 1 "link.pcap is or goes through a symbolic link" \
    -i tun0 --pcap "$work/shared/link.pcap"
timeout 10 "$bin" --replay "$request" --pcap "$work/shared/mine.pcap" >/dev/null 2>&1
check_equal "a new file there is fine: exit status 0" 0 $?
check_equal "and it holds the request and its reply" 2 \
    "$(tshark -r "$work/shared/mine.pcap" 2>/dev/null | wc -l)"

# A named pipe, for a live view (what --pcap - cannot be): tshark reads it.
mkfifo "$work/feed"
timeout 30 tshark -r "$work/feed" -T fields -e icmp.type >"$work/feed.txt" 2>/dev/null &
tshark_pid=$!
timeout 10 "$bin" --replay "$work/many.pcap" --pcap "$work/feed" >/dev/null 2>&1
check_equal "--pcap to a named pipe: exit status 0" 0 $?
wait $tshark_pid
check_equal "and tshark read every request and reply from it" "2000 2000" \
    "$(grep -c '^8$' "$work/feed.txt") $(grep -c '^0$' "$work/feed.txt")"

# A pipe whose reader goes away (Wireshark closed): said once, the step goes
# on answering and exits 1, instead of a silent death by SIGPIPE (141).
mkfifo "$work/short"
head -c 100 "$work/short" >/dev/null &
timeout 10 "$bin" --replay "$work/many.pcap" --pcap "$work/short" >/dev/null 2>"$work/err"
check_equal "a pipe whose reader leaves: exit status 1" 1 $?
check_equal "a pipe whose reader leaves: said once" 1 \
    "$(grep -c 'writing the capture .* failed after .* (Broken pipe)' "$work/err")"
check_contains "a pipe whose reader leaves: it went on answering" \
    "replayed 2000 packets from $work/many.pcap, 2000 replies" "$(cat "$work/err")"

# Live, a pipe whose reader stops reading (a paused viewer) never stops the
# step answering: under a flood every request is answered, SIGTERM ends it
# at once, and it says how many records it left out (exit status 1).
mkfifo "$work/stall"
sleep 60 <"$work/stall" &
stalled=$!
start_step 08-least-privilege --pcap "$work/stall"
received=$(timeout 20 ping -f -c 2000 -s 1000 -W 1 192.0.2.2 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p')
check_equal "a pipe nobody reads from: a 2000-request flood is answered in full" 2000 "$received"
kill -TERM "$step_pid"
for _ in $(seq 40); do kill -0 "$step_pid" 2>/dev/null || break; sleep 0.05; done
check "a pipe nobody reads from: SIGTERM ends the step within 2 s" bash -c "! kill -0 $step_pid 2>/dev/null"
kill -KILL "$step_pid" 2>/dev/null; wait "$step_pid"
check_equal "a pipe nobody reads from: exit status 1" 1 $?
check "a pipe nobody reads from: it says how many records it left out" \
    grep -q "records were left out of the pipe $work/stall, whose reader did not keep up" "$step_log"
kill $stalled 2>/dev/null; wait $stalled 2>/dev/null

# Link layers: only IP is handed to the step. First, that tshark reads the
# built captures as we meant them.
build links "$work/links.pcap" "$request"
build cooked "$work/cooked.pcap" "$request"
check_equal "tshark: the Ethernet capture holds ARP, IPv4, 802.1Q and 802.1ad frames" \
    "0x0806 ;0x0800 8;0x8100 8;0x88a8 8" \
    "$(tshark -r "$work/links.pcap" -T fields -e eth.type -e icmp.type 2>/dev/null | tr '\t' ' ' | paste -sd';')"
check_equal "tshark: the cooked capture holds an IPv6 frame with version-4 bytes, then IPv4" \
    "0x86dd 4 ;0x0800 4 8" \
    "$(tshark -r "$work/cooked.pcap" -T fields -e sll.etype -e ip.version -e icmp.type 2>/dev/null |
        tr '\t' ' ' | paste -sd';')"
timeout 10 "$bin" --replay "$work/links.pcap" >"$work/out" 2>"$work/err"
check_equal "Ethernet: the ARP frame is skipped, with a word" \
    "record 1 skipped: an Ethernet frame of type 0x0806 (ARP), not IP" "$(grep '^record' "$work/out")"
check_contains "Ethernet: the IPv4 frames, VLAN-tagged or not, are answered" \
    "replayed 3 packets from $work/links.pcap, 3 replies" "$(cat "$work/err")"
check_contains "and the end says how many were skipped" "skipped 1 records" "$(cat "$work/err")"
timeout 10 "$bin" --replay "$work/cooked.pcap" >"$work/out" 2>"$work/err"
check_equal "cooked: an IPv6 frame with IPv4-looking bytes is skipped" \
    "record 1 skipped: a Linux cooked frame of type 0x86dd (IPv6) whose packet says version 4" \
    "$(grep '^record' "$work/out")"
check_contains "cooked: the IPv4 frame is answered" "replayed 1 packets from $work/cooked.pcap, 1 replies" \
    "$(cat "$work/err")"

# A record over 65535 bytes: cut to the snaplen, its true length kept.
build big "$work/big.pcap"
timeout 10 "$bin" --replay "$work/big.pcap" --pcap "$work/big-out.pcap" >/dev/null 2>&1
check_equal "a 70000-byte record is written as 65535 of 70000 bytes, under snaplen 65535" \
    "snaplen 65535;65535 70000" "$(build records "$work/big-out.pcap" | paste -sd';')"
finish
