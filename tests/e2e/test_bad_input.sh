#!/usr/bin/env bash
# Steps 02 to 09 fed what no ping sends: every malformed shape of a request,
# packets that must not be answered, and thousands of random packets, all
# written straight into the step's read() through an AF_PACKET socket
# (tools/inject.c). No crash, no reply to any of it (step 09: only what
# Linux answers too), a line for each, and still answering ping afterwards. The steps run built with AddressSanitizer
# and UndefinedBehaviorSanitizer, so a bad read ends them with an error.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
enter_namespace "$@"

inject="$root/build/tools/inject"
request="$root/tests/fixtures/requests/default.pcap"

for step in 02-parse-ipv4 03-naive-reply 04-echo-payload 05-checksum 06-host-checks 07-ip-options \
            08-least-privilege 09-icmp-errors; do
    STEP_BIN_DIR=build/asan/bin start_step $step
    sysctl -qw net.ipv6.conf.tun0.disable_ipv6=1 2>/dev/null   # count only our packets
    sleep 0.2
    before=$(grep -c '' "$step_log")

    out=$("$inject" -i tun0 --malformed "$request")
    sent=${out#sent }; sent=${sent%%,*}
    answered=0
    if [ $step = 09-icmp-errors ]; then
        # Three of the shapes are well-formed to Linux, which answers them
        # too: protocols 0 and 58 (a protocol unreachable each) and a
        # timestamp request (a timestamp reply).
        answered=3
        check_equal "$step: of $sent malformed packets, only what Linux answers gets a reply" \
            "sent $sent, replies 3" "$out"
        check_equal "$step: namely two protocol unreachables and a timestamp reply" "2 1" \
            "$(grep -c 'sent destination unreachable (type 3, code 2)' "$step_log") $(grep -c '^timestamp request .*: replied$' "$step_log")"
    else
        check_equal "$step: no reply to any of $sent malformed packets" "sent $sent, replies 0" "$out"
    fi
    lines=$(tail -n +$((before + 1)) "$step_log" | grep -c '')
    ignored=$(( $(tail -n +$((before + 1)) "$step_log" | grep -Ec '^ignored: |: ignored, not ICMP$') + answered ))
    if [ $step = 02-parse-ipv4 ]; then
        # Fragments and other ICMP types are well-formed IPv4: step 02 prints
        # them like any other packet. The other $ignored say why they are ignored.
        check_equal "$step: one line for each" "$sent" "$lines"
    else
        check_equal "$step: one line for each, saying what it ignored" "$sent $sent" "$lines $ignored"
    fi

    out=$("$inject" -i tun0 --random 3000 --seed 1)
    check_contains "$step: 3000 random packets sent" "sent 3000" "$out"
    check "$step: still running after them" kill -0 "$step_pid"

    if [ $step = 02-parse-ipv4 ]; then
        out=$("$inject" -i tun0 "$request")
        check_equal "$step: answers nothing, not even a good request" "sent 1, replies 0" "$out"
    else
        out=$(ping_with raw -c 3 -i 0.2 -W 1 192.0.2.2)
        check_contains "$step: still answers ping afterwards" "3 received" "$out"
    fi
    stop_step
    if [ "$step_status" = 0 ]; then
        ok "$step: exits 0 on SIGTERM: no crash, no sanitizer report"
    else
        not_ok "$step: exits 0 on SIGTERM: no crash, no sanitizer report" \
            "exit status $step_status; the step's last words: $(tail -n 30 "$step_log")"
    fi
    sleep 0.1
done
finish
