#!/usr/bin/env bash
# make demo says whether its table is the README's, and when it is not,
# which rows differ and why they might.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_root "the demo"

out=$(cd "$root" && PING="-c 1" scripts/demo.sh 2>&1)
check_contains "with PING='-c 1': it says the table differs" "This table differs from README.md's" "$out"
check_contains "and shows the row as here" "  here:   05-checksum|replies (1 of 1)|replies (1 of 1)|ICMP checksum correct" "$out"
check_contains "beside the README's" "  README: 05-checksum|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct" "$out"
for step in 06-host-checks 07-ip-options 08-least-privilege; do
    check_contains "$step: its row as here" "  here:   $step|replies (1 of 1)|replies (1 of 1)|ICMP checksum correct" "$out"
    check_contains "$step: beside the README's" "  README: $step|replies (2 of 2)|replies (2 of 2)|ICMP checksum correct" "$out"
done
check_contains "and why it might" "Why it might: PING='-c 1' changes what ping sends" "$out"
finish
