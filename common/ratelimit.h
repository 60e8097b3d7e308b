/* How often a host may send ICMP errors: Linux's two token buckets
 * (net/ipv4/icmp.c, net/ipv4/inetpeer.c), step 09 on. RFC 1812 4.3.2.8
 * asks for a limit; RFC 1122 3.2.2 leaves it to the host. */
#ifndef ICMP_STEPS_RATELIMIT_H
#define ICMP_STEPS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* The settings, named after the sysctls that hold Linux's. */
struct ratelimit_settings {
    unsigned ratelimit_ms;          /* net.ipv4.icmp_ratelimit: per destination, one
                                       error per this many ms (0: no limit) */
    unsigned msgs_per_sec;          /* net.ipv4.icmp_msgs_per_sec: all destinations
                                       together (0: no limit; in Linux 0 means none) */
    unsigned msgs_burst;            /* net.ipv4.icmp_msgs_burst: how many at once */
    unsigned ratelimit6_ms;         /* net.ipv6.icmp.ratelimit: ratelimit_ms for
                                       ICMPv6 errors (step 11 on) */
};

/* Linux's defaults (Documentation/networking/ip-sysctl.rst). */
#define RATELIMIT_LINUX_DEFAULTS {.ratelimit_ms = 1000, .msgs_per_sec = 1000, .msgs_burst = 50, \
                                  .ratelimit6_ms = 100}

/* Linux's XRLIM_BURST_FACTOR: a destination that has been quiet may get
 * this many errors at once. Linux remembers every destination it sent an
 * error to lately (inet_peer); we remember up to RATELIMIT_PEERS, found by
 * a hash of the address in a set of RATELIMIT_WAYS places. A destination
 * forgotten comes back with a full bucket, so the table must hold every
 * destination of a flood from many sources, or the flood gets more errors
 * than Linux would send it. */
enum { RATELIMIT_PEER_BURST = 6, RATELIMIT_PEERS = 4096, RATELIMIT_WAYS = 4 };

/* One destination's bucket (Linux's struct inet_peer: rate_tokens,
 * rate_last), in milliseconds. */
struct ratelimit_peer {
    uint8_t family;                 /* 4 or 6: Linux keeps IPv4 and IPv6 peers apart */
    uint8_t address[16];            /* an IPv4 address in its first 4 bytes */
    uint64_t last_ms;
    uint64_t tokens;
    int used;
};

/* The state of both buckets. All zero is the state of a host that has
 * sent nothing yet. */
struct ratelimit {
    int global_started;
    int64_t global_credit;          /* may go below 0, as in Linux */
    uint64_t global_stamp_ms;
    struct ratelimit_peer peers[RATELIMIT_PEERS];
};

enum ratelimit_verdict {
    RATELIMIT_SEND = 0,
    RATELIMIT_GLOBAL,               /* too many errors to everyone */
    RATELIMIT_PEER,                 /* too many errors to this destination */
};

/* Whether Linux limits ICMP type/code at all: the types of
 * net.ipv4.icmp_ratemask (6168: destination unreachable, source quench,
 * time exceeded, parameter problem), but never "fragmentation needed",
 * which path MTU discovery depends on. Echo and timestamp replies are not
 * limited. */
int ratelimit_applies(uint8_t type, uint8_t code);

/* May an ICMP message of type/code go to `destination` at `now_ms`
 * (any clock that only goes forward, in milliseconds)? Takes a token when
 * it may, as Linux's __icmp_send() does. */
enum ratelimit_verdict ratelimit_allow(struct ratelimit *state,
                                       const struct ratelimit_settings *settings,
                                       const uint8_t destination[4], uint8_t type,
                                       uint8_t code, uint64_t now_ms);

/* ---- ICMPv6 (step 11 on) ---- */

/* Whether Linux limits ICMPv6 type `type` at all: the types of
 * net.ipv6.icmp.ratemask, by default "0-1,3-127": every error but packet
 * too big (path MTU discovery again); informational messages never. */
int ratelimit_applies6(uint8_t type);

/*
 * ratelimit_allow() for an ICMPv6 error to `destination` (16 bytes), as
 * Linux's icmp6_send() asks (icmpv6_global_allow, icmpv6_xrlim_allow): the
 * same global bucket as IPv4's (icmp_global_allow is one for both), then
 * the destination's own (IPv6 peers apart from IPv4 ones), whose error
 * costs settings->ratelimit6_ms. Measured on Linux 6.18 (a fresh
 * namespace: net.ipv6.icmp.ratelimit = 100): UDP to a closed port from a
 * peer on the tun's /64, 10 at once get 6 errors, then one every 100 ms;
 * the source's "tmo >>= (128 - plen) >> 5" for a shorter prefix did not
 * show (it would have been one every 25 ms).
 */
enum ratelimit_verdict ratelimit_allow6(struct ratelimit *state,
                                        const struct ratelimit_settings *settings,
                                        const uint8_t destination[16], uint8_t type,
                                        uint64_t now_ms);

#endif
