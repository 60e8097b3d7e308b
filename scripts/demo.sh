#!/usr/bin/env bash
# make demo: every step, one after the other, against real ping (raw and
# unprivileged) and tshark, each in its own private network namespace; then
# one table that sums it up, and whether it is the README's. From step 06 on
# the lab also runs the tools a host must satisfy (ping -R, traceroute,
# tracepath, nc), against the step and against Linux: a second table.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PATH=$PATH:/usr/sbin:/sbin
source scripts/give-back.sh
require_writable bin build lab || exit 1
scripts/install-deps.sh || exit 1
make -s all
give_back bin build

rows=$(mktemp) tools=$(mktemp)
trap 'rm -f "$rows" "$rows".* "$tools" "$tools".*' EXIT
linux=""
for dir in steps/[0-9][0-9]-*/; do
    step=$(basename "$dir")
    number=$((10#${step%%-*}))
    extra=()
    [ "$number" -lt 6 ] || extra=(--tools-summary "$tools.$step")
    PING=${PING:-} scripts/lab.sh "${step%%-*}" --summary "$rows.$step" "${extra[@]}" || true
    cat "$rows.$step" 2>/dev/null >>"$rows" || echo "$step|the lab failed: see above|-|-" >>"$rows"
    if [ "$number" -ge 6 ]; then
        # The step's row, then Linux's, measured in the same lab.
        grep "^$step|" "$tools.$step" 2>/dev/null >>"$tools" || echo "$step|the lab failed: see above|-|-|-|-|-|-|-|-|-|-" >>"$tools"
        linux=$(grep '^Linux|' "$tools.$step" 2>/dev/null || echo "$linux")
    fi
    echo
done
echo "${linux:-Linux|not measured: see the lines starting 'lab:' above|-|-|-|-|-|-|-|-|-|-}" >>"$tools"

echo "=== what each step gets from real tools ==="
{
    echo "step|ping, raw socket|ping, datagram socket|Wireshark on the reply"
    echo "----|----|----|----"
    cat "$rows"
} | column -t -s '|'
echo

# Part 2: the tools a host must satisfy, one row per step from 06 on, and
# Linux itself (measured in each lab, behind a veth pair) as the last row.
echo "=== Part 2: what each step gets from the tools a host must satisfy, and what Linux gets ==="
{
    head -n 1 tests/transcripts/tools.txt
    echo "----|----|----|----|----|----|----|----|----|----|----|----"
    cat "$tools"
} | column -t -s '|'
# Which step first gets from each tool what Linux gets.
awk -F'|' -v header="$(head -n 1 tests/transcripts/tools.txt)" '
    { row[NR] = $0 } $1 == "Linux" { split($0, linux, "|") }
    END {
        n = split(header, name, "|")
        for (c = 2; c <= n; c++) {
            first = ""
            for (r = 1; r <= NR && first == ""; r++) {
                split(row[r], cell, "|")
                if (cell[1] != "Linux" && cell[c] == linux[c]) first = cell[1]
            }
            printf "%s: %s\n", name[c], first == "" ? "no step of Part 2 gets yet what Linux gets (" linux[c] ")" : \
                first " is the first step of Part 2 that gets what Linux gets (" linux[c] ")"
        }
    }' "$tools"
echo

# The README's tables are tests/transcripts/results.txt and tools.txt,
# measured with the lab's defaults. Say so when this run differs, and why
# it might. (PING changes only the first table: the tools run as they are.)
same_as_readme() {      # same_as_readme FILE ROWS
    if diff -q <(tail -n +2 "$1") "$2" >/dev/null; then
        echo "This is the table in README.md ($1): every step behaves here as it was measured."
        return
    fi
    echo "This table differs from README.md's ($1):"
    { diff <(tail -n +2 "$1") "$2" || true; } | sed -n 's/^< /  README: /p; s/^> /  here:   /p'
    if [ -n "${PING:-}" ] && [ "$1" = tests/transcripts/results.txt ]; then
        echo "Why it might: PING='$PING' changes what ping sends; the README's table is for plain 'ping -c 2'."
    else
        echo "Why it might: a step changed (run 'make test'), the lab could not set which socket ping uses" \
             "(see the lines starting 'lab:' above), or this machine's tools or kernel are not the ones measured" \
             "(Debian 12's ping, tshark, traceroute, tracepath, nc; Linux 6.18)."
    fi
}
same_as_readme tests/transcripts/results.txt "$rows"
same_as_readme tests/transcripts/tools.txt "$tools"
echo "Each run's captures and the step's own log are in lab/. Open a .pcap in Wireshark,"
echo "or run one step by hand: 'make lab STEP=03', or 'make lab-shell STEP=03' for a shell."
