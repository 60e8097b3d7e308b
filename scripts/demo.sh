#!/usr/bin/env bash
# make demo: every step, one after the other, against real ping (raw and
# unprivileged) and tshark, each in its own private network namespace; then
# one table that sums it up, and whether it is the README's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PATH=$PATH:/usr/sbin:/sbin
source scripts/give-back.sh
require_writable bin build lab || exit 1
scripts/install-deps.sh || exit 1
make -s all
give_back bin build

rows=$(mktemp)
trap 'rm -f "$rows" "$rows".*' EXIT
for dir in steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    PING=${PING:-} scripts/lab.sh "${step%%-*}" --summary "$rows.$step" || true
    cat "$rows.$step" 2>/dev/null >>"$rows" || echo "$step|the lab failed: see above|-|-" >>"$rows"
    echo
done

echo "=== what each step gets from real tools ==="
{
    echo "step|ping, raw socket|ping, datagram socket|Wireshark on the reply"
    echo "----|----|----|----"
    cat "$rows"
} | column -t -s '|'
echo

# The README's table is tests/transcripts/results.txt, measured with the
# lab's defaults. Say so when this run differs, and why it might.
if diff -q <(tail -n +2 tests/transcripts/results.txt) "$rows" >/dev/null; then
    echo "This is the table in README.md: every step behaves here as it was measured."
else
    echo "This table differs from README.md's (tests/transcripts/results.txt):"
    { diff <(tail -n +2 tests/transcripts/results.txt) "$rows" || true; } | sed -n 's/^< /  README: /p; s/^> /  here:   /p'
    if [ -n "${PING:-}" ]; then
        echo "Why it might: PING='$PING' changes what ping sends; the README's table is for plain 'ping -c 2'."
    else
        echo "Why it might: a step changed (run 'make test'), the lab could not set which socket ping uses" \
             "(see the lines starting 'lab:' above), or this machine's ping or tshark is not Debian 12's."
    fi
fi
echo "Each run's captures and the step's own log are in lab/. Open a .pcap in Wireshark,"
echo "or run one step by hand: 'make lab STEP=03', or 'make lab-shell STEP=03' for a shell."
