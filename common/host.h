/* The addresses a host has (step 06 on): which destinations are its own,
 * which are the broadcast addresses of its subnets, and which sources no
 * packet from outside may carry. */
#ifndef ICMP_STEPS_HOST_H
#define ICMP_STEPS_HOST_H

#include <stddef.h>
#include <stdint.h>

enum { HOST_MAX_ADDRESSES = 8 };

/* What the lab gives the host when --address is not given. */
#define HOST_DEFAULT_ADDRESS "192.0.2.2/24"
/* And for IPv6 (step 11 on): the tun gets 2001:db8::1/64. */
#define HOST_DEFAULT_ADDRESS6 "2001:db8::2/64"

struct host_address {
    uint8_t address[4];             /* 192.0.2.2 */
    unsigned prefix_len;            /* 24 */
};

struct host_address6 {
    uint8_t address[16];            /* 2001:db8::2 */
    unsigned prefix_len;            /* 64 */
};

struct host {
    struct host_address addresses[HOST_MAX_ADDRESSES];
    size_t count;
    struct host_address6 addresses6[HOST_MAX_ADDRESSES]; /* step 11 on */
    size_t count6;
};

/* What an address is to this host, as Linux's local routing table sees it
 * (`ip route show table local`). */
enum host_address_kind {
    HOST_OWN,                       /* one of its addresses */
    HOST_BROADCAST,                 /* 255.255.255.255, or a subnet's last address */
    HOST_OTHER,                     /* anything else: another host's */
};

/* Adds "A.B.C.D/N" (N from 0 to 32; "/N" may be left out for /32). Returns
 * 0, or -1 with one sentence in `why` that says what to type instead. */
int host_add_address(struct host *host, const char *text, char *why, size_t why_len);

/* What `address` is to `host`. */
enum host_address_kind host_classify(const struct host *host, const uint8_t address[4]);

/* The broadcast address of `a`'s subnet, in `broadcast`; 0 when the subnet
 * has none (a /31 or /32: RFC 3021 and a single address), else 1. */
int host_subnet_broadcast(const struct host_address *a, uint8_t broadcast[4]);

/* ---- IPv6 (step 11 on) ---- */

/* What an IPv6 destination is to this host. A host on a tun is in the
 * all-nodes group ff02::1 and in the solicited-node group of each of its
 * addresses (RFC 4291 2.8), as Linux joins them (addrconf); no other. */
enum host_address6_kind {
    HOST6_OWN,                      /* one of its addresses */
    HOST6_MULTICAST_MEMBER,         /* a group it is in */
    HOST6_MULTICAST_OTHER,          /* a group it is not in */
    HOST6_OTHER,                    /* another host's unicast address */
};

/*
 * Reads an IPv6 address in RFC 4291 2.2's text forms into `address`: eight
 * groups of one to four hex digits, one "::" standing for one or more zero
 * groups, an IPv4 dotted quad as the last 32 bits. Nothing else: no zone
 * ("%tun0"), no brackets, no leading zero in the dotted quad (ping would
 * read it otherwise). Returns 0, or -1.
 */
int host_parse_ipv6(const char *text, uint8_t address[16]);

/* Adds "2001:db8::2/64" (prefix length 0 to 128; "/N" may be left out for
 * /128). Refuses what no host may have: ::, ::1, multicast, IPv4-mapped.
 * Returns 0, or -1 with one sentence in `why` that says what to type. */
int host_add_address6(struct host *host, const char *text, char *why, size_t why_len);

/* The solicited-node multicast group of `address`: ff02::1:ffXX:XXXX, its
 * last 24 bits (RFC 4291 2.7.1). */
void host_solicited_node(const uint8_t address[16], uint8_t group[16]);

/* What `address` is to `host`. */
enum host_address6_kind host_classify6(const struct host *host, const uint8_t address[16]);

/* The address to answer from, to `to`, when the packet came to an address
 * that is not one of ours (a multicast group): by RFC 6724 section 5 as
 * Linux picks, rule 2 (the same scope: link-local for a link-local peer)
 * then rule 8 (the longest common prefix); NULL if the host has none.
 * Measured: the kernel answered an echo to ff02::1 from fe80::2 from
 * fe80::1, and from 2001:db8:1::2 from 2001:db8:1::1. */
const uint8_t *host_source6_for(const struct host *host, const uint8_t to[16]);

#endif
