#!/usr/bin/env bash
# Every command the lessons, README.md and docs/ tell a learner to type (the
# blocks marked `sh`) runs here, as the learner would run it: lines with
# `sudo` as root, the others as a normal user (nobody, Debian's PATH for
# normal users), in a private network namespace of their own, from a copy of
# the project that user may write. The output a lesson shows after a command
# (a `text` block) must be what it prints. Blocks that cannot run here say so
# in the lesson (<!-- not run: why -->) and are listed below with the reason.
# See tests/docs/doc_commands.py for the rules.
set -uo pipefail
source "$(dirname "$0")/../e2e/lib.sh"
require_root "running the lessons' commands"
cd "$root"

docs=(README.md steps/*/README.md docs/*.md)
[ $# -gt 0 ] && docs=("$@")     # or only the documents named
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The learner's checkout: built, and theirs to write in.
mkdir "$work/project"
tar -C "$root" --exclude=./lab --exclude=./workshop --exclude=./.git -cf - . | tar -C "$work/project" -xf -
chown -R nobody:nogroup "$work/project"
mknod -m 0666 "$work/tun" c 10 200

for doc in "${docs[@]}"; do
    python3 tests/docs/doc_commands.py list "$doc" | sed -n 's/^\([^:]*:[0-9]*\): not run: \(.*\)/# not run, \1: \2/p'
    # One namespace per document: its commands share it, and it ends with them.
    # /dev/net/tun as Debian and Ubuntu ship it (0666), in this mount
    # namespace only: this machine may keep it closed to users.
    out=$(unshare --net --pid --mount --fork --kill-child --mount-proc bash -c '
        ip link set lo up
        mount --bind "$2/../tun" /dev/net/tun
        python3 "$1/tests/docs/doc_commands.py" run "$2" "$3"' _ "$root" "$work/project" "$doc" 2>&1)
    [ -z "$out" ] || printf '%s\n' "$out"
    passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok - ')))
    failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok - ')))
    if printf '%s\n' "$out" | grep -q Traceback; then not_ok "$doc: the command runner itself failed"; fi
done
finish
