#!/usr/bin/env bash
# make bench: what answering costs, step by step.
#
#  1. The packet function alone: time and instructions per packet.
#  2. The whole loop: round trips a second with W requests in flight
#     (tools/echo-load.c, a closed loop over a raw socket), for the Linux
#     kernel answering over a veth pair, the bare read/write loop of
#     tools/bare-loop.c, and every answering step, each as a ratio to the
#     kernel and to the bare loop. Windows 1 and 32, payloads 56 and 1400,
#     BENCH_RUNS runs; in each, every step shares a measure with the
#     kernel and the bare loop (always running, on a tun of its own):
#     rounds of slices of 0.1 s, one to each of the three in a random
#     order, BENCH_SECONDS each (1 s by default). A measure's ratio is the
#     median of its rounds' ratios, and the table gives the median of the
#     runs'. A second bare loop measured as a step is shows how far noise
#     alone moves a ratio. The responders and the generator run at a
#     real-time priority (chrt -f), so that other work on a shared machine
#     does not take their CPU in the middle of a measure.
#  3. How promptly SIGTERM ends each step: idle, under a flood, and under a
#     flood with its standard output stalled (a pipe nobody reads).
#  4. The amplification question, for steps that send errors (09 on): a
#     flood of UDP to closed ports at a fixed rate (tools/udp-flood.c),
#     from one source and from 200, against the kernel (veth, its default
#     sysctls) and each such step (its default limits): datagrams the host
#     received, errors it sent (its own counters) and errors that came
#     back, a second and a datagram. BENCH_FLOOD_RATE (default 10000) sets
#     the rate; each case lasts BENCH_SECONDS (2 s by default), once.
#  5. The memory question, for steps that reassemble (10 on): a flood of
#     first fragments, each of its own datagram and never completed
#     (tools/frag-flood.c, BENCH_FRAG_RATE a second, default 5000, for
#     BENCH_SECONDS, 2 s by default), against the kernel (veth) and each such step, with
#     the default limit of memory for reassembly (4 MiB) and a small one
#     (256 KiB): how much each holds, how much it refuses, and how much its
#     memory grew (the kernel's own count; a step's resident set, from
#     /proc) against the limit: it must not grow past it.
#
# Time is noisy on a shared machine: compare ratios within one run, never
# absolute figures across runs. Instruction counts (valgrind's callgrind) do
# not depend on the load. Parts 2 to 5 need root; they run in private
# network namespaces that the script creates, with documentation addresses.
#
#   BENCH_RUNS=5 BENCH_SECONDS=1 BENCH_CALLS=2000000 BENCH_CALLGRIND=1 \
#       BENCH_RESULTS=FILE scripts/bench.sh STEP...
#
# (BENCH_RESULTS keeps part 2's raw rows: responder, payload, window,
# replies a second, lost, bad, CPU ticks, replies, run; and "round",
# payload, window, run, then the kernel's, the bare loop's and the step's
# replies a second in one round of slices.)
#
# (BENCH_CALLGRIND=0 leaves out the instruction counts; the test of the
# bench, tests/e2e/test_bench.sh, runs it with tiny counts.)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${BENCH_RUNS:-5}
seconds=${BENCH_SECONDS:-2}              # a flood's length (parts 4, 5)
measure_seconds=${BENCH_SECONDS:-1}      # one measure's (part 2)
calls=${BENCH_CALLS:-2000000}
steps=("$@")

if [ -z "${ICMP_STEPS_BENCH_INSIDE:-}" ]; then
    echo "== 1. the packet function alone, log line included ($(nproc) cores, $(date -u +%Y-%m-%d))"
    printf '%-22s %-9s %14s %22s\n' step request "ns/packet" "instructions/packet"
    for step in "${steps[@]}"; do
        for r in default s1472; do
            pcap=tests/fixtures/requests/$r.pcap
            ns=$(build/bench/"$step" "$pcap" "$calls" | sed 's/ ns per packet.*//')
            instructions=""
            if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
                # The difference between 2000 and 1000 calls: startup cancels out.
                count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                              build/bench/"$step" "$pcap" "$1" 2>&1 | sed -n 's/.*Collected : //p'; }
                more=$(count 2000) fewer=$(count 1000)
                [ -n "$more" ] && [ -n "$fewer" ] && instructions=$(( (more - fewer) / 1000 ))
            fi
            printf '%-22s %-9s %14s %22s\n' "$step" "$r" "$ns" "${instructions:-(not counted)}"
        done
    done
    if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
        echo "== 2, 3: skipped: they need root and network namespaces"
        exit 0
    fi
    ICMP_STEPS_BENCH_INSIDE=1 exec unshare --net --pid --mount-proc --kill-child "$0" "$@"
fi
# Never past this point outside the namespace (bash skips the rest of an
# if-block after an arithmetic error, so say it again outside of it).
[ -n "${ICMP_STEPS_BENCH_INSIDE:-}" ] || exit 1

# ---- inside a private network namespace from here on ----------------------
if [ "$(ip -o link show | grep -vc ': lo:')" != 0 ]; then
    echo "bench: this network namespace has other links than lo; refusing to configure it." >&2
    exit 1
fi
work=$(mktemp -d)
peer=""
responder=""
bare=""
trap '[ -z "$responder" ] || kill $responder 2>/dev/null; [ -z "$bare" ] || kill $bare 2>/dev/null
      [ -z "$peer" ] || kill $peer 2>/dev/null; rm -rf "$work"' EXIT
ip link set lo up

# The kernel's side: a veth pair into a second namespace, which answers
# 198.51.100.2 itself. start_peer [SYSCTL=VALUE...] makes a new one (the
# old one, if any, goes with its namespace), those sysctls set in it.
start_peer() {
    [ -z "$peer" ] || { kill "$peer" 2>/dev/null; wait "$peer" 2>/dev/null; }
    ip link del bench0 2>/dev/null      # (it goes with the old namespace, maybe not yet)
    unshare --net sleep 100000 &
    peer=$!
    sleep 0.1
    ip link add bench0 type veth peer name bench1
    ip link set bench1 netns "$peer"
    ip addr add 198.51.100.1/24 dev bench0
    ip addr add 2001:db8:1::1/64 dev bench0 nodad
    ip link set bench0 up
    nsenter --net=/proc/$peer/ns/net sh -c \
        'ip link set lo up; ip addr add 198.51.100.2/24 dev bench1
         ip addr add 2001:db8:1::2/64 dev bench1 nodad; ip link set bench1 up'
    [ $# = 0 ] || nsenter --net=/proc/$peer/ns/net sysctl -qw "$@"
    scripts/link-ready.sh bench0 2>/dev/null || sleep 1
}
start_peer

# Where a responder and the generator run decides much of a round trip's
# time (a wake-up on another CPU costs an interrupt): with two CPUs or
# more, the responder gets the last one and the generator the first, the
# same for every responder.
pin_responder=() pin_load=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    pin_responder=(taskset -c "$(( $(nproc) - 1 ))")
    pin_load=(taskset -c 0)
fi

# start_on_tun PROGRAM...: runs it on tun0 (192.0.2.1/24), its standard
# output to $OUT (default /dev/null); sets $responder.
start_on_tun() {
    "${pin_responder[@]}" "$@" >"${OUT:-/dev/null}" 2>"${ERR:-/dev/null}" &
    responder=$!
    for _ in $(seq 100); do ip link show tun0 >/dev/null 2>&1 && break; sleep 0.05; done
    ip addr add 192.0.2.1/24 dev tun0
    ip link set tun0 up
    scripts/link-ready.sh tun0
}
stop_responder() { kill "$responder" 2>/dev/null; wait "$responder" 2>/dev/null; responder=""; }

# The yardstick runs beside every responder, from the start of part 2 to
# its end: the bare loop on a tun of its own, tunb (198.51.100.129/25; it
# answers 198.51.100.130, and any other address there). Each step is
# measured together with the kernel and the bare loop: echo-load cuts the
# time in slices of a tenth of a second and gives one to each of the three
# in turn, in a random order. The machine's load (other tenants, a CPU's
# frequency) moves a rate by a third within seconds here; taken slice by
# slice, side by side, it falls on the three alike, and their ratio keeps
# only what is theirs. Yet now and then one slice runs at half its rate, or
# twice (measured: a bare loop against itself, some rounds at 0.5 and 2.0):
# summed over a measure, such a slice moved the ratio by up to 10%; the
# median of the rounds' ratios leaves it out (0.99-1.01 in ten measures
# where the sums gave 0.90-1.04). bare-loop-again is a second bare loop, on tun0 as a
# step: its ratio to the first shows what is left of the noise.
responders=(bare-loop-again "${steps[@]}")
configs=("56 1" "56 32" "1400 1" "1400 32")
# Other programs on a shared machine take the CPU from a responder or the
# generator in the middle of a measure, and the ratios with it. At a
# real-time priority (chrt -f) these run whenever they are ready; the
# kernel still keeps 5% of every second for the others
# (kernel.sched_rt_runtime_us), and the slices share that loss out.
realtime=()
chrt -f 10 true 2>/dev/null && realtime=(chrt -f 10)
"${realtime[@]}" "${pin_responder[@]}" build/tools/bare-loop tunb >/dev/null 2>&1 &
bare=$!
for _ in $(seq 100); do ip link show tunb >/dev/null 2>&1 && break; sleep 0.05; done
ip addr add 198.51.100.129/25 dev tunb
ip link set tunb up
scripts/link-ready.sh tunb

# cpu_ticks PID: the CPU time a responder has used (user and system, in
# clock ticks, /proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# measure PAYLOAD WINDOW: the step on tun0 beside the kernel and the bare
# loop; appends "name payload window rate lost bad cpu replies together"
# for each, the last field naming the measure they shared (run and step).
measure() {
    local payload=$1 window=$2 out bare_before step_before address name ticks
    bare_before=$(cpu_ticks "$bare") step_before=$(cpu_ticks "$responder")
    out=$("${realtime[@]}" "${pin_load[@]}" build/tools/echo-load -r -w "$window" -s "$payload" \
          -t "$measure_seconds" 198.51.100.2 198.51.100.130 192.0.2.2)
    # Each round's rates (kernel, bare loop, step), for the ratios.
    sed -n "s|^round: \(.*\)|round $payload $window $run/$step \1|p" <<<"$out" >>"$work/results"
    while read -r address line; do
        [ "$address" != round: ] || continue
        case $address in
            198.51.100.2:) name=kernel ticks=0 ;;
            198.51.100.130:) name=bare-loop ticks=$(( $(cpu_ticks "$bare") - bare_before )) ;;
            *) name=$step ticks=$(( $(cpu_ticks "$responder") - step_before )) ;;
        esac
        echo "$name $payload $window $(sed -E 's/sent [0-9]+, replies ([0-9]+) \(([0-9]+)\/s\), lost ([0-9]+), bad ([0-9]+)/\2 \3 \4 \1/' <<<"$line" | \
            sed "s/ \([0-9]*\)\$/ $ticks \1/") $run/$step" >>"$work/results"
    done <<<"$out"
}
for run in $(seq "$runs"); do
    for step in $(printf '%s\n' "${responders[@]}" | shuf); do
        if [ "$step" = bare-loop-again ]; then start_on_tun "${realtime[@]}" build/tools/bare-loop tun0
        else start_on_tun "${realtime[@]}" "bin/$step" -i tun0; fi
        for config in "${configs[@]}"; do
            measure $config
        done
        stop_responder
    done
done
kill "$bare" 2>/dev/null
wait "$bare" 2>/dev/null
bare=""
names=(kernel bare-loop "${responders[@]}")

echo
echo "== 2. round trips a second: W echo requests in flight (tools/echo-load.c, raw socket),"
echo "      medians over $runs runs; in each, every step shares $measure_seconds s with the kernel and the bare"
echo "      loop (on its own tun), in rounds of slices of 0.1 s, one to each of the three in turn;"
echo "      a ratio is the median over the runs of each measure's median over its rounds (a slice"
echo "      that something else cut short moves one round, not the ratio); lost and bad are totals; CPU time"
echo "      a reply is the responder's own (user and system). \"bare loop, again\" is a second"
echo "      bare loop measured as a step is: how far from 1.00 the noise alone moves a ratio."
echo "      Responders and generator at a real-time priority: ${realtime[*]:-(not allowed here: none)}"
[ -z "${BENCH_RESULTS:-}" ] || cp "$work/results" "$BENCH_RESULTS"    # the raw rows, kept
python3 - "$work/results" "$(getconf CLK_TCK)" "${names[@]}" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("round ")]
# "round PAYLOAD WINDOW MEASURE KERNEL BARE STEP": one round of slices'
# rates, by measure.
rounds = {}
for l in open(sys.argv[1]):
    if l.startswith("round "):
        r = l.split()
        rounds.setdefault((r[1], r[2], r[3]), []).append([float(x) for x in r[4:7]])
tick = 1e6 / int(sys.argv[2])           # microseconds a clock tick
names = sys.argv[3:]
label = {"kernel": "the kernel (veth)", "bare-loop": "bare loop (tools/)",
         "bare-loop-again": "bare loop, again"}
def mine(name, payload, window):
    return [r for r in rows if r[0] == name and r[1:3] == [payload, window]]
def median(name, payload, window):
    return statistics.median(int(r[3]) for r in mine(name, payload, window))
def column(name):
    return {"kernel": 0, "bare-loop": 1}.get(name, 2)
def ratio(name, other, payload, window):
    # Within a measure, the ratio of each round of slices (one slice each,
    # within a few tenths of a second), and their median: a slice that
    # something else on the machine cut in half or a load that changes
    # over seconds moves a round or two, never the median. Then the
    # median of the measures' ratios, over the runs.
    ratios = []
    for r in mine(name, payload, window):
        each = [round_[column(name)] / round_[column(other)]
                for round_ in rounds.get((payload, window, r[8]), []) if round_[column(other)] > 0]
        if each:
            ratios.append(statistics.median(each))
    return statistics.median(ratios) if ratios else 0
def total(name, payload, window, col):
    return sum(int(r[col]) for r in mine(name, payload, window))
def cpu(name, payload, window):
    # The responder's own CPU time a reply, over all runs (not the kernel's:
    # it answers in interrupt context, charged to no process).
    replies = total(name, payload, window, 7)
    ticks = total(name, payload, window, 6)
    return "-" if name == "kernel" or not replies else "%.1f" % (ticks * tick / replies)
print("%-22s %7s %6s %12s %9s %11s %6s %6s %9s" % ("responder", "payload", "window",
      "replies/s", "x kernel", "x bare loop", "lost", "bad", "CPU us/reply"))
for payload in ("56", "1400"):
    for window in ("1", "32"):
        for name in names:
            m = median(name, payload, window)
            print("%-22s %7s %6s %12.0f %9.2f %11.2f %6d %6d %9s" % (label.get(name, name),
                  payload, window, m, ratio(name, "kernel", payload, window),
                  ratio(name, "bare-loop", payload, window),
                  total(name, payload, window, 4), total(name, payload, window, 5),
                  cpu(name, payload, window)))
PY

# ---- 3. SIGTERM: idle, under a flood, under a flood with stdout stalled ----
# The three ways the runner can be waiting when it comes: in the read that
# blocks (idle), between packets (a flood, standard output taking
# everything), in poll() (a flood, its log waiting for a reader who never
# reads).
echo
echo "== 3. from SIGTERM to exit: idle; under a flood of 3 x 32 requests in flight with stdout"
echo "      /dev/null; and the same with stdout a pipe nobody reads (-v), median and worst of $runs"
sigterm_ms() {  # sigterm_ms LOADS OUT [-v]: one run, the time in ms
    local loads=$1 out=$2 pids=()
    shift 2
    OUT=$out start_on_tun "bin/$name" -i tun0 "$@"
    for _ in $(seq "$loads"); do
        build/tools/echo-load -w 32 -t 3 192.0.2.2 >/dev/null 2>&1 &   # fails once the tun is gone
        pids+=($!)
    done
    sleep 1
    local start=$EPOCHREALTIME
    kill -TERM "$responder"
    wait "$responder" 2>/dev/null
    local end=$EPOCHREALTIME
    responder=""
    [ ${#pids[@]} = 0 ] || wait "${pids[@]}" 2>/dev/null
    python3 -c "print(round(($end - $start) * 1000, 1))"
}
summary() {     # summary TIMES...: "median, worst"
    local sorted
    sorted=$(printf '%s\n' "$@" | sort -g)
    printf 'median %6s ms, worst %6s ms' "$(sed -n "$(( (runs + 1) / 2 ))p" <<<"$sorted")" \
        "$(tail -n 1 <<<"$sorted")"
}
for name in "${steps[@]}"; do
    idle=() flood=() stalled=()
    for run in $(seq "$runs"); do
        idle+=("$(sigterm_ms 0 /dev/null)")
        flood+=("$(sigterm_ms 3 /dev/null)")
        mkfifo "$work/stalled"
        sleep 100000 <"$work/stalled" &     # holds the pipe open, reads nothing
        holder=$!
        stalled+=("$(sigterm_ms 3 "$work/stalled" -v)")
        kill $holder 2>/dev/null; wait $holder 2>/dev/null
        rm -f "$work/stalled"
    done
    printf '%-22s idle:    %s\n' "$name" "$(summary "${idle[@]}")"
    printf '%-22s flood:   %s\n' "" "$(summary "${flood[@]}")"
    printf '%-22s stalled: %s\n' "" "$(summary "${stalled[@]}")"
done

# ---- 4. a flood of UDP to closed ports: does the host amplify it? ----------
flood_steps=()
for name in "${steps[@]}"; do
    [ "$((10#${name%%-*}))" -lt 9 ] || flood_steps+=("$name")
done
[ ${#flood_steps[@]} -gt 0 ] || exit 0    # (part 5's steps are among them)
rate=${BENCH_FLOOD_RATE:-10000}
# 200 more sources on each side (192.0.2.10-209 on tun0, 198.51.100.10-209
# on bench0): a host's limit for each destination cannot stop those, only
# its global one can.
sources() {     # sources PREFIX DEV: "address add" lines for ip -batch
    for i in $(seq 10 209); do echo "address add $1.$i/32 dev $2"; done
}
ip -batch <(sources 198.51.100 bench0)
snmp() {        # what the kernel's side counted: Udp NoPorts, Icmp OutDestUnreachs, OutRateLimitGlobal, OutRateLimitHost
    nsenter --net="/proc/$peer/ns/net" awk '
        $1 == "Udp:" && !u++ { for (i = 2; i <= NF; i++) uf[$i] = i; next }
        $1 == "Udp:" { noports = $uf["NoPorts"] }
        $1 == "Icmp:" && !c++ { for (i = 2; i <= NF; i++) cf[$i] = i; next }
        $1 == "Icmp:" { out = $cf["OutDestUnreachs"]; g = $cf["OutRateLimitGlobal"]; h = $cf["OutRateLimitHost"] }
        END { print noports, out, g, h }' /proc/net/snmp
}
flood() {       # flood ADDRESS SOURCES FIRST: the generator's last line
    local extra=()
    [ "$2" = 1 ] || extra=(-n "$2" -f "$3")
    "${pin_load[@]}" build/tools/udp-flood -r "$rate" -t "$seconds" "${extra[@]}" "$1"
}
echo
echo "== 4. a flood of UDP to closed ports, $rate datagrams a second for $seconds s (tools/udp-flood.c):"
echo "      received and sent as the host counted them (the kernel: Udp NoPorts, Icmp"
echo "      OutDestUnreachs; a step: its counters); errors back as the flooder got them"
printf '%-22s %7s %10s %9s %11s %12s %10s %13s\n' responder sources "sent/s" received "errors sent" \
    "rate-limited" "errors/s" "errors/datagram"
for n in 1 200; do
    read -r noports out global host <<<"$(snmp)"
    result=$(flood 198.51.100.2 "$n" 198.51.100.10)
    read -r noports2 out2 global2 host2 <<<"$(snmp)"
    sed -E 's/^sent [0-9]+ \(([0-9]+)\/s\), errors [0-9]+ \(([0-9]+)\/s\), ([0-9.]+) .*/\1 \2 \3/' <<<"$result" | {
        read -r sent_rate errors_rate per
        printf '%-22s %7s %10s %9s %11s %12s %10s %13s\n' "the kernel (veth)" "$n" "$sent_rate" \
            $((noports2 - noports)) $((out2 - out)) $(( (global2 - global) + (host2 - host) )) "$errors_rate" "$per"
    }
done
for name in "${flood_steps[@]}"; do
    for n in 1 200; do
        ERR=$work/counters start_on_tun "bin/$name" -i tun0
        ip -batch <(sources 192.0.2 tun0)
        result=$(flood 192.0.2.2 "$n" 192.0.2.10)
        stop_responder
        counter() { awk -v c="$1" '$1 == c { print $2 }' "$work/counters"; }
        sed -E 's/^sent [0-9]+ \(([0-9]+)\/s\), errors [0-9]+ \(([0-9]+)\/s\), ([0-9.]+) .*/\1 \2 \3/' <<<"$result" | {
            read -r sent_rate errors_rate per
            printf '%-22s %7s %10s %9s %11s %12s %10s %13s\n' "$name" "$n" "$sent_rate" \
                $(( $(counter port-unreachable) + $(counter rate-limited) )) "$(counter port-unreachable)" \
                "$(counter rate-limited)" "$errors_rate" "$per"
        }
    done
done

# ---- 5. a flood of incomplete datagrams: does memory stay bounded? ---------
frag_steps=()
for name in "${steps[@]}"; do
    [ "$((10#${name%%-*}))" -lt 10 ] || frag_steps+=("$name")
done
[ ${#frag_steps[@]} -gt 0 ] || exit 0
frag_rate=${BENCH_FRAG_RATE:-5000}
# sockstat [6]: what the kernel's side holds for reassembly, "datagrams
# bytes" (its own count: each fragment's buffer, skb truesize, and each
# queue); IPv6's apart, in sockstat6.
sockstat() {
    nsenter --net="/proc/$peer/ns/net" awk -v line="FRAG$1:" '$1 == line { print $3, $5 }' \
        "/proc/net/sockstat$1"
}
reasm_fails() {     # [6]: Ip ReasmFails: among them, fragments refused for want of memory
    if [ "${1:-}" = 6 ]; then
        nsenter --net="/proc/$peer/ns/net" awk '$1 == "Ip6ReasmFails" { print $2 }' /proc/net/snmp6
        return
    fi
    nsenter --net="/proc/$peer/ns/net" awk '
        $1 == "Ip:" && !i++ { for (f = 2; f <= NF; f++) col[$f] = f; next }
        $1 == "Ip:" { print $col["ReasmFails"] }' /proc/net/snmp
}
kb() { echo $(( ($1 + 1023) / 1024 )); }
vm() {          # vm FIELD: the responder's VmRSS or VmHWM (its peak), in kB
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$responder/status"
}
# row NAME LIMIT RESULT HELD REFUSED BEFORE-KB AFTER-KB GROWTH-BYTES, where
# RESULT is frag-flood's line: lost is what it sent that the host never
# counted (for a step: fragments tun0's queue dropped while it was behind).
# Both check the limit before they take a fragment, and refuse only once
# over it, so either may pass it by the last fragment it took (64 kB at
# most); a step's resident set also counts what its allocator keeps around
# what it charges, and whole pages (measured: under 64 kB). The verdict
# allows those 128 kB over the limit, and no more: a table that kept
# growing would pass it.
row() {
    local verdict="held to the limit" sent rate
    read -r sent rate <<<"$(sed -E 's/^sent ([0-9]+) \(([0-9]+)\/s\).*/\1 \2/' <<<"$3")"
    [ "$8" -le $(($2 + 131072)) ] || verdict="GREW PAST THE LIMIT"
    [ "${sent:-0}" -gt 0 ] 2>/dev/null || { sent=0 verdict="NO FLOOD (frag-flood failed)"; }
    printf '%-22s %9s %8s %7s %8s %6s %10s %10s %10s %8s  %s\n' "$1" "$(kb "$2") kB" "$rate" "$4" "$5" \
        $((sent - $4 - $5)) "$6 kB" "$7 kB" "$(kb "$8") kB" \
        "$(awk -v g="$8" -v l="$2" 'BEGIN { printf "%.2f", g / l }')" "$verdict"
}
echo
echo "== 5. a flood of incomplete datagrams: $frag_rate first fragments a second for $seconds s (1500-byte"
echo "      IPv4 packets, 1496-byte IPv6 ones), each of its own datagram, none ever completed (tools/frag-flood.c), against the"
echo "      reassembly memory limit (Linux: net.ipv4.ipfrag_high_thresh, net.ipv6.ip6frag_high_thresh;"
echo "      a step: --ipfrag-high-thresh, for each family). IPv4, then IPv6 for the steps that speak it."
echo "      Memory before and after: the kernel's own count of what it holds for reassembly"
echo "      (/proc/net/sockstat FRAG:, sockstat6 FRAG6: memory); a step's resident memory, VmRSS before"
echo "      and VmHWM (its peak) after, from /proc/PID/status. Held and refused: the kernel's FRAG:"
echo "      inuse and Ip ReasmFails (Ip6ReasmFails); a step's counters fragment-held and"
echo "      reassembly-memory-full. Lost: sent, and never counted (a step's tun0 drops what it has no"
echo "      time to read)."
printf '%-22s %9s %8s %7s %8s %6s %10s %10s %10s %8s  %s\n' responder limit "sent/s" held refused lost \
    "before" "after" growth "x limit" verdict
# kernel_flood FAMILY: the kernel's rows, for IPv4 ("") or IPv6 (6).
kernel_flood() {
    local family=$1 limit label="the kernel (veth)" to=198.51.100.2 sysctl=net.ipv4.ipfrag
    [ -z "$family" ] || { label="the kernel, IPv6" to=2001:db8:1::2 sysctl=net.ipv6.ip6frag; }
    for limit in 4194304 262144; do
        # The low threshold first: the kernel keeps it at or below the high one.
        start_peer "${sysctl}_low_thresh=$((limit * 3 / 4))" "${sysctl}_high_thresh=$limit"
        read -r _ memory_before <<<"$(sockstat "$family")"
        fails=$(reasm_fails "$family")
        result=$("${pin_load[@]}" build/tools/frag-flood -r "$frag_rate" -t "$seconds" "$to")
        sleep 0.2
        read -r held memory_after <<<"$(sockstat "$family")"
        row "$label" "$limit" "$result" "$held" $(( $(reasm_fails "$family") - fails )) \
            "$(kb "$memory_before")" "$(kb "$memory_after")" $((memory_after - memory_before))
    done
}
# step_flood NAME FAMILY: a step's rows (IPv6: tun0 gets 2001:db8::1/64,
# the step answers 2001:db8::2).
step_flood() {
    local name=$1 family=$2 limit label=$1 to=192.0.2.2
    [ -z "$family" ] || { label="$name, IPv6" to=2001:db8::2; }
    for limit in 4194304 262144; do
        ERR=$work/counters start_on_tun "bin/$name" -i tun0 --ipfrag-high-thresh "$limit"
        [ -z "$family" ] || ip addr add 2001:db8::1/64 dev tun0 nodad
        sleep 0.2
        rss_before=$(vm VmRSS)
        result=$("${pin_load[@]}" build/tools/frag-flood -r "$frag_rate" -t "$seconds" "$to")
        sleep 0.2
        peak=$(vm VmHWM)
        stop_responder
        counter() { awk -v c="$1" '$1 == c { print $2 }' "$work/counters"; }
        row "$label" "$limit" "$result" \
            "$(counter fragment-held)" "$(counter reassembly-memory-full)" "$rss_before" "$peak" \
            $(( (peak - rss_before) * 1024 ))
    done
}
kernel_flood ""
for name in "${frag_steps[@]}"; do
    step_flood "$name" ""
done
ipv6_steps=()
for name in "${frag_steps[@]}"; do
    [ "$((10#${name%%-*}))" -lt 11 ] || ipv6_steps+=("$name")
done
if [ ${#ipv6_steps[@]} -gt 0 ]; then
    kernel_flood 6
    for name in "${ipv6_steps[@]}"; do
        step_flood "$name" 6
    done
fi
