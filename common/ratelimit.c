#include "ratelimit.h"

#include <string.h>

#include "bytes.h"

/*
 * Linux limits errors twice, in this order (__icmp_send in net/ipv4/icmp.c,
 * Linux 6.x), and so do we, in milliseconds where Linux counts jiffies:
 *
 * 1. icmp_global_allow(): one bucket for all destinations. While it holds
 *    credit, send. Otherwise refill it with msgs_per_sec * elapsed / 1000
 *    (elapsed at most a second, and nothing before 20 ms: HZ / 50), up to
 *    msgs_burst.
 * 2. inet_peer_xrlim_allow(): a bucket per destination that fills with one
 *    token a millisecond up to 6 errors' worth (XRLIM_BURST_FACTOR), and an
 *    error costs ratelimit_ms tokens. A destination seen for the first time
 *    counts as quiet for 60 seconds (inet_getpeer: rate_last = now - 60 s),
 *    so it starts full.
 * Only when both say yes does the error go, and then it takes its credit
 * from the global bucket (icmp_global_consume).
 */

enum { GLOBAL_MIN_INTERVAL_MS = 20, GLOBAL_MAX_INTERVAL_MS = 1000, NEW_PEER_QUIET_MS = 60000 };

int ratelimit_applies(uint8_t type, uint8_t code)
{
    static const uint32_t ICMP_RATEMASK = 6168;     /* (1<<3)|(1<<4)|(1<<11)|(1<<12) */

    if (type > 18)                  /* NR_ICMP_TYPES: Linux does not limit the unknown */
        return 0;
    if (type == 3 && code == 4)     /* fragmentation needed */
        return 0;
    return (ICMP_RATEMASK >> type) & 1;
}

static int global_allow(struct ratelimit *r, const struct ratelimit_settings *s, uint64_t now)
{
    if (s->msgs_per_sec == 0)
        return 1;                   /* off (our choice for 0, see ratelimit.h) */
    if (r->global_credit > 0)
        return 1;
    uint64_t elapsed = r->global_started ? now - r->global_stamp_ms : GLOBAL_MAX_INTERVAL_MS;
    if (elapsed > GLOBAL_MAX_INTERVAL_MS)
        elapsed = GLOBAL_MAX_INTERVAL_MS;
    if (elapsed < GLOBAL_MIN_INTERVAL_MS)
        return 0;
    uint64_t refill = (uint64_t)s->msgs_per_sec * elapsed / 1000;
    if (refill == 0)
        return 0;
    r->global_started = 1;
    r->global_stamp_ms = now;
    r->global_credit += (int64_t)refill;
    if (r->global_credit > (int64_t)s->msgs_burst)
        r->global_credit = s->msgs_burst;
    return 1;
}

/* The destination's bucket: found in the set of places its address hashes
 * to, or made there (taking the place of the one unused longest, whose
 * history is forgotten as Linux forgets a peer). A set, not the whole
 * table, is searched, so a flood costs the same however many it holds. */
static struct ratelimit_peer *find_peer(struct ratelimit *r, uint8_t family,
                                        const uint8_t *address, uint64_t now)
{
    /* Knuth's multiplicative hash: the top bits of address * 2^32/phi (an
     * IPv6 address folded to 32 bits first). */
    enum { SETS = RATELIMIT_PEERS / RATELIMIT_WAYS };
    size_t len = family == 6 ? 16 : 4;
    uint32_t folded = 0;
    for (size_t i = 0; i < len; i += 4)
        folded ^= read_be32(address + i);
    uint32_t hash = (uint32_t)(folded * 2654435761u);
    struct ratelimit_peer *set = &r->peers[(size_t)(hash % SETS) * RATELIMIT_WAYS];
    struct ratelimit_peer *oldest = &set[0];

    for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
        struct ratelimit_peer *p = &set[i];
        if (p->used && p->family == family && memcmp(p->address, address, len) == 0)
            return p;
        if (!p->used || (oldest->used && p->last_ms < oldest->last_ms))
            oldest = p;
    }
    memset(oldest, 0, sizeof *oldest);
    oldest->used = 1;
    oldest->family = family;
    memcpy(oldest->address, address, len);
    oldest->last_ms = now - NEW_PEER_QUIET_MS;
    return oldest;
}

static int peer_allow(struct ratelimit *r, uint64_t timeout, uint8_t family,
                      const uint8_t *address, uint64_t now)
{
    struct ratelimit_peer *p = find_peer(r, family, address, now);

    if (now != p->last_ms) {
        p->tokens += now - p->last_ms;
        p->last_ms = now;
        if (p->tokens > RATELIMIT_PEER_BURST * timeout)
            p->tokens = RATELIMIT_PEER_BURST * timeout;
    }
    if (p->tokens < timeout)
        return 0;
    p->tokens -= timeout;
    return 1;
}

enum ratelimit_verdict ratelimit_allow(struct ratelimit *state,
                                       const struct ratelimit_settings *settings,
                                       const uint8_t destination[4], uint8_t type,
                                       uint8_t code, uint64_t now_ms)
{
    if (!ratelimit_applies(type, code))
        return RATELIMIT_SEND;
    if (!global_allow(state, settings, now_ms))
        return RATELIMIT_GLOBAL;
    if (!peer_allow(state, settings->ratelimit_ms, 4, destination, now_ms))
        return RATELIMIT_PEER;
    /* Linux takes 0, 1 or 2 credits at random (since 2020, so that an
     * attacker cannot count the credit left: CVE-2020-25705); we take 1,
     * the same on average, so that tests can count. */
    if (settings->msgs_per_sec != 0)
        state->global_credit--;
    return RATELIMIT_SEND;
}

int ratelimit_applies6(uint8_t type)
{
    return type < 128 && type != 2;     /* 2: packet too big */
}

enum ratelimit_verdict ratelimit_allow6(struct ratelimit *state,
                                        const struct ratelimit_settings *settings,
                                        const uint8_t destination[16], uint8_t type,
                                        uint64_t now_ms)
{
    if (!ratelimit_applies6(type))
        return RATELIMIT_SEND;
    if (!global_allow(state, settings, now_ms))
        return RATELIMIT_GLOBAL;
    if (!peer_allow(state, settings->ratelimit6_ms, 6, destination, now_ms))
        return RATELIMIT_PEER;
    if (settings->msgs_per_sec != 0)
        state->global_credit--;
    return RATELIMIT_SEND;
}
