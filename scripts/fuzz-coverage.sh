#!/usr/bin/env bash
# How much of the code the fuzzing corpus reaches, in lines and branches:
#
#   scripts/fuzz-coverage.sh [TARGET...]     (make fuzz-coverage)
#
# Each target is built with clang's source-based coverage and the replay
# main() (tests/fuzz/replay_main.c), then fed its committed seeds and what
# `make fuzz` added (build/fuzz/corpus/TARGET); llvm-cov reports the files
# that target is about. Run `make fuzz` first for the fuller figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=("$@")
# By default the targets of their own and every step with a ladder (06 on).
if [ ${#targets[@]} = 0 ]; then
    targets=(ipv4 options pcap cli)
    for s in steps/[0-9][0-9]-*; do
        s=$(basename "$s")
        [[ $s < 06 ]] || targets+=("$s")
    done
fi
out=build/fuzz/coverage
mkdir -p "$out"
flags=(-std=gnu11 -D_GNU_SOURCE -g -O0 -Icommon -Isteps -fprofile-instr-generate -fcoverage-mapping)

for t in "${targets[@]}"; do
    case $t in
        ipv4|options|pcap|cli) src=tests/fuzz/fuzz_$t.c; defines=() ;;
        *) src=tests/fuzz/fuzz_step.c; defines=(-DSTEP_SOURCE="\"$t/main.c\"") ;;
    esac
    case $t in
        ipv4) files=(common/ipv4.c common/icmp.c common/annotate.c common/fields.c) ;;
        options) files=(common/options.c) ;;
        pcap) files=(common/pcapfile.c common/options.c steps/08-least-privilege/main.c) ;;
        cli) files=(common/cli.c) ;;
        0[1-5]-*) files=(steps/$t/main.c) ;;
        06-*) files=(steps/$t/main.c common/host.c) ;;
        *) files=(steps/$t/main.c common/host.c common/options.c) ;;
    esac
    seeds=tests/fuzz/corpus/$t; [ -d "$seeds" ] || seeds=tests/fuzz/corpus/packets
    corpora=("$seeds"); [ -d "build/fuzz/corpus/$t" ] && corpora+=("build/fuzz/corpus/$t")
    clang "${flags[@]}" "${defines[@]}" -o "$out/$t" tests/fuzz/replay_main.c "$src" common/*.c -lpcap
    LLVM_PROFILE_FILE="$out/$t.profraw" "$out/$t" "${corpora[@]}" >/dev/null
    llvm-profdata merge -o "$out/$t.profdata" "$out/$t.profraw"
    echo "== $t (corpus: ${corpora[*]})"
    llvm-cov report "$out/$t" -instr-profile="$out/$t.profdata" "${files[@]}" 2>/dev/null |
        awk '/\.c / || /^TOTAL/' |
        awk '{ printf "  %-40s lines %s  branches %s\n", $1, $(NF-3), $NF }' 
done
