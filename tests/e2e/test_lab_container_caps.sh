#!/usr/bin/env bash
# The Mac and Windows recipe in README.md runs the lab in a Debian container
# with Docker's default capabilities plus NET_ADMIN and SYS_ADMIN. What this
# machine can check of it: the lab, as root, with exactly that capability
# bounding set, gives the results of tests/transcripts/results.txt; and
# without SYS_ADMIN it cannot make its namespace. (Docker itself, its
# seccomp and AppArmor profiles and the VM's kernel are not tested here.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the lab with a container's capabilities"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
docker_default=chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,net_bind_service,net_raw,sys_chroot,mknod,audit_write,setfcap
as_container() {   # CAPS, then the command
    local caps=$1; shift
    setpriv --bounding-set="-all,$(echo "+$caps" | sed 's/,/,+/g')" --inh-caps=-all "$@"
}

# A missing capability fails every time; a ping lost to a loaded machine
# (each waits 1 s) does not: one more try for that.
want=$(grep '^05-checksum|' "$root/tests/transcripts/results.txt")
for _ in 1 2; do
    LAB_DIR=$work/lab as_container "$docker_default,net_admin,sys_admin" \
        "$root/scripts/lab.sh" 05 --summary "$work/row" >"$work/out" 2>&1
    [ "$(cat "$work/row" 2>/dev/null)" = "$want" ] && break
done
check_equal "the lab with Docker's capabilities + NET_ADMIN + SYS_ADMIN: step 05 as measured" \
    "$want" "$(cat "$work/row" 2>/dev/null)"

LAB_DIR=$work/lab as_container "$docker_default,net_admin" \
    "$root/scripts/lab.sh" 05 >"$work/out2" 2>&1
check_equal "without SYS_ADMIN the lab cannot make its namespace" 1 \
    "$(grep -c 'unshare failed: Operation not permitted' "$work/out2")"
finish
