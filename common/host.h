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

struct host_address {
    uint8_t address[4];             /* 192.0.2.2 */
    unsigned prefix_len;            /* 24 */
};

struct host {
    struct host_address addresses[HOST_MAX_ADDRESSES];
    size_t count;
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

#endif
