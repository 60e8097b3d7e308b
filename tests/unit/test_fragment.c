/*
 * common/fragment.c against the Linux kernel: the kernel's own echo replies
 * to `ping -s 4000` and `ping -R -s 4000`, cut by the kernel for an oracle
 * tun of MTU 1500 and of MTU 576 (scripts/capture-fragment-fixtures.sh).
 * The test puts the kernel's fragments back together itself, has
 * ipv4_fragment() cut that datagram for the same MTU, and compares each
 * fragment with the kernel's, byte for byte. The datagram keeps the
 * kernel's identification, so nothing may differ: not the lengths, the
 * offsets, the flags, the options of the later fragments, nor a checksum.
 * The same for ipv6_fragment() and the kernel's fragmented echo replies to
 * `ping -6` (scripts/capture-fragment-fixtures6.sh), its identification
 * kept too.
 */
#include "support.h"

#include "bytes.h"
#include "checksum.h"
#include "fragment.h"

struct cut {
    size_t count;
    uint8_t *fragment[FIXTURE_MAX_PACKETS];
    size_t len[FIXTURE_MAX_PACKETS];
};

static void keep(void *context, const uint8_t *fragment, size_t len)
{
    struct cut *cut = context;

    assert_true(cut->count < FIXTURE_MAX_PACKETS);
    cut->fragment[cut->count] = malloc(len);
    assert_non_null(cut->fragment[cut->count]);
    memcpy(cut->fragment[cut->count], fragment, len);
    cut->len[cut->count++] = len;
}

static void free_cut(struct cut *cut)
{
    for (size_t i = 0; i < cut->count; i++)
        free(cut->fragment[i]);
    cut->count = 0;
}

/* The test's own reassembly of the kernel's fragments (RFC 791): the first
 * fragment's header, offset and More Fragments cleared, each fragment's
 * data at its offset. Returns the datagram's length. */
static size_t put_together(const struct fixture_packets *kernel, uint8_t *whole)
{
    size_t header_len = (size_t)(kernel->packet[0][0] & 0x0f) * 4, end = 0;

    memcpy(whole, kernel->packet[0], header_len);
    for (size_t i = 0; i < kernel->count; i++) {
        const uint8_t *f = kernel->packet[i];
        size_t f_header = (size_t)(f[0] & 0x0f) * 4;
        size_t at = header_len + (size_t)(read_be16(f + 6) & 0x1fff) * 8;
        memcpy(whole + at, f + f_header, kernel->len[i] - f_header);
        if (at + kernel->len[i] - f_header > end)
            end = at + kernel->len[i] - f_header;
    }
    write_be16(whole + 2, (uint16_t)end);
    write_be16(whole + 6, 0);
    write_be16(whole + 10, 0);
    write_be16(whole + 10, inet_checksum(whole, header_len));
    return end;
}

static void cut_like_the_kernel(const char *fixture, unsigned mtu)
{
    static uint8_t whole[TEST_MAX_PACKET];
    struct fixture_packets kernel;
    struct cut ours = {0};

    load_fixture_packets(fixture, &kernel);
    size_t len = put_together(&kernel, whole);
    size_t count = ipv4_fragment(whole, len, mtu, keep, &ours);
    if (count != kernel.count || ours.count != kernel.count)
        fail_msg("%s: the kernel sent %zu fragments, ipv4_fragment() returned %zu and sent %zu",
                 fixture, kernel.count, count, ours.count);
    for (size_t i = 0; i < kernel.count; i++) {
        if (ours.len[i] != kernel.len[i])
            fail_msg("%s: fragment %zu: the kernel's has %zu bytes, ours %zu", fixture, i + 1,
                     kernel.len[i], ours.len[i]);
        assert_true(ours.len[i] <= mtu);
        assert_packet_equal(kernel.packet[i], ours.fragment[i], kernel.len[i]);
    }
    free_cut(&ours);
    free_fixture_packets(&kernel);
}

/* 4008 bytes of ICMP: 1480 + 1480 + 1048 through 1500, 552 each through
 * 576 (556 would fit, but offsets count 8-byte units). */
static void echo_reply_mtu_1500(void **state)
{
    (void)state;
    cut_like_the_kernel("fragments/echo-4000-mtu1500.kernel.pcap", 1500);
}

static void echo_reply_mtu_576(void **state)
{
    (void)state;
    cut_like_the_kernel("fragments/echo-4000-mtu576.kernel.pcap", 576);
}

/* With Record Route (a 60-byte header): the data space shrinks to 1440 and
 * 512, and the later fragments carry NOPs where the first has the route
 * (the option's copy flag is clear), so every header stays 60 bytes. */
static void record_route_reply_mtu_1500(void **state)
{
    (void)state;
    cut_like_the_kernel("fragments/echo-4000-rr-mtu1500.kernel.pcap", 1500);
}

static void record_route_reply_mtu_576(void **state)
{
    (void)state;
    cut_like_the_kernel("fragments/echo-4000-rr-mtu576.kernel.pcap", 576);
}

/* A datagram that fits is sent as it is, once. */
static void what_fits_goes_as_it_is(void **state)
{
    (void)state;
    struct fixture_packets kernel;
    struct cut ours = {0};

    load_fixture_packets("kernel-replies/s1472.pcap", &kernel);
    assert_int_equal(kernel.len[0], 1500);
    assert_int_equal(ipv4_fragment(kernel.packet[0], 1500, 1500, keep, &ours), 1);
    assert_int_equal(ours.count, 1);
    assert_int_equal(ours.len[0], 1500);
    assert_memory_equal(ours.fragment[0], kernel.packet[0], 1500);
    free_cut(&ours);
    free_fixture_packets(&kernel);
}

/* A 20-byte header and 28 bytes of data: an MTU of 27 leaves room for
 * less than 8 bytes of data, and nothing is sent; 28 makes four fragments
 * of 8, 8, 8 and 4 bytes at offsets 0, 1, 2 and 3 (units of 8 bytes). */
static void smallest_mtu(void **state)
{
    (void)state;
    uint8_t datagram[48] = {0x45, 0, 0, 48, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
                            198, 51, 100, 1, 198, 51, 100, 2};
    struct cut ours = {0};

    for (size_t i = 20; i < 48; i++)
        datagram[i] = (uint8_t)i;
    write_be16(datagram + 10, inet_checksum(datagram, 20));
    assert_int_equal(ipv4_fragment(datagram, 48, 27, keep, &ours), 0);
    assert_int_equal(ours.count, 0);
    assert_int_equal(ipv4_fragment(datagram, 48, 28, keep, &ours), 4);
    const size_t lens[] = {28, 28, 28, 24};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ours.len[i], lens[i]);
        assert_int_equal(read_be16(ours.fragment[i] + 2), lens[i]);
        /* Don't Fragment goes: a datagram cut is no longer atomic. */
        assert_int_equal(read_be16(ours.fragment[i] + 6), i | (i < 3 ? 0x2000 : 0));
        assert_int_equal(read_be16(ours.fragment[i] + 4), 0x1234);
        assert_true(inet_checksum_ok(ours.fragment[i], 20));
        assert_memory_equal(ours.fragment[i] + 20, datagram + 20 + 8 * i, lens[i] - 20);
    }
    free_cut(&ours);
}

/* RFC 791's procedure cuts a fragment again the same way: the offsets go
 * on from its own (185 units: 1480 bytes), and as it was not the last,
 * none of its pieces is: 552 + 552 + 376 bytes at 185, 254 and 323, all
 * with More Fragments. */
static void a_fragment_cut_again(void **state)
{
    (void)state;
    static uint8_t datagram[1500] = {0x45, 0, 0x05, 0xdc, 0xab, 0xcd, 0x20, 185, 64, 1, 0, 0,
                                     198, 51, 100, 1, 198, 51, 100, 2};
    struct cut ours = {0};

    write_be16(datagram + 10, inet_checksum(datagram, 20));
    assert_int_equal(ipv4_fragment(datagram, 1500, 576, keep, &ours), 3);
    const size_t data[] = {552, 552, 376}, offsets[] = {185, 254, 323};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ours.len[i], 20 + data[i]);
        assert_int_equal(read_be16(ours.fragment[i] + 6), 0x2000 | offsets[i]);
    }
    free_cut(&ours);
}

/* Which options the later fragments keep (RFC 791: the copy flag, the top
 * bit of the type). Linux's ip_options_fragment() stops at End of Options,
 * and at a length that cannot be, leaving the rest as it was. */
static void options_of_later_fragments(void **state)
{
    (void)state;
    /* Record Route (7), Security (0x82, copied), a NOP, Timestamp (68),
     * Router Alert (0x94, copied), End, then bytes after the end. */
    uint8_t options[] = {7, 7, 4, 0, 0, 0, 0,  0x82, 3, 9,  1,  68, 8, 5, 0, 1, 2, 3, 4,
                         0x94, 4, 0, 0,  0,  7, 3, 4};
    const uint8_t expected[] = {1, 1, 1, 1, 1, 1, 1,  0x82, 3, 9,  1,  1, 1, 1, 1, 1, 1, 1, 1,
                                0x94, 4, 0, 0,  0,  7, 3, 4};
    ipv4_options_for_later_fragments(options, sizeof options);
    assert_memory_equal(options, expected, sizeof expected);

    /* A length of 1, which cannot be: Linux stops there, Record Route kept. */
    uint8_t bad[] = {0x83, 1, 7, 3, 4, 0, 0, 0};
    const uint8_t bad_kept[] = {0x83, 1, 7, 3, 4, 0, 0, 0};
    ipv4_options_for_later_fragments(bad, sizeof bad);
    assert_memory_equal(bad, bad_kept, sizeof bad);
    /* A length past the end: the same. */
    uint8_t long_one[] = {7, 9, 4, 0};
    ipv4_options_for_later_fragments(long_one, sizeof long_one);
    assert_int_equal(long_one[0], 7);
}

/* ---- IPv6 (ipv6_fragment) ----------------------------------------------------- */

/* The test's own reassembly of the kernel's IPv6 fragments (RFC 8200 4.5):
 * the kernel's replies carry no extension header, so the unfragmentable
 * part is the 40-byte header, whose next header is the Fragment header's;
 * each fragment's data at its offset. Sets *id to the identification the
 * kernel chose; returns the packet's length. */
static size_t put_together6(const struct fixture_packets *kernel, uint8_t *whole, uint32_t *id)
{
    size_t end = 0;

    memcpy(whole, kernel->packet[0], 40);
    whole[6] = kernel->packet[0][40];
    *id = read_be32(kernel->packet[0] + 44);
    for (size_t i = 0; i < kernel->count; i++) {
        const uint8_t *f = kernel->packet[i];
        assert_int_equal(f[6], 44);
        size_t at = 40 + (read_be16(f + 42) & 0xfff8), data = kernel->len[i] - 48;
        memcpy(whole + at, f + 48, data);
        if (at + data > end)
            end = at + data;
    }
    write_be16(whole + 4, (uint16_t)(end - 40));
    return end;
}

static void cut6_like_the_kernel(const char *fixture, unsigned mtu)
{
    static uint8_t whole[TEST_MAX_PACKET + 40];
    struct fixture_packets kernel;
    struct cut ours = {0};
    uint32_t id;

    load_fixture_packets(fixture, &kernel);
    size_t len = put_together6(&kernel, whole, &id);
    size_t count = ipv6_fragment(whole, len, mtu, id, keep, &ours);
    if (count != kernel.count || ours.count != kernel.count)
        fail_msg("%s: the kernel sent %zu fragments, ipv6_fragment() returned %zu and sent %zu",
                 fixture, kernel.count, count, ours.count);
    for (size_t i = 0; i < kernel.count; i++) {
        if (ours.len[i] != kernel.len[i])
            fail_msg("%s: fragment %zu: the kernel's has %zu bytes, ours %zu", fixture, i + 1,
                     kernel.len[i], ours.len[i]);
        assert_true(ours.len[i] <= mtu);
        assert_packet_equal(kernel.packet[i], ours.fragment[i], kernel.len[i]);
    }
    free_cut(&ours);
    free_fixture_packets(&kernel);
}

/* The kernel's own echo replies to `ping -6 -s 4000` and `-s 65000`
 * (scripts/capture-fragment-fixtures6.sh): 4048 bytes of ICMPv6 go as
 * 1448 + 1448 + 1112 through MTU 1500 (1500 - 40 - 8 = 1452, cut to a
 * multiple of 8), 1232 each but the last through 1280. */
static void echo6_4000_mtu_1500(void **state)
{
    (void)state;
    cut6_like_the_kernel("fragments/echo6-4000-mtu1500.kernel.pcap", 1500);
}

static void echo6_4000_mtu_1280(void **state)
{
    (void)state;
    cut6_like_the_kernel("fragments/echo6-4000-mtu1280.kernel.pcap", 1280);
}

static void echo6_65000_mtu_1500(void **state)
{
    (void)state;
    cut6_like_the_kernel("fragments/echo6-65000-mtu1500.kernel.pcap", 1500);
}

static void echo6_65000_mtu_1280(void **state)
{
    (void)state;
    cut6_like_the_kernel("fragments/echo6-65000-mtu1280.kernel.pcap", 1280);
}

/* `ping -6 -s 1452`: 1500 bytes, the kernel's reply goes whole through MTU
 * 1500 and in two through 1280. */
static void echo6_1452(void **state)
{
    (void)state;
    cut6_like_the_kernel("fragments/echo6-1452-mtu1280.kernel.pcap", 1280);
    struct fixture_packets kernel;
    struct cut ours = {0};
    load_fixture_packets("fragments/echo6-1452-mtu1500.kernel.pcap", &kernel);
    assert_int_equal(kernel.count, 1);
    assert_int_equal(ipv6_fragment(kernel.packet[0], kernel.len[0], 1500, 1, keep, &ours), 1);
    assert_int_equal(ours.len[0], kernel.len[0]);
    assert_packet_equal(kernel.packet[0], ours.fragment[0], kernel.len[0]);
    free_cut(&ours);
    free_fixture_packets(&kernel);
}

static void count_only(void *context, const uint8_t *fragment, size_t len)
{
    (void)fragment;
    assert_true(len <= 64);
    ++*(size_t *)context;
}

/* A hop-by-hop header is unfragmentable (RFC 8200 4.5; Linux's
 * ip6_find_1stfragopt): every fragment repeats it, and its next header
 * becomes 44. Worked by hand: 40 + 8 of headers and 8 of Fragment header
 * leave 1224 bytes of the 1280, a multiple of 8; 3000 bytes of ICMPv6 go
 * as 1224 + 1224 + 552. An MTU with no room for 8 bytes of data cuts
 * nothing. */
static void hop_by_hop_stays_in_every_fragment(void **state)
{
    (void)state;
    static uint8_t packet6[40 + 8 + 3000];
    struct cut ours = {0};
    memset(packet6, 0, sizeof packet6);
    packet6[0] = 0x60;
    write_be16(packet6 + 4, 8 + 3000);
    packet6[6] = 0;                               /* hop-by-hop */
    packet6[7] = 64;
    packet6[40] = 58;                             /* then ICMPv6 */
    packet6[42] = 1;                              /* PadN of 4 */
    packet6[43] = 4;
    for (size_t i = 0; i < 3000; i++)
        packet6[48 + i] = (uint8_t)i;
    assert_int_equal(ipv6_fragment(packet6, sizeof packet6, 1280, 0xabcdef01, keep, &ours), 3);
    const size_t data[3] = {1224, 1224, 552};
    for (size_t i = 0; i < 3; i++) {
        const uint8_t *f = ours.fragment[i];
        assert_int_equal(ours.len[i], 56 + data[i]);
        assert_int_equal(read_be16(f + 4), 16 + data[i]);
        assert_int_equal(f[6], 0);
        assert_int_equal(f[40], 44);               /* hop-by-hop names the Fragment header */
        assert_memory_equal(f + 41, packet6 + 41, 7);
        assert_int_equal(f[48], 58);               /* which names ICMPv6 */
        assert_int_equal(f[49], 0);
        assert_int_equal(read_be16(f + 50), i * 1224 | (i < 2));
        assert_int_equal(read_be32(f + 52), 0xabcdef01);
        assert_memory_equal(f + 56, packet6 + 48 + i * 1224, data[i]);
    }
    free_cut(&ours);
    assert_int_equal(ipv6_fragment(packet6, sizeof packet6, 40 + 8 + 8 + 7, 1, keep, &ours), 0);
    assert_int_equal(ours.count, 0);
    size_t sent = 0;
    assert_int_equal(ipv6_fragment(packet6, sizeof packet6, 40 + 8 + 8 + 8, 1, count_only, &sent),
                     375);                          /* 3000 / 8 */
    assert_int_equal(sent, 375);
}

/* Linux's ICMP send buffer (measured by tests/e2e/test_tiny_mtu.sh against
 * the kernel's own replies at MTU 68): 318 fragments of 68 bytes go out, 319
 * do not, whether the header is 60 bytes (Record Route, 8 bytes of data a
 * fragment) or 20 (48 bytes); at MTU 576 and 1500 the largest datagram
 * fits. Only the header length byte matters here. */
static void icmp_send_buffer_like_linux(void **state)
{
    (void)state;
    uint8_t with_rr[1] = {0x4f}, plain[1] = {0x45};
    size_t charge;
    assert_true(ipv4_fits_icmp_send_buffer(with_rr, 60 + 318 * 8, 68, &charge));
    assert_false(ipv4_fits_icmp_send_buffer(with_rr, 60 + 318 * 8 + 1, 68, &charge));
    assert_true(ipv4_fits_icmp_send_buffer(plain, 20 + 318 * 48, 68, &charge));
    assert_false(ipv4_fits_icmp_send_buffer(plain, 20 + 318 * 48 + 1, 68, &charge));
    assert_true(ipv4_fits_icmp_send_buffer(plain, 65535, 576, &charge));
    assert_true(ipv4_fits_icmp_send_buffer(with_rr, 65535, 1500, &charge));
    assert_true(ipv4_fits_icmp_send_buffer(plain, 1500, 1500, &charge));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_reply_mtu_1500),
        cmocka_unit_test(echo_reply_mtu_576),
        cmocka_unit_test(record_route_reply_mtu_1500),
        cmocka_unit_test(record_route_reply_mtu_576),
        cmocka_unit_test(what_fits_goes_as_it_is),
        cmocka_unit_test(smallest_mtu),
        cmocka_unit_test(a_fragment_cut_again),
        cmocka_unit_test(options_of_later_fragments),
        cmocka_unit_test(echo6_4000_mtu_1500),
        cmocka_unit_test(echo6_4000_mtu_1280),
        cmocka_unit_test(echo6_65000_mtu_1500),
        cmocka_unit_test(echo6_65000_mtu_1280),
        cmocka_unit_test(echo6_1452),
        cmocka_unit_test(hop_by_hop_stays_in_every_fragment),
        cmocka_unit_test(icmp_send_buffer_like_linux),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
