#include "host.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"

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
