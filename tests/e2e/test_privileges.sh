#!/usr/bin/env bash
# Step 08 gives up every privilege once the tun is open, or refuses to run:
# root without CAP_SETUID/CAP_SETGID (what systemd's CapabilityBoundingSet=
# gives), a user holding capabilities without being root (file capabilities,
# ambient ones, euid 65534 with real uid 0), group 0, inheritable
# capabilities, the bounding set, inherited file descriptors, root's
# terminal. Every verdict is read from the kernel (/proc/PID/status), never
# from what the step says.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

bin=$root/bin/08-least-privilege
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill $pid 2>/dev/null; umount /dev/net/tun /etc/passwd 2>/dev/null; rm -rf "$work"' EXIT
pid=

# /dev/net/tun open to all, as Debian and Ubuntu ship it, inside this test's
# own mount namespace only: so that a user with CAP_NET_ADMIN can open it.
mknod -m 0666 "$work/tun" c 10 200
mount --bind "$work/tun" /dev/net/tun
ip link set lo up

# run_step NAME COMMAND...: starts the step (the command must exec it, so
# that $pid is the step itself) on tun NAME; returns once it reads, or has
# exited. Its output is in $work/log, its kernel status in $status (empty if
# it exited), its exit status in $exit_status.
run_step() {
    local name=$1; shift
    "$@" -i "$name" >"$work/log" 2>&1 &
    pid=$! status= exit_status=
    for _ in $(seq 100); do
        grep -q "reading $name" "$work/log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        status=$(grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs):' "/proc/$pid/status")
        fds=$(ls -l "/proc/$pid/fd" | sed -n 's/.* \([0-9]*\) -> \(.*\)$/\1 \2/p')
        kill -TERM "$pid"; wait "$pid"; exit_status=$?
    else
        wait "$pid"; exit_status=$?
    fi
    pid=
}

field() { sed -n "s/^$1:[[:space:]]*//p" <<<"$status" | tr -s '\t ' ' ' | sed 's/ $//'; }

# expect_nothing_left WHAT: the kernel shows no privilege at all.
expect_nothing_left() {
    check "$1: it ran" test -n "$status"
    [ -n "$status" ] || { sed 's/^/    /' "$work/log"; return; }
    check_equal "$1: no effective capability" 0000000000000000 "$(field CapEff)"
    check_equal "$1: no permitted capability" 0000000000000000 "$(field CapPrm)"
    check_equal "$1: no inheritable capability" 0000000000000000 "$(field CapInh)"
    check_equal "$1: no ambient capability" 0000000000000000 "$(field CapAmb)"
    check_equal "$1: no_new_privs" 1 "$(field NoNewPrivs)"
    check "$1: no uid 0 (real, effective, saved, fs)" bash -c "! grep -qw 0 <<<'$(field Uid)'"
    check "$1: no gid 0" bash -c "! grep -qw 0 <<<'$(field Gid)'"
    check "$1: no group 0" bash -c "! grep -qw 0 <<<'$(field Groups)'"
}

# expect_refusal WHAT TEXT: it exited 1 with one line saying TEXT.
expect_refusal() {
    check_equal "$1: does not run (exit status 1)" "1 " "$exit_status $status"
    check_equal "$1: one line" 1 "$(grep -c '' "$work/log")"
    check_contains "$1: says why" "$2" "$(cat "$work/log")"
}

# Root, as CI runs it: everything goes, the bounding set too, and files
# inherited from the caller (here /etc/shadow, on fd 3 and on standard
# input) are closed.
run_step h2p0 bash -c 'exec setpriv --inh-caps=+net_admin,+sys_admin "$@" </etc/shadow 3</etc/shadow' \
    step "$bin"
expect_nothing_left "root with inheritable capabilities"
check_equal "root: its uid is now nobody's" "65534 65534 65534 65534" "$(field Uid)"
check_equal "root: no supplementary group" "" "$(field Groups)"
check_equal "root: the bounding set emptied" 0000000000000000 "$(field CapBnd)"
check_lacks "root: the inherited /etc/shadow is closed, on fd 3 and on standard input" \
    "/etc/shadow" "$fds"
check_equal "root: standard input is /dev/null" "0 /dev/null" "$(grep '^0 ' <<<"$fds")"
signal_fd=$(sed -n 's/^\([0-9]*\) anon_inode:\[eventfd\]$/\1/p' <<<"$fds")
check_equal "root: it holds 0, 1, 2 and the tun, nothing else" "0 1 2 3" \
    "$(cut -d' ' -f1 <<<"$fds" | sort -n | grep -v "^$signal_fd$" | paste -sd' ')"
check_equal "root: and the descriptor its signals wake it through (the runner's eventfd)" \
    "anon_inode:[eventfd]" "$(sed -n "s/^$signal_fd //p" <<<"$fds")"

# Root whose parent told the kernel to keep capabilities across setuid()
# (SECBIT_NO_SETUID_FIXUP): the step empties them itself.
run_step h2p9 setpriv --securebits=+no_setuid_fixup "$bin"
expect_nothing_left "root with SECBIT_NO_SETUID_FIXUP"

# Root's terminal: a process whose controlling terminal it is may push
# bytes into its input as if typed (TIOCSTI, allowed on this kernel when
# dev.tty.legacy_tiocsti is 1), so nobody could type commands into root's
# shell; and whoever holds it open for reading reads what is typed there.
# Run as a person runs it, in the foreground of a shell on a terminal: the
# kernel shows it holds the terminal for writing only and not as its
# controlling terminal, and Ctrl-C still stops it.
check_equal "on root's terminal: as nobody, no controlling terminal, the terminal for writing only, Ctrl-C stops it" \
    "uid 65534;tty_nr 0;fd 1 terminal write-only;fd 2 terminal write-only;stopped by ctrl-c yes" \
    "$(python3 "$root/tests/e2e/on_terminal.py" "reading h2p10" "$bin" -i h2p10 | paste -sd';')"

# Root without CAP_SETUID/CAP_SETGID cannot become anyone else: it must stop.
run_step h2p1 setpriv --bounding-set=-setuid,-setgid "$bin"
expect_refusal "root without CAP_SETUID and CAP_SETGID" \
    "cannot give up root: setgroups() was refused (Operation not permitted)"
run_step h2p2 setpriv --bounding-set=-setuid "$bin"
expect_refusal "root without CAP_SETUID" "cannot give up root: setresuid() was refused"

# Root in a user namespace of its own (unshare -Ur run by root maps uid 0 to
# uid 0 outside, so it is still root for every file): nobody is not mapped
# there, so it cannot become nobody, and must stop.
run_step h2p8 unshare --user --map-root-user --net "$bin"
expect_refusal "root's own user namespace" "cannot give up root: setgroups() was refused"

# Real uid 0, effective uid nobody, every capability permitted but none
# effective (so on a tun made for nobody): root all the same, since it could
# setuid(0) at any time.
ip tuntap add mode tun user nobody name h2p3
run_step h2p3 setpriv --euid=65534 "$bin"
expect_nothing_left "euid 65534 with real uid 0"
check_equal "euid 65534 with real uid 0: all three uids are nobody's" \
    "65534 65534 65534 65534" "$(field Uid)"
ip tuntap del mode tun name h2p3

# Not root, holding CAP_NET_ADMIN from the file (setcap on a copy).
cp "$bin" "$work/08-setcap"
setcap cap_net_admin+ep "$work/08-setcap"
run_step h2p4 setpriv --reuid=65534 --regid=65534 --clear-groups "$work/08-setcap"
expect_nothing_left "nobody with a setcap cap_net_admin+ep copy"
check_contains "and says it gave them up" \
    "not root (uid 65534): gave up the capabilities it held (permitted 0000000000001000)" \
    "$(cat "$work/log")"

# Not root, holding CAP_NET_ADMIN as an ambient capability.
if command -v capsh >/dev/null; then
    run_step h2p5 capsh --keep=1 --user=nobody --inh=cap_net_admin --addamb=cap_net_admin \
        -- -c "exec $bin \"\$@\"" step
    expect_nothing_left "nobody with an ambient CAP_NET_ADMIN"
else
    not_ok "capsh is missing: install libcap2-bin (scripts/install-deps.sh)"
fi

# What the kernel still shows is named, and the step stops: gid 0, group 0.
ip tuntap add mode tun user nobody name h2p6
run_step h2p6 setpriv --reuid=65534 --regid=0 --clear-groups "$bin"
expect_refusal "nobody with gid 0" "after giving up privileges the kernel still shows Gid 0 0 0 0"
run_step h2p6 setpriv --reuid=65534 --regid=65534 --groups=0 "$bin"
expect_refusal "nobody in group 0" "the kernel still shows supplementary group 0: not running."
ip tuntap del mode tun name h2p6

# --user naming someone whose primary group is 0: refused before anything.
cp /etc/passwd "$work/passwd"
echo "h2gzero:x:4242:0::/nonexistent:/usr/sbin/nologin" >>"$work/passwd"
mount --bind "$work/passwd" /etc/passwd
run_step h2p7 "$bin" --user h2gzero
expect_refusal "--user with gid 0" "user 'h2gzero' has uid 4242 and gid 0"
# uid 4294967295 is (uid_t)-1, which setresuid() reads as "leave it as it is".
echo "h2minus:x:4294967295:4294967295::/nonexistent:/usr/sbin/nologin" >>"$work/passwd"
run_step h2p7 "$bin" --user h2minus
expect_refusal "--user with uid -1" \
    "user 'h2minus' has uid 4294967295 and gid 4294967295, and id 4294967295 means 'unchanged'"
umount /etc/passwd
finish
