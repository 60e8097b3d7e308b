#!/usr/bin/env bash
# make demo: every step, one after the other, against real ping (raw and
# unprivileged) and tshark, each in its own private network namespace; then
# one table that sums it up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh || exit 1
make -s all

rows=$(mktemp)
trap 'rm -f "$rows" "$rows".*' EXIT
for dir in steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    PING=${PING:-} scripts/lab.sh "${step%%-*}" --summary "$rows.$step"
    cat "$rows.$step" >>"$rows"
    echo
done

echo "=== what each step gets from real tools ==="
{
    echo "step|ping, raw socket|ping, datagram socket|Wireshark on the reply"
    echo "----|----|----|----"
    cat "$rows"
} | column -t -s '|'
echo
echo "Each run's captures and the step's own log are in lab/. Open a .pcap in Wireshark,"
echo "or run one step by hand: 'make lab STEP=03', or 'make lab-shell STEP=03' for a shell."
