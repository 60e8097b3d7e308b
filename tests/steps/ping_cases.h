/* The recorded requests (tests/fixtures/requests/NAME.pcap) and what tshark
 * reads in them and in the kernel's replies (tests/fixtures/kernel-replies):
 *
 *   tshark -r FILE -T fields -e ip.len -e icmp.ident -e icmp.seq -e icmp.checksum
 *
 * These numbers come from the captures, not from our code. */
#ifndef ICMP_STEPS_PING_CASES_H
#define ICMP_STEPS_PING_CASES_H

#include <stddef.h>
#include <stdint.h>

struct ping_case {
    const char *name;               /* fixture file name without .pcap */
    const char *how;                /* how it was made */
    size_t total_len;               /* ip.len of request and reply */
    uint16_t identifier, sequence;
    size_t data_len;                /* ICMP data after the 8-byte header */
    uint16_t kernel_checksum;       /* icmp.checksum of the kernel's reply */
};

static const struct ping_case PING_CASES[] = {
    {"default",  "ping",             84, 3198, 1,   56, 0xfae0},
    {"s0",       "ping -s 0",        28, 3199, 1,    0, 0xf37f},
    {"s1",       "ping -s 1",        29, 3200, 1,    1, 0xf37e},
    {"s57",      "ping -s 57",       85, 3201, 1,   57, 0x5417},
    {"s1472",    "ping -s 1472",   1500, 3202, 1, 1472, 0x5819},
    {"pattern",  "ping -p ff00",     84, 3203, 1,   56, 0x0c79},
    {"all-zero", "by hand",          28,    0, 0,    0, 0x0000},
};
enum { PING_CASE_COUNT = sizeof PING_CASES / sizeof PING_CASES[0] };

#endif
