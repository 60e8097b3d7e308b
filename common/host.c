#include "host.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "ipv6.h"

static uint32_t netmask(unsigned prefix_len)
{
    return prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);
}

/* A decimal number of one to three digits at *c, at most `max`, without a
 * leading zero: inet_aton(), and so ping, reads "010" as octal 8, and an
 * address that means one thing here and another to ping is refused. */
static int parse_number(const char **c, unsigned max, unsigned *value)
{
    const char *start = *c;

    *value = 0;
    while (**c >= '0' && **c <= '9' && *c - start < 4)
        *value = *value * 10 + (unsigned)(*(*c)++ - '0');
    size_t digits = (size_t)(*c - start);
    if (digits == 0 || digits > 3 || *value > max || (digits > 1 && *start == '0'))
        return -1;
    return 0;
}

/* "192.0.2.2/24" into `a`, strictly: four decimal numbers of at most three
 * digits and at most 255, and a prefix length from 0 to 32. inet_pton()
 * would do the address, but it says nothing about what was wrong. */
static int parse_address(const char *text, struct host_address *a)
{
    const char *c = text;
    unsigned value;

    for (int i = 0; i < 4; i++) {
        if (parse_number(&c, 255, &value) < 0)
            return -1;
        a->address[i] = (uint8_t)value;
        if (i < 3 && *c++ != '.')
            return -1;
    }
    a->prefix_len = 32;
    if (*c == '\0')
        return 0;
    if (*c++ != '/' || parse_number(&c, 32, &value) < 0 || *c != '\0')
        return -1;
    a->prefix_len = value;
    return 0;
}

/* Linux's martians (ip_route_input_slow): an address no interface may be
 * given, because a packet from it could not be told apart from one that
 * was never meant to leave a host. */
static const char *not_assignable(const uint8_t a[4])
{
    if (a[0] == 0)
        return "is in 0.0.0.0/8 (this network)";
    if (a[0] == 127)
        return "is a loopback address";
    if (a[0] >= 224 && a[0] <= 239)
        return "is a multicast address";
    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
        return "is the limited broadcast address";
    return NULL;
}

int host_add_address(struct host *host, const char *text, char *why, size_t why_len)
{
    struct host_address a;

    if (parse_address(text, &a) < 0) {
        snprintf(why, why_len, "'%s' is not an IPv4 address with a prefix length: write it as "
                 "--address 192.0.2.2/24.", text);
        return -1;
    }
    const char *problem = not_assignable(a.address);
    if (problem) {
        snprintf(why, why_len, "--address %s %s, which no host may have: choose a unicast "
                 "address, for example 192.0.2.2/24.", text, problem);
        return -1;
    }
    uint8_t broadcast[4];
    uint32_t host_part = read_be32(a.address) & ~netmask(a.prefix_len);
    if (host_subnet_broadcast(&a, broadcast) &&
        (host_part == 0 || memcmp(broadcast, a.address, 4) == 0)) {
        snprintf(why, why_len, "--address %s is the %s of its subnet, not a host's address: "
                 "choose another, for example 192.0.2.2/24.", text,
                 host_part == 0 ? "number" : "broadcast address");
        return -1;
    }
    for (size_t i = 0; i < host->count; i++)
        if (memcmp(host->addresses[i].address, a.address, 4) == 0) {
            snprintf(why, why_len, "--address %s is given twice: give each address once.",
                     text);
            return -1;
        }
    if (host->count == HOST_MAX_ADDRESSES) {
        snprintf(why, why_len, "--address %s is one too many: a host here has at most %d "
                 "addresses.", text, HOST_MAX_ADDRESSES);
        return -1;
    }
    host->addresses[host->count++] = a;
    return 0;
}

int host_subnet_broadcast(const struct host_address *a, uint8_t broadcast[4])
{
    /* A /31 has two hosts and no broadcast (RFC 3021); a /32 is alone.
     * Linux adds a broadcast route only below /31 (fib_add_ifaddr). */
    if (a->prefix_len >= 31)
        return 0;
    write_be32(broadcast, read_be32(a->address) | ~netmask(a->prefix_len));
    return 1;
}

enum host_address_kind host_classify(const struct host *host, const uint8_t address[4])
{
    static const uint8_t LIMITED_BROADCAST[4] = {255, 255, 255, 255};
    uint8_t broadcast[4];

    if (memcmp(address, LIMITED_BROADCAST, 4) == 0)
        return HOST_BROADCAST;
    /* Our own addresses first, all of them: 192.0.2.255/31 is a host's
     * even beside 192.0.2.2/24, whichever was given first. */
    for (size_t i = 0; i < host->count; i++)
        if (memcmp(address, host->addresses[i].address, 4) == 0)
            return HOST_OWN;
    for (size_t i = 0; i < host->count; i++)
        if (host_subnet_broadcast(&host->addresses[i], broadcast) &&
            memcmp(address, broadcast, 4) == 0)
            return HOST_BROADCAST;
    return HOST_OTHER;
}

/* ---- IPv6 (step 11 on) ---------------------------------------------------- */

/* One to four hex digits at *c: a group of an IPv6 address. */
static int parse_group(const char **c, unsigned *value)
{
    int digits = 0;

    *value = 0;
    for (;; digits++) {
        char ch = **c;
        unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
                     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                     : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
                                              : 16u;
        if (d == 16)
            break;
        if (digits == 4)
            return -1;              /* five digits: inet_pton() refuses them too */
        *value = *value << 4 | d;
        (*c)++;
    }
    return digits == 0 ? -1 : 0;
}

/* Does a dotted quad start at c (digits, then a '.' before any ':')? */
static int dotted_quad_ahead(const char *c)
{
    while (*c >= '0' && *c <= '9')
        c++;
    return *c == '.';
}

/*
 * RFC 4291 2.2: groups read left to right into `groups`; "::" marks where
 * the zero groups go (`gap`), filled in at the end. An IPv4 dotted quad
 * may stand for the last two groups (form 3: ::ffff:192.0.2.1).
 */
int host_parse_ipv6(const char *text, uint8_t address[16])
{
    uint8_t bytes[16] = {0};
    int count = 0, gap = -1;        /* bytes written; where "::" stands */
    const char *c = text;

    if (c[0] == ':' && c[1] == ':') {
        gap = 0;
        c += 2;
    } else if (c[0] == ':') {
        return -1;                  /* a lone leading colon */
    }
    while (*c != '\0' && count < 16) {
        if (dotted_quad_ahead(c)) {
            if (count > 12)
                return -1;
            for (int i = 0; i < 4; i++) {
                unsigned value;
                if (parse_number(&c, 255, &value) < 0 || (i < 3 && *c++ != '.'))
                    return -1;
                bytes[count++] = (uint8_t)value;
            }
            break;                  /* nothing may follow the dotted quad */
        }
        unsigned group;
        if (parse_group(&c, &group) < 0)
            return -1;
        bytes[count++] = (uint8_t)(group >> 8);
        bytes[count++] = (uint8_t)group;
        if (*c == '\0')
            break;
        if (*c++ != ':')
            return -1;
        if (*c == ':') {            /* "::" here */
            if (gap >= 0)
                return -1;          /* only one "::" (RFC 4291 2.2, 2) */
            gap = count;
            c++;
            if (*c == '\0')
                break;
        } else if (*c == '\0') {
            return -1;              /* a trailing single colon */
        }
    }
    if (*c != '\0')
        return -1;
    if (gap < 0) {
        if (count != 16)
            return -1;
    } else {
        /* "::" stands for one or more zero groups: with eight groups
         * already written, there is no room for it (inet_pton agrees). */
        if (count > 14)
            return -1;
        memmove(bytes + 16 - (count - gap), bytes + gap, (size_t)(count - gap));
        memset(bytes + gap, 0, (size_t)(16 - count));
    }
    memcpy(address, bytes, 16);
    return 0;
}

/* "2001:db8::2/64" into `a`: an address, and a prefix length 0 to 128
 * written as parse_number() reads numbers (no leading zero). */
static int parse_address6(const char *text, struct host_address6 *a)
{
    char address[64];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);

    if (len >= sizeof address)
        return -1;
    memcpy(address, text, len);
    address[len] = '\0';
    if (host_parse_ipv6(address, a->address) < 0)
        return -1;
    a->prefix_len = 128;
    if (!slash)
        return 0;
    const char *c = slash + 1;
    unsigned value;
    if (parse_number(&c, 128, &value) < 0 || *c != '\0')
        return -1;
    a->prefix_len = value;
    return 0;
}

/* Addresses no interface of a host may be given (RFC 4291 2.5.2, 2.5.3,
 * 2.7), and the IPv4-mapped ones (2.5.5.2), which name an IPv4 host. */
static const char *not_assignable6(const uint8_t a[16])
{
    static const uint8_t LOOPBACK[16] = {[15] = 1};
    static const uint8_t MAPPED[12] = {[10] = 0xff, [11] = 0xff};

    if (ipv6_is_unspecified(a))
        return "is the unspecified address";
    if (memcmp(a, LOOPBACK, 16) == 0)
        return "is the loopback address";
    if (ipv6_is_multicast(a))
        return "is a multicast address";
    if (memcmp(a, MAPPED, 12) == 0)
        return "is an IPv4-mapped address";
    return NULL;
}

int host_add_address6(struct host *host, const char *text, char *why, size_t why_len)
{
    struct host_address6 a;

    if (parse_address6(text, &a) < 0) {
        snprintf(why, why_len, "'%s' is not an IPv6 address with a prefix length: write it as "
                 "--address 2001:db8::2/64.", text);
        return -1;
    }
    const char *problem = not_assignable6(a.address);
    if (problem) {
        snprintf(why, why_len, "--address %s %s, which no host may have: choose a unicast "
                 "address, for example 2001:db8::2/64.", text, problem);
        return -1;
    }
    for (size_t i = 0; i < host->count6; i++)
        if (memcmp(host->addresses6[i].address, a.address, 16) == 0) {
            snprintf(why, why_len, "--address %s is given twice: give each address once.",
                     text);
            return -1;
        }
    if (host->count6 == HOST_MAX_ADDRESSES) {
        snprintf(why, why_len, "--address %s is one too many: a host here has at most %d "
                 "IPv6 addresses.", text, HOST_MAX_ADDRESSES);
        return -1;
    }
    host->addresses6[host->count6++] = a;
    return 0;
}

void host_solicited_node(const uint8_t address[16], uint8_t group[16])
{
    static const uint8_t PREFIX[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

    memcpy(group, PREFIX, 13);
    memcpy(group + 13, address + 13, 3);
}

enum host_address6_kind host_classify6(const struct host *host, const uint8_t address[16])
{
    static const uint8_t ALL_NODES[16] = {0xff, 0x02, [15] = 1};
    uint8_t group[16];

    if (ipv6_is_multicast(address)) {
        if (memcmp(address, ALL_NODES, 16) == 0)
            return HOST6_MULTICAST_MEMBER;
        for (size_t i = 0; i < host->count6; i++) {
            host_solicited_node(host->addresses6[i].address, group);
            if (memcmp(address, group, 16) == 0)
                return HOST6_MULTICAST_MEMBER;
        }
        return HOST6_MULTICAST_OTHER;
    }
    for (size_t i = 0; i < host->count6; i++)
        if (memcmp(address, host->addresses6[i].address, 16) == 0)
            return HOST6_OWN;
    return HOST6_OTHER;
}

/* Link-local unicast, fe80::/10: its scope is the link. */
static int is_link_local(const uint8_t a[16])
{
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* How many leading bits two addresses share (RFC 6724 rule 8's measure). */
static unsigned common_prefix(const uint8_t a[16], const uint8_t b[16])
{
    unsigned bits = 0;

    for (int i = 0; i < 16; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x == 0) {
            bits += 8;
            continue;
        }
        while (!(x & 0x80)) {
            x <<= 1;
            bits++;
        }
        break;
    }
    return bits;
}

/*
 * RFC 6724 section 5, the two rules that matter for a host with a handful
 * of addresses: rule 2, the scope of the source should match the
 * destination's (a link-local address for a link-local peer, measured: the
 * kernel answered fe80::2 from fe80::1, and 2001:db8:1::2 from
 * 2001:db8:1::1, both to ff02::1); then rule 8, the longest matching prefix.
 */
const uint8_t *host_source6_for(const struct host *host, const uint8_t to[16])
{
    const uint8_t *best = NULL;
    int best_scope_match = -1;
    unsigned best_prefix = 0;

    for (size_t i = 0; i < host->count6; i++) {
        const uint8_t *a = host->addresses6[i].address;
        int scope_match = is_link_local(a) == is_link_local(to);
        unsigned prefix = common_prefix(a, to);
        if (scope_match > best_scope_match ||
            (scope_match == best_scope_match && prefix > best_prefix)) {
            best = a;
            best_scope_match = scope_match;
            best_prefix = prefix;
        }
    }
    return best;
}
