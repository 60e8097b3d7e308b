#!/usr/bin/env bash
# The committed fuzzing corpus, replayed through every fuzz target built
# with gcc, AddressSanitizer and UndefinedBehaviorSanitizer: no input in it
# may crash a target, read out of bounds or break a target's checks.
set -uo pipefail
source "$(dirname "$0")/../e2e/lib.sh"
cd "$root"

for bin in build/fuzz/replay/*; do
    target=$(basename "$bin")
    corpus=tests/fuzz/corpus/$target      # the target's own seeds, or the
    [ -d "$corpus" ] || corpus=tests/fuzz/corpus/packets   # packets a step reads
    out=$("$bin" "$corpus" 2>&1); status=$?
    if [ $status = 0 ]; then
        ok "$target: $(echo "$out" | tail -n 1) from $corpus, cleanly"
    else
        not_ok "$target: the corpus replays cleanly" "$(echo "$out" | tail -n 20)"
    fi
done
finish
