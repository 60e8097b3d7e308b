#!/usr/bin/env bash
# link-ready.sh IFNAME: waits (3 s at most) until the kernel sends through
# the link. `ip link set up` and a tun's reader attaching turn the carrier
# on at once, but the kernel only starts transmitting when its "linkwatch"
# work has run, up to a second later; what it sends before is dropped. The
# operational state ("state" in `ip link`) changes in that same work.
# (ip asks over netlink, in this network namespace; /sys/class/net would
# show the namespace that mounted /sys.)
for _ in $(seq 300); do
    state=$(ip -o link show dev "$1" 2>/dev/null) || { sleep 0.01; continue; }
    case $state in
        *"state DOWN"*) sleep 0.01 ;;
        *) sleep 0.02; exit 0 ;;
    esac
done
exit 1
