#!/usr/bin/env bash
# Step 11 and long IPv6 extension header chains, beside Linux (a tun of its
# own, the same chains: tests/e2e/ipv6_chain_reply.py): up to 4000
# destination options headers (32,000 bytes of them), 50 atomic Fragment
# headers, hop-by-hop first and then again, 100 routing headers. Each must
# get what Linux gives (an echo reply, or the same parameter problem, code
# and pointer), and the step, run with the sanitizers, must exit cleanly.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

step=${STEP:-11-ipv6}
STEP_BIN_DIR=${STEP_BIN_DIR:-build/asan/bin}
if [ ! -x "$root/$STEP_BIN_DIR/$step" ]; then
    echo "$e2e_name: skipped: $STEP_BIN_DIR/$step is not built"
    exit 0
fi

start_step "$step"
results=$(python3 "$root/tests/e2e/ipv6_chain_reply.py" tun0 oracle0)
echo "$results" | sed 's/^/    /'
check_equal "every chain was sent to both" 11 "$(grep -c ' | Linux ' <<<"$results")"
while IFS= read -r line; do
    name=${line%%: step *}
    rest=${line#*: step }
    check_equal "$name: what Linux answers" "${rest#* | Linux }" "${rest%% | Linux *}"
done <<<"$results"
stop_step
check_equal "the step exits cleanly (no sanitizer report)" 0 "$step_status"
check_lacks "nothing in its log from the sanitizers" "ERROR: AddressSanitizer" "$(cat "$step_log")"
finish
