/*
 * Linux's two token buckets for ICMP errors (common/ratelimit.c), worked
 * out by hand from the kernel's arithmetic (net/ipv4/icmp.c
 * icmp_global_allow and icmpv4_mask_allow, net/ipv4/inetpeer.c
 * inet_peer_xrlim_allow), with the clock in milliseconds (HZ = 1000):
 *
 *   per destination: tokens += elapsed ms, at most 6 * icmp_ratelimit
 *                    (XRLIM_BURST_FACTOR); an error costs icmp_ratelimit;
 *                    a new destination starts 60 s quiet, so full
 *   in all:          while credit > 0, send; else, if 20 ms (HZ / 50) or
 *                    more went by, credit += msgs_per_sec * min(elapsed,
 *                    1000) / 1000, at most msgs_burst; an error sent
 *                    takes one credit (Linux: 0, 1 or 2 at random)
 */
#include "support.h"

#include "bytes.h"
#include "ratelimit.h"

static const uint8_t A[4] = {192, 0, 2, 1}, B[4] = {192, 0, 2, 9};
enum { UNREACHABLE = 3, PORT = 3, PARAMETER_PROBLEM = 12 };

static struct ratelimit state;
static struct ratelimit_settings settings;

static int setup(void **unused)
{
    (void)unused;
    const struct ratelimit_settings linux_defaults = RATELIMIT_LINUX_DEFAULTS;

    memset(&state, 0, sizeof state);
    settings = linux_defaults;
    return 0;
}

static enum ratelimit_verdict allow(const uint8_t to[4], uint64_t now)
{
    return ratelimit_allow(&state, &settings, to, UNREACHABLE, PORT, now);
}

/* How many of n errors to `to` at `now` may go. */
static int sent(const uint8_t to[4], int n, uint64_t now)
{
    int count = 0;

    for (int i = 0; i < n; i++)
        count += allow(to, now) == RATELIMIT_SEND;
    return count;
}

/* icmp_ratemask 6168 = 0x1818: types 3, 4, 11, 12 are limited, but never
 * 3/4 (fragmentation needed: path MTU discovery); echo reply (0),
 * timestamp reply (14), redirect (5) and unknown types are not. */
static void which_types_are_limited(void **unused)
{
    (void)unused;
    assert_true(ratelimit_applies(3, 3));
    assert_true(ratelimit_applies(3, 2));
    assert_false(ratelimit_applies(3, 4));
    assert_true(ratelimit_applies(4, 0));
    assert_true(ratelimit_applies(11, 0));
    assert_true(ratelimit_applies(12, 0));
    assert_false(ratelimit_applies(0, 0));
    assert_false(ratelimit_applies(5, 0));
    assert_false(ratelimit_applies(8, 0));
    assert_false(ratelimit_applies(14, 0));
    assert_false(ratelimit_applies(200, 0));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ratelimit_allow(&state, &settings, A, 0, 0, 5), RATELIMIT_SEND);
}

/* 1000 ms: 6000 tokens to start with, 6 errors; then one token a ms: one
 * error a second; after 3.5 s quiet, 3 (3500 tokens), 500 left over, so
 * the next comes after 500 ms more. Never more than 6 at once, however
 * long the quiet. */
static void one_destination(void **unused)
{
    (void)unused;
    uint64_t t = 1000000;

    assert_int_equal(sent(A, 7, t), 6);
    assert_int_equal(allow(A, t), RATELIMIT_PEER);
    assert_int_equal(sent(A, 1, t + 999), 0);
    assert_int_equal(sent(A, 2, t + 1000), 1);
    assert_int_equal(sent(A, 4, t + 4500), 3);
    assert_int_equal(sent(A, 1, t + 4999), 0);
    assert_int_equal(sent(A, 1, t + 5000), 1);
    assert_int_equal(sent(A, 10, t + 3600000), 6);
}

/* Each destination has its own bucket. */
static void destinations_apart(void **unused)
{
    (void)unused;
    assert_int_equal(sent(A, 10, 70000), 6);
    assert_int_equal(sent(B, 10, 70000), 6);
}

/* icmp_ratelimit 250: 6 at once (1500 tokens), then one every 250 ms. */
static void another_interval(void **unused)
{
    (void)unused;
    settings.ratelimit_ms = 250;
    assert_int_equal(sent(A, 10, 5000), 6);
    assert_int_equal(sent(A, 10, 5249), 0);
    assert_int_equal(sent(A, 10, 5250), 1);
    assert_int_equal(sent(A, 10, 6250), 4);
}

/* The global bucket alone (the per-destination limit off: 0): 50 at
 * once; nothing within 20 ms of the last refill; after 20 ms, 1000 * 20 /
 * 1000 = 20; after a second or more, never more than 50. At 10 a second,
 * 19 ms would refill 0 (10 * 19 / 1000): nothing until 100 ms. */
static void all_destinations(void **unused)
{
    (void)unused;
    const uint8_t *to[2] = {A, B};
    uint64_t t = 9000;

    settings.ratelimit_ms = 0;
    int count = 0;
    for (int i = 0; i < 60; i++)
        count += allow(to[i % 2], t) == RATELIMIT_SEND;
    assert_int_equal(count, 50);
    assert_int_equal(allow(A, t), RATELIMIT_GLOBAL);
    assert_int_equal(sent(A, 10, t + 19), 0);
    assert_int_equal(sent(B, 30, t + 20), 20);
    assert_int_equal(sent(A, 100, t + 20 + 5000), 50);

    setup(NULL);
    settings.ratelimit_ms = 0;
    settings.msgs_per_sec = 10;
    settings.msgs_burst = 3;
    assert_int_equal(sent(A, 5, t), 3);
    assert_int_equal(sent(A, 5, t + 50), 0);
    assert_int_equal(sent(A, 5, t + 99), 0);
    assert_int_equal(sent(A, 5, t + 100), 1);

    /* A burst larger than a second's worth: a refill counts one second at
     * most, however long the quiet (5 s at 10 a second: 10, not 50). */
    settings.msgs_burst = 100;
    assert_int_equal(sent(A, 200, t + 100 + 5000), 10);
}

/* Both: an error that the destination's bucket refuses takes no credit
 * from the global one (Linux consumes only after both said yes). */
static void both_buckets(void **unused)
{
    (void)unused;
    settings.msgs_burst = 8;
    assert_int_equal(sent(A, 100, 100000), 6);      /* A's 6; global 8 - 6 = 2 left */
    assert_int_equal(sent(B, 100, 100000), 2);      /* then the global bucket is empty */
    assert_int_equal(allow(B, 100000), RATELIMIT_GLOBAL);
}

/* 0 turns a limit off (for Linux's icmp_msgs_per_sec, 0 would send none:
 * ratelimit.h says why ours differs). */
static void zero_is_off(void **unused)
{
    (void)unused;
    settings.ratelimit_ms = 0;
    settings.msgs_per_sec = 0;
    assert_int_equal(sent(A, 100000, 1), 100000);
}

/* A flood from many sources: each keeps its own bucket, as Linux keeps a
 * peer for each, so 200 sources get 6 errors each, then nothing until a
 * token comes back (the flood of make bench's part 4). */
static void every_source_of_a_flood_is_remembered(void **unused)
{
    (void)unused;
    settings.msgs_per_sec = 0;
    uint8_t to[4] = {198, 51, 100, 0};

    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 200; i++) {
            to[2] = (uint8_t)(100 + i / 256);
            to[3] = (uint8_t)i;
            assert_int_equal(sent(to, 10, 100000), round == 0 ? 6 : 0);
        }
}

/* More destinations than the table holds: the one unused longest is
 * forgotten, and comes back with a full bucket, as a peer Linux forgot.
 * Four times RATELIMIT_PEERS destinations after A leave no place unused. */
static void more_destinations_than_buckets(void **unused)
{
    (void)unused;
    settings.msgs_per_sec = 0;
    uint8_t to[4] = {10, 0, 0, 0};

    assert_int_equal(sent(A, 6, 100000), 6);
    assert_int_equal(sent(A, 1, 100001), 0);
    for (uint32_t i = 0; i < 4 * RATELIMIT_PEERS; i++) {
        write_be32(to, 0x0a000000u + i);
        assert_int_equal(sent(to, 1, 100002), 1);
    }
    assert_int_equal(sent(A, 10, 100003), 6);
}

/* ICMPv6 (Linux's icmp6_send): the ratemask "0-1,3-127" limits every error
 * but packet too big (2), and no informational message. */
static void icmpv6_ratemask(void **unused)
{
    (void)unused;
    assert_int_equal(ratelimit_applies6(1), 1);
    assert_int_equal(ratelimit_applies6(4), 1);
    assert_int_equal(ratelimit_applies6(127), 1);
    assert_int_equal(ratelimit_applies6(2), 0);
    assert_int_equal(ratelimit_applies6(129), 0);
}

/* An IPv6 peer pays net.ipv6.icmp.ratelimit, 100 ms an error (as measured
 * on Linux 6.18: 6 at once from a full bucket of 600 tokens, then one
 * every 100 ms); packet too big is never limited; IPv4 and IPv6 peers are
 * apart, and IPv4's keep their 1000 ms. */
static void icmpv6_peer_cost(void **unused)
{
    (void)unused;
    static const uint8_t V6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    settings.msgs_per_sec = 0;                  /* the peer's bucket alone */
    for (int i = 0; i < 6; i++)
        assert_int_equal(ratelimit_allow6(&state, &settings, V6, 1, 100000), RATELIMIT_SEND);
    assert_int_equal(ratelimit_allow6(&state, &settings, V6, 1, 100000), RATELIMIT_PEER);
    assert_int_equal(ratelimit_allow6(&state, &settings, V6, 1, 100099), RATELIMIT_PEER);
    assert_int_equal(ratelimit_allow6(&state, &settings, V6, 1, 100100), RATELIMIT_SEND);
    assert_int_equal(ratelimit_allow6(&state, &settings, V6, 2, 100100), RATELIMIT_SEND);
    /* the IPv4 peer 32.1.13.184 (the same first 4 bytes) is another peer */
    assert_int_equal(ratelimit_allow(&state, &settings, V6, UNREACHABLE, PORT, 100100),
                     RATELIMIT_SEND);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_allow(&state, &settings, V6, UNREACHABLE, PORT, 100100),
                         RATELIMIT_SEND);
    assert_int_equal(ratelimit_allow(&state, &settings, V6, UNREACHABLE, PORT, 100999),
                     RATELIMIT_PEER);
}

/* One global bucket for both families (icmp_global_allow). */
static void icmpv6_shares_the_global_bucket(void **unused)
{
    (void)unused;
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    uint8_t v4[4] = {192, 0, 2, 0};
    settings.ratelimit_ms = settings.ratelimit6_ms = 0;
    settings.msgs_burst = 4;
    settings.msgs_per_sec = 1000;
    for (int i = 0; i < 2; i++) {
        v6[15] = (uint8_t)i;
        assert_int_equal(ratelimit_allow6(&state, &settings, v6, 1, 5000), RATELIMIT_SEND);
        v4[3] = (uint8_t)i;
        assert_int_equal(ratelimit_allow(&state, &settings, v4, UNREACHABLE, PORT, 5000),
                         RATELIMIT_SEND);
    }
    v6[15] = 9;
    assert_int_equal(ratelimit_allow6(&state, &settings, v6, 1, 5000), RATELIMIT_GLOBAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(which_types_are_limited, setup),
        cmocka_unit_test_setup(one_destination, setup),
        cmocka_unit_test_setup(destinations_apart, setup),
        cmocka_unit_test_setup(another_interval, setup),
        cmocka_unit_test_setup(all_destinations, setup),
        cmocka_unit_test_setup(both_buckets, setup),
        cmocka_unit_test_setup(zero_is_off, setup),
        cmocka_unit_test_setup(every_source_of_a_flood_is_remembered, setup),
        cmocka_unit_test_setup(more_destinations_than_buckets, setup),
        cmocka_unit_test_setup(icmpv6_ratemask, setup),
        cmocka_unit_test_setup(icmpv6_peer_cost, setup),
        cmocka_unit_test_setup(icmpv6_shares_the_global_bucket, setup),
    };
    return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
