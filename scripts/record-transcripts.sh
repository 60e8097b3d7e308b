#!/usr/bin/env bash
# Records tests/transcripts/NN-name.txt: what real ping (both socket modes)
# and tshark show for each step in the lab, with the parts that vary from run
# to run (times, identifiers, checksums over them) normalized.
#
# Run it once, as root, when a step's behaviour changes on purpose, read the
# diff, and commit it together with the change. The end-to-end tests compare
# live runs against these files; they never write them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
make -C "$root" -s all
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dir in "$root"/steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    LAB_DIR=$work PING="" "$root/scripts/lab.sh" "${step%%-*}" \
        --transcript "$root/tests/transcripts/$step.txt" >/dev/null
    echo "recorded tests/transcripts/$step.txt"
done
