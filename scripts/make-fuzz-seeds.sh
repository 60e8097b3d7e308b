#!/usr/bin/env bash
# Writes the seed corpus for the fuzz targets (tests/fuzz/corpus), from the
# recorded fixtures and from every malformed shape tools/inject.c makes:
#
#   packets/  whole IP packets: for the IPv4 parser and every step
#   options/  the option bytes of the recorded requests that carry options
#
# `make test` replays the committed corpus as a regression test; `make fuzz`
# starts from it. Run this again when fixtures or inject's shapes change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/tests/fuzz/corpus
make -C "$root" -s build/tools/inject
rm -rf "$corpus"
mkdir -p "$corpus/packets" "$corpus/options"

# One packet per capture: tshark prints its bytes, xxd turns them back.
packet_bytes() { tshark -r "$1" -x 2>/dev/null | cut -c7-53 | xxd -r -p; }
for f in "$root"/tests/fixtures/requests/*.pcap "$root"/tests/fixtures/kernel-replies/*.pcap; do
    kind=$(basename "$(dirname "$f")")
    packet_bytes "$f" >"$corpus/packets/$kind-$(basename "$f" .pcap)"
done
request=$root/tests/fixtures/requests/default.pcap
"$root/build/tools/inject" --to-dir "$corpus/packets" --malformed "$request" >/dev/null
mkdir -p "$corpus/ladder"
"$root/build/tools/inject" --to-dir "$corpus/ladder" --ladder "$request" >/dev/null
for f in "$corpus"/ladder/*; do mv "$f" "$corpus/packets/ladder-$(basename "$f")"; done
rmdir "$corpus/ladder"

for name in record-route timestamp timestamp-addresses; do
    f=$corpus/packets/requests-$name
    ihl=$(( $(od -An -tu1 -N1 "$f") & 15 ))
    tail -c +21 "$f" | head -c $(( ihl * 4 - 20 )) >"$corpus/options/$name"
done
echo "seeds: $(ls "$corpus/packets" | wc -l) packets, $(ls "$corpus/options" | wc -l) option sets"
