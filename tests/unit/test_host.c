/* A host's addresses (common/host.c): what --address accepts and refuses,
 * with the one sentence each refusal says, and what an address is to the
 * host. The expected values are RFC arithmetic, worked out in the comments:
 * a subnet's mask has prefix_len ones, its number is address & mask, its
 * broadcast address is address | ~mask (RFC 919, RFC 922), and a /31 has
 * no broadcast address at all (RFC 3021). */
#include "support.h"

#include <arpa/inet.h>

#include "host.h"

static struct host host;
static char why[512];

static int add(const char *text)
{
    why[0] = '\0';
    return host_add_address(&host, text, why, sizeof why);
}

static int fresh(void **state)
{
    (void)state;
    memset(&host, 0, sizeof host);
    return 0;
}

static void assert_added(const char *text, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                         unsigned prefix_len)
{
    const uint8_t want[4] = {a, b, c, d};
    size_t before = host.count;

    if (add(text) != 0)
        fail_msg("'%s' was refused: %s", text, why);
    assert_int_equal(host.count, before + 1);
    assert_memory_equal(host.addresses[before].address, want, 4);
    assert_int_equal(host.addresses[before].prefix_len, prefix_len);
}

static void assert_refused(const char *text, const char *sentence)
{
    size_t before = host.count;

    if (add(text) != -1)
        fail_msg("'%s' was accepted", text);
    assert_string_equal(why, sentence);
    assert_int_equal(host.count, before);
}

static void the_forms_it_accepts(void **state)
{
    (void)state;
    assert_added("192.0.2.2/24", 192, 0, 2, 2, 24);
    assert_added("198.51.100.7/24", 198, 51, 100, 7, 24);
    assert_added("192.0.2.9", 192, 0, 2, 9, 32);            /* no "/N": a /32 */
    assert_added("192.0.2.10/32", 192, 0, 2, 10, 32);
    assert_added("255.255.255.254/31", 255, 255, 255, 254, 31);
    assert_added("1.2.3.4/0", 1, 2, 3, 4, 0);                /* every address on-link */
    assert_added("240.0.0.1/8", 240, 0, 0, 1, 8);            /* class E: Linux allows it */
}

static const char NOT_AN_ADDRESS[] = "' is not an IPv4 address with a prefix length: write it "
                                     "as --address 192.0.2.2/24.";

static void assert_not_an_address(const char *text)
{
    char sentence[256];
    snprintf(sentence, sizeof sentence, "'%s%s", text, NOT_AN_ADDRESS);
    assert_refused(text, sentence);
}

/* Four decimal numbers of one to three digits, each at most 255, and a
 * prefix length of 0 to 32, with nothing before, between or after. A
 * leading zero is refused: inet_aton() (and so ping) reads 010 as octal 8. */
static void malformed_text_is_refused(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "", "192.0.2", "192.0.2.2.", "192.0.2.2.1", "192.0.2.256", "192.0.2.1000",
        "192.0.2.2/", "192.0.2.2/33", "192.0.2.2/100", "192.0.2.2/-1", "192.0.2.2/24/24",
        "192.0.2.2 /24", " 192.0.2.2", "192.0.2.2/24 ", "192.0..2", "a.b.c.d", "0x7f.0.0.1",
        "192.0.2.2/2a", "192.0.2.-2", "192.0.2.02", "010.0.0.1", "192.0.2.2/024",
        "192.0.2.2/+24",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        assert_not_an_address(BAD[i]);
}

/* RFC 1122 3.2.1.3's addresses that no host has. */
static void addresses_no_host_may_have(void **state)
{
    (void)state;
    assert_refused("0.0.0.0/24", "--address 0.0.0.0/24 is in 0.0.0.0/8 (this network), which "
                   "no host may have: choose a unicast address, for example 192.0.2.2/24.");
    assert_refused("0.1.2.3/8", "--address 0.1.2.3/8 is in 0.0.0.0/8 (this network), which "
                   "no host may have: choose a unicast address, for example 192.0.2.2/24.");
    assert_refused("127.0.0.1/8", "--address 127.0.0.1/8 is a loopback address, which no "
                   "host may have: choose a unicast address, for example 192.0.2.2/24.");
    assert_refused("224.0.0.1", "--address 224.0.0.1 is a multicast address, which no host "
                   "may have: choose a unicast address, for example 192.0.2.2/24.");
    assert_refused("239.255.255.255/24", "--address 239.255.255.255/24 is a multicast "
                   "address, which no host may have: choose a unicast address, for example "
                   "192.0.2.2/24.");
    assert_refused("255.255.255.255/32", "--address 255.255.255.255/32 is the limited "
                   "broadcast address, which no host may have: choose a unicast address, for "
                   "example 192.0.2.2/24.");
}

/* A subnet's number (address & mask) and its broadcast (address | ~mask)
 * are the subnet's, not a host's: 192.0.2.0 and 192.0.2.255 in a /24;
 * in a /30 from 192.0.2.4, 192.0.2.4 and 192.0.2.7 (4 | 3). */
static void a_subnets_number_and_broadcast_are_refused(void **state)
{
    (void)state;
    assert_refused("192.0.2.0/24", "--address 192.0.2.0/24 is the number of its subnet, not a "
                   "host's address: choose another, for example 192.0.2.2/24.");
    assert_refused("192.0.2.255/24", "--address 192.0.2.255/24 is the broadcast address of its "
                   "subnet, not a host's address: choose another, for example 192.0.2.2/24.");
    assert_refused("192.0.2.4/30", "--address 192.0.2.4/30 is the number of its subnet, not a "
                   "host's address: choose another, for example 192.0.2.2/24.");
    assert_refused("192.0.2.7/30", "--address 192.0.2.7/30 is the broadcast address of its "
                   "subnet, not a host's address: choose another, for example 192.0.2.2/24.");
    /* Where the mask puts them elsewhere, they are a host's: in 192.0.2.0/23
     * (mask 255.255.254.0) the number is 192.0.2.0 and the broadcast
     * 192.0.3.255 (2 | 1 in the third byte), so 192.0.2.255 and 192.0.3.0
     * are hosts'. */
    assert_refused("192.0.2.0/23", "--address 192.0.2.0/23 is the number of its subnet, not a "
                   "host's address: choose another, for example 192.0.2.2/24.");
    assert_added("192.0.2.255/23", 192, 0, 2, 255, 23);
    assert_added("192.0.3.0/23", 192, 0, 3, 0, 23);
}

/* RFC 3021: both addresses of a /31 are hosts', and a /32 is one host:
 * neither has a number or a broadcast address to refuse. */
static void a_31_and_a_32_have_no_broadcast(void **state)
{
    (void)state;
    assert_added("192.0.2.0/31", 192, 0, 2, 0, 31);
    assert_added("192.0.2.1/31", 192, 0, 2, 1, 31);
    assert_added("192.0.2.255/32", 192, 0, 2, 255, 32);
    assert_added("192.0.2.4", 192, 0, 2, 4, 32);

    uint8_t broadcast[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < host.count; i++)
        assert_int_equal(host_subnet_broadcast(&host.addresses[i], broadcast), 0);
    const uint8_t untouched[4] = {1, 2, 3, 4};
    assert_memory_equal(broadcast, untouched, 4);
}

/* address | ~mask, worked out: ~mask of a /24 is 0.0.0.255, of a /25
 * 0.0.0.127, of a /30 0.0.0.3, of a /16 0.0.255.255, of a /0 all ones. */
static void assert_broadcast(const char *text, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    const uint8_t want[4] = {a, b, c, d};
    uint8_t got[4];

    memset(&host, 0, sizeof host);
    if (add(text) != 0)
        fail_msg("'%s' was refused: %s", text, why);
    assert_int_equal(host_subnet_broadcast(&host.addresses[0], got), 1);
    assert_memory_equal(got, want, 4);
}

static void the_broadcast_is_address_or_not_mask(void **state)
{
    (void)state;
    assert_broadcast("192.0.2.2/24", 192, 0, 2, 255);
    assert_broadcast("198.51.100.7/25", 198, 51, 100, 127);      /* 7 | 127 */
    assert_broadcast("198.51.100.130/25", 198, 51, 100, 255);    /* 130 | 127 */
    assert_broadcast("192.0.2.5/30", 192, 0, 2, 7);              /* 5 | 3 */
    assert_broadcast("192.0.2.2/16", 192, 0, 255, 255);
    assert_broadcast("192.0.2.2/1", 255, 255, 255, 255);         /* 192 | 127 */
    assert_broadcast("1.2.3.4/0", 255, 255, 255, 255);
}

/* The lab's tun0 is 192.0.2.1/24 on the kernel's side: the default must be
 * another host of that subnet, accepted as it stands. */
static void the_default_is_the_labs_address(void **state)
{
    (void)state;
    assert_string_equal(HOST_DEFAULT_ADDRESS, "192.0.2.2/24");
    assert_added(HOST_DEFAULT_ADDRESS, 192, 0, 2, 2, 24);
    /* Tests and the runner pass no room for a reason when it cannot fail. */
    assert_int_equal(host_add_address(&host, "198.51.100.7/24", NULL, 0), 0);
    assert_int_equal(host.count, 2);
}

/* The same address twice is a mistake whatever the prefix lengths say. */
static void an_address_given_twice_is_refused(void **state)
{
    (void)state;
    assert_added("192.0.2.2/24", 192, 0, 2, 2, 24);
    assert_refused("192.0.2.2/24", "--address 192.0.2.2/24 is given twice: give each address "
                   "once.");
    assert_refused("192.0.2.2/25", "--address 192.0.2.2/25 is given twice: give each address "
                   "once.");
    assert_refused("192.0.2.2", "--address 192.0.2.2 is given twice: give each address once.");
}

static void eight_addresses_and_no_more(void **state)
{
    (void)state;
    char text[32];

    assert_int_equal(HOST_MAX_ADDRESSES, 8);
    for (int i = 0; i < 8; i++) {
        snprintf(text, sizeof text, "192.0.2.%d/24", 10 + i);
        assert_added(text, 192, 0, 2, (uint8_t)(10 + i), 24);
    }
    assert_refused("192.0.2.18/24", "--address 192.0.2.18/24 is one too many: a host here has "
                   "at most 8 addresses.");
    assert_int_equal(host.count, 8);
}

static enum host_address_kind classify(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    const uint8_t address[4] = {a, b, c, d};
    return host_classify(&host, address);
}

/* Two addresses, as a step gets from --address 192.0.2.2/24 --address
 * 198.51.100.7/24. */
static void what_an_address_is_to_the_host(void **state)
{
    (void)state;
    assert_added("192.0.2.2/24", 192, 0, 2, 2, 24);
    assert_added("198.51.100.7/24", 198, 51, 100, 7, 24);

    assert_int_equal(classify(192, 0, 2, 2), HOST_OWN);
    assert_int_equal(classify(198, 51, 100, 7), HOST_OWN);
    assert_int_equal(classify(192, 0, 2, 255), HOST_BROADCAST);     /* 192.0.2.2 | 0.0.0.255 */
    assert_int_equal(classify(198, 51, 100, 255), HOST_BROADCAST);
    assert_int_equal(classify(255, 255, 255, 255), HOST_BROADCAST); /* limited broadcast */
    assert_int_equal(classify(192, 0, 2, 1), HOST_OTHER);           /* the peer */
    assert_int_equal(classify(192, 0, 2, 77), HOST_OTHER);          /* another host */
    assert_int_equal(classify(192, 0, 2, 0), HOST_OTHER);           /* the subnet's number */
    assert_int_equal(classify(198, 51, 100, 2), HOST_OTHER);
    assert_int_equal(classify(192, 0, 2, 3), HOST_OTHER);
    assert_int_equal(classify(192, 0, 3, 255), HOST_OTHER);         /* another subnet's */
    assert_int_equal(classify(224, 0, 0, 1), HOST_OTHER);           /* multicast: the step's rung */
}

/* No addresses: only the limited broadcast is special. A /31 has no
 * broadcast, so its other address is the peer's (RFC 3021); a /0's
 * broadcast is the limited broadcast. */
static void classify_without_a_broadcast(void **state)
{
    (void)state;
    assert_int_equal(classify(255, 255, 255, 255), HOST_BROADCAST);
    assert_int_equal(classify(192, 0, 2, 2), HOST_OTHER);

    assert_added("192.0.2.0/31", 192, 0, 2, 0, 31);
    assert_int_equal(classify(192, 0, 2, 0), HOST_OWN);
    assert_int_equal(classify(192, 0, 2, 1), HOST_OTHER);
    assert_int_equal(classify(192, 0, 2, 255), HOST_OTHER);

    assert_added("192.0.2.9/32", 192, 0, 2, 9, 32);
    assert_int_equal(classify(192, 0, 2, 9), HOST_OWN);
    assert_int_equal(classify(192, 0, 2, 10), HOST_OTHER);
}

/* An address of our own is our own, whichever order the addresses were
 * given in, even where it is also another subnet's broadcast: 192.0.2.255/31
 * is a host's (a /31 has none), and the last address of 192.0.2.0/24. */
static void our_own_address_wins_in_any_order(void **state)
{
    (void)state;
    assert_added("192.0.2.2/24", 192, 0, 2, 2, 24);
    assert_added("192.0.2.255/31", 192, 0, 2, 255, 31);
    assert_int_equal(classify(192, 0, 2, 255), HOST_OWN);

    memset(&host, 0, sizeof host);
    assert_added("192.0.2.255/31", 192, 0, 2, 255, 31);
    assert_added("192.0.2.2/24", 192, 0, 2, 2, 24);
    assert_int_equal(classify(192, 0, 2, 255), HOST_OWN);
}

/* ---- IPv6 ----------------------------------------------------------------
 * What ping -6 reads an address as is what glibc's inet_pton(AF_INET6)
 * reads it as (getaddrinfo with a numeric host): the independent reference
 * for every form. An address the host accepts must mean the same bytes to
 * inet_pton; one that inet_pton refuses, the host must refuse too. */

static int add6(const char *text)
{
    why[0] = '\0';
    return host_add_address6(&host, text, why, sizeof why);
}

static void assert_parsed_as_inet_pton(const char *address_text)
{
    uint8_t ours[16], theirs[16];

    if (host_parse_ipv6(address_text, ours) != 0)
        fail_msg("'%s' was refused", address_text);
    assert_int_equal(inet_pton(AF_INET6, address_text, theirs), 1);
    assert_memory_equal(ours, theirs, 16);
}

/* RFC 4291 2.2's three forms, each with an example of the RFC's own. */
static void ipv6_text_forms_mean_what_inet_pton_says(void **state)
{
    (void)state;
    static const char *const GOOD[] = {
        "2001:DB8:0:0:8:800:200C:417A",     /* 2.2 (1): the full form */
        "FF01:0:0:0:0:0:0:101", "0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:0",
        "2001:DB8::8:800:200C:417A",        /* 2.2 (2): "::" */
        "FF01::101", "::1", "::", "2001:db8::", "2001:db8::2", "fe80::1", "ff02::1:ff00:2",
        "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6::8",
        "0:0:0:0:0:0:13.1.68.3",            /* 2.2 (3): a dotted quad last */
        "0:0:0:0:0:FFFF:129.144.52.38", "::13.1.68.3", "::FFFF:129.144.52.38",
        "2001:db8:0:0:0:0:192.0.2.1", "0001:0db8::00aa",
    };
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++)
        assert_parsed_as_inet_pton(GOOD[i]);
}

/* Refused by both: the host says why in one sentence. Some inet_pton takes
 * and the host refuses on purpose are below. */
static void malformed_ipv6_text_is_refused(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::2", "1::2:",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::1", "g::1", "1:2:3:4:5:6:7:8:",
        "::1.2.3", "::1.2.3.4.5", "::256.1.1.1", "::1.2.3.4:5", "1.2.3.4", " ::1", "::1 ",
        "2001:db8::2%tun0", "[2001:db8::2]", "2001:db8::-2", "2001:db8::+2",
        "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::7:1.2.3.4",
    };
    uint8_t bytes[16];
    char sentence[256];
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        if (host_parse_ipv6(BAD[i], bytes) != -1)
            fail_msg("'%s' was accepted", BAD[i]);
        if (strchr(BAD[i], '%') == NULL && strchr(BAD[i], '[') == NULL)
            assert_int_equal(inet_pton(AF_INET6, BAD[i], bytes), 0);
        assert_int_equal(add6(BAD[i]), -1);
        snprintf(sentence, sizeof sentence, "'%s' is not an IPv6 address with a prefix length: "
                 "write it as --address 2001:db8::2/64.", BAD[i]);
        assert_string_equal(why, sentence);
    }
    /* A leading zero in the dotted quad: glibc refuses it too (inet_aton
     * would read 010 as octal, and the host reads no number two ways). */
    assert_int_equal(host_parse_ipv6("::ffff:192.0.2.010", bytes), -1);
    assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.010", bytes), 0);
    /* A zone ("%tun0") is ping's, for a link-local peer; an address of the
     * host has none. */
    assert_int_equal(add6("fe80::2%tun0/64"), -1);
}

static void ipv6_prefix_lengths(void **state)
{
    (void)state;
    static const uint8_t LAB[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

    assert_int_equal(add6("2001:db8::2/64"), 0);
    assert_memory_equal(host.addresses6[0].address, LAB, 16);
    assert_int_equal(host.addresses6[0].prefix_len, 64);
    assert_int_equal(add6("2001:db8::3"), 0);               /* no "/N": a /128 */
    assert_int_equal(host.addresses6[1].prefix_len, 128);
    assert_int_equal(add6("2001:db8::4/128"), 0);
    assert_int_equal(add6("2001:db8::5/0"), 0);
    assert_int_equal(host.count6, 4);
    assert_int_equal(host.count, 0);                        /* IPv4 untouched */
    static const char *const BAD[] = {
        "2001:db8::6/129", "2001:db8::6/", "2001:db8::6/064", "2001:db8::6/64/64",
        "2001:db8::6/-1", "2001:db8::6/6a", "/64",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        assert_int_equal(add6(BAD[i]), -1);
    assert_int_equal(host.count6, 4);
}

static void ipv6_addresses_no_host_may_have(void **state)
{
    (void)state;
    assert_int_equal(add6("::/64"), -1);
    assert_string_equal(why, "--address ::/64 is the unspecified address, which no host may "
                        "have: choose a unicast address, for example 2001:db8::2/64.");
    assert_int_equal(add6("::1/128"), -1);
    assert_string_equal(why, "--address ::1/128 is the loopback address, which no host may "
                        "have: choose a unicast address, for example 2001:db8::2/64.");
    assert_int_equal(add6("ff02::1"), -1);
    assert_string_equal(why, "--address ff02::1 is a multicast address, which no host may have: "
                        "choose a unicast address, for example 2001:db8::2/64.");
    assert_int_equal(add6("::ffff:192.0.2.2/96"), -1);
    assert_string_equal(why, "--address ::ffff:192.0.2.2/96 is an IPv4-mapped address, which no "
                        "host may have: choose a unicast address, for example 2001:db8::2/64.");
    assert_int_equal(add6("2001:db8::2/64"), 0);
    assert_int_equal(add6("2001:db8:0::2/48"), -1);
    assert_string_equal(why, "--address 2001:db8:0::2/48 is given twice: give each address once.");
    assert_int_equal(add6("fe80::2/64"), 0);                /* link-local: a host's */
    for (int i = 0; i < 6; i++) {
        char text[32];
        snprintf(text, sizeof text, "2001:db8::%d/64", 10 + i);
        assert_int_equal(add6(text), 0);
    }
    assert_int_equal(add6("2001:db8::99/64"), -1);
    assert_string_equal(why, "--address 2001:db8::99/64 is one too many: a host here has at "
                        "most 8 IPv6 addresses.");
}

static void the_ipv6_default_is_the_labs(void **state)
{
    (void)state;
    assert_string_equal(HOST_DEFAULT_ADDRESS6, "2001:db8::2/64");
    assert_int_equal(add6(HOST_DEFAULT_ADDRESS6), 0);
}

static enum host_address6_kind classify6(const char *text)
{
    uint8_t address[16];
    assert_int_equal(inet_pton(AF_INET6, text, address), 1);
    return host_classify6(&host, address);
}

/* RFC 4291 2.7.1: the solicited-node group is ff02:0:0:0:0:1:ff00::/104
 * and the address's low 24 bits: 2001:db8::2 -> ff02::1:ff00:2,
 * fe80::9dcd:18b0:e4d:b576 -> ff02::1:ff4d:b576 (0x0e4d's low byte 4d,
 * then b576). Linux joins them, and ff02::1, on every interface. */
static void ipv6_groups_and_what_an_address_is(void **state)
{
    (void)state;
    uint8_t group[16], want[16], address[16];

    assert_int_equal(inet_pton(AF_INET6, "fe80::9dcd:18b0:e4d:b576", address), 1);
    host_solicited_node(address, group);
    assert_int_equal(inet_pton(AF_INET6, "ff02::1:ff4d:b576", want), 1);
    assert_memory_equal(group, want, 16);

    assert_int_equal(add6("2001:db8::2/64"), 0);
    assert_int_equal(add6("2001:db8::1:abcd:ef01/64"), 0);
    assert_int_equal(classify6("2001:db8::2"), HOST6_OWN);
    assert_int_equal(classify6("2001:db8::1:abcd:ef01"), HOST6_OWN);
    assert_int_equal(classify6("2001:db8::1"), HOST6_OTHER);        /* the peer */
    assert_int_equal(classify6("2001:db8:1::2"), HOST6_OTHER);
    assert_int_equal(classify6("ff02::1"), HOST6_MULTICAST_MEMBER);
    assert_int_equal(classify6("ff02::1:ff00:2"), HOST6_MULTICAST_MEMBER);
    assert_int_equal(classify6("ff02::1:ffcd:ef01"), HOST6_MULTICAST_MEMBER);
    assert_int_equal(classify6("ff02::1:ff00:3"), HOST6_MULTICAST_OTHER);
    assert_int_equal(classify6("ff02::2"), HOST6_MULTICAST_OTHER);  /* all routers */
    assert_int_equal(classify6("ff01::1"), HOST6_MULTICAST_OTHER);  /* interface-local */
    assert_int_equal(classify6("ff05::1"), HOST6_MULTICAST_OTHER);
    assert_int_equal(classify6("ff02::16"), HOST6_MULTICAST_OTHER); /* MLDv2 routers */
}

/* The kernel's choice, measured (tests/fixtures/ipv6/kernel-replies:
 * ipv6-multicast and ipv6-echo-multicast-link-local, to ff02::1 on a tun
 * owning 2001:db8:1::1/64 and fe80::1/64): a global peer got its reply from
 * the global address, a link-local peer from the link-local one. */
static void the_source_of_an_answer_to_a_group(void **state)
{
    (void)state;
    uint8_t to[16] = {0}, want[16];

    assert_null(host_source6_for(&host, to));
    assert_int_equal(add6("2001:db8:1::1/64"), 0);
    assert_int_equal(add6("fe80::1/64"), 0);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::2", to), 1);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::1", want), 1);
    assert_memory_equal(host_source6_for(&host, to), want, 16);
    assert_int_equal(inet_pton(AF_INET6, "fe80::2", to), 1);
    assert_int_equal(inet_pton(AF_INET6, "fe80::1", want), 1);
    assert_memory_equal(host_source6_for(&host, to), want, 16);
    /* Of two global ones, the longer common prefix (RFC 6724 rule 8). */
    assert_int_equal(add6("2001:db8:2::1/64"), 0);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::9", to), 1);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:2::1", want), 1);
    assert_memory_equal(host_source6_for(&host, to), want, 16);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, fresh)
    const struct CMUnitTest tests[] = {
        T(the_forms_it_accepts),
        T(malformed_text_is_refused),
        T(addresses_no_host_may_have),
        T(a_subnets_number_and_broadcast_are_refused),
        T(a_31_and_a_32_have_no_broadcast),
        T(the_broadcast_is_address_or_not_mask),
        T(the_default_is_the_labs_address),
        T(an_address_given_twice_is_refused),
        T(eight_addresses_and_no_more),
        T(what_an_address_is_to_the_host),
        T(classify_without_a_broadcast),
        T(our_own_address_wins_in_any_order),
        T(ipv6_text_forms_mean_what_inet_pton_says),
        T(malformed_ipv6_text_is_refused),
        T(ipv6_prefix_lengths),
        T(ipv6_addresses_no_host_may_have),
        T(the_ipv6_default_is_the_labs),
        T(ipv6_groups_and_what_an_address_is),
        T(the_source_of_an_answer_to_a_group),
    };
#undef T
    return cmocka_run_group_tests_name("common/host.c", tests, NULL, NULL);
}
