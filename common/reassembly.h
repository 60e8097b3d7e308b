/* Putting fragments back together (RFC 791 section 3.2, "reassembly"),
 * as Linux 6.x does it (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c):
 * step 10 on. RFC 1122 3.3.2 says a host MUST reassemble. IPv6 (RFC 8200
 * section 4.5, net/ipv6/reassembly.c): step 11 on, same code, same rules
 * for duplicates and overlaps (RFC 5722), its own table and settings. */
#ifndef ICMP_STEPS_REASSEMBLY_H
#define ICMP_STEPS_REASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

#include "ipv4.h"
#include "ipv6.h"

/* The settings, named after the sysctls that hold Linux's. */
struct reassembly_settings {
    unsigned time_s;                /* net.ipv4.ipfrag_time: seconds a datagram
                                       may wait for its missing fragments */
    size_t high_thresh;             /* net.ipv4.ipfrag_high_thresh: bytes all
                                       datagrams being reassembled may hold */
};

/* Linux's defaults (Documentation/networking/ip-sysctl.rst). */
#define REASSEMBLY_LINUX_DEFAULTS {.time_s = 30, .high_thresh = 4194304}
/* IPv6's: net.ipv6.ip6frag_time and net.ipv6.ip6frag_high_thresh. */
#define REASSEMBLY6_LINUX_DEFAULTS {.time_s = 60, .high_thresh = 4194304}

enum reassembly_outcome {
    REASSEMBLY_HELD,          /* kept; the datagram is not whole yet */
    REASSEMBLY_COMPLETE,      /* whole: written to `datagram` */
    REASSEMBLY_DUPLICATE,     /* only bytes already held: this fragment dropped */
    REASSEMBLY_OVERLAP,       /* overlaps otherwise: the whole datagram dropped */
    REASSEMBLY_TOO_LONG,      /* would end past 65535 bytes: whole datagram dropped
                                 (as Linux, only once it is whole: until then a
                                 fragment past 65535 is held like any other) */
    REASSEMBLY_INCONSISTENT,  /* empty, past a last fragment's end, a second
                                 different end, or (once whole) an invalid ECN
                                 mix: whole datagram dropped (Linux) */
    REASSEMBLY_NO_MEMORY,     /* over high_thresh: this fragment dropped (if
                                 malloc fails, its datagram is dropped too) */
    /* IPv6 only (reassembly_add6()): */
    REASSEMBLY_PARAMETER_PROBLEM, /* send ICMPv6 parameter problem with the
                                 `problem` code and pointer; this fragment
                                 dropped, its datagram (if any) waits on */
};

/* What a REASSEMBLY_PARAMETER_PROBLEM asks to send (RFC 4443 3.4). */
struct reassembly_problem {
    uint8_t code;             /* 0: erroneous field, 3: first fragment without
                                 the whole header chain (RFC 7112) */
    uint32_t pointer;         /* counted from the IPv6 header's first byte */
};

struct reassembly;            /* a table of datagrams being put together */

/* A new, empty table; NULL if memory is short. `settings` is copied. Keep
 * one table for IPv4 and another for IPv6, as Linux does (each has its own
 * sysctls and its own memory count). */
struct reassembly *reassembly_new(const struct reassembly_settings *settings);
void reassembly_free(struct reassembly *table);
/* New settings from now on (Linux's sysctls change a live table too): a
 * lower high_thresh refuses fragments until enough memory comes back; a new
 * time_s applies to datagrams that start after. */
void reassembly_set_settings(struct reassembly *table, const struct reassembly_settings *settings);

/* `packet` is one fragment as read (ip = its ipv4_parse view, already
 * checked; a fragment is a packet with More Fragments or an offset: Linux's
 * ip_is_fragment()); on REASSEMBLY_COMPLETE `datagram` (65535 bytes of room) holds
 * the whole datagram, header from the first fragment with offset/MF
 * cleared, total length and header checksum new, as ip_frag_reasm writes it.
 * `now_ms` is any clock that only goes forward, in milliseconds. */
enum reassembly_outcome reassembly_add(struct reassembly *table, const uint8_t *packet,
                                       const struct ipv4_view *ip, uint64_t now_ms,
                                       uint8_t *datagram, size_t *datagram_len);

/*
 * IPv6: `packet` is one fragment as read (ip = its ipv6_parse view, walk =
 * its ipv6_walk_headers() walk, whose verdict was IPV6_WALK_FRAGMENT: an
 * atomic fragment never comes here, RFC 6946). Keyed on source,
 * destination and the 32-bit identification (Linux: no protocol in the
 * key). As Linux's ipv6_frag_rcv() and ip6_frag_queue(), in this order:
 *  - a first fragment (offset 0) that does not hold every header up to and
 *    including the upper-layer header's first bytes (TCP 20, UDP 8, ICMPv6
 *    8, others 1) -> PARAMETER_PROBLEM code 3 pointer 0 (RFC 7112);
 *  - a fragment ending past 65535 bytes of fragmentable part ->
 *    PARAMETER_PROBLEM code 0 pointing at the fragment offset field
 *    (walk->offset + 2);
 *  - a fragment with M=1 whose data is not a multiple of 8 bytes ->
 *    PARAMETER_PROBLEM code 0 pointing at the payload length field (4);
 *  - then as IPv4: INCONSISTENT, DUPLICATE, OVERLAP (whole datagram dropped,
 *    RFC 5722), HELD, NO_MEMORY, COMPLETE, TOO_LONG (unfragmentable part +
 *    data past 65535).
 * On COMPLETE, `datagram` (65535 + 40 bytes of room) holds the packet as
 * ip6_frag_reasm() writes it: the first fragment's header and the headers
 * before its Fragment header, the Fragment header removed and its next
 * header written in the header that named it, payload length new, the
 * traffic class's ECN bits as the fragments' mix says (as IPv4). The caller
 * walks it again (the headers before the fragment header come out the same).
 */
enum reassembly_outcome reassembly_add6(struct reassembly *table, const uint8_t *packet,
                                        const struct ipv6_view *ip, const struct ipv6_walk *walk,
                                        uint64_t now_ms, uint8_t *datagram, size_t *datagram_len,
                                        struct reassembly_problem *problem);

/* Frees one datagram whose time is up at now_ms; returns 1 if it did (0: none
 * due). If its first fragment had arrived, copies it to `first` (65535 bytes
 * of room) and sets *first_len, else *first_len = 0: its header as it
 * arrived, then the payload Linux kept, cut to a multiple of 8 bytes (a
 * first fragment of 13 payload bytes gives 20 + 8, its total length still
 * saying 33: what ip_expire() quotes, measured, tests/fixtures/fragments/
 * fragment-timeout-cut.kernel.pcap). Send time exceeded, code 1, quoting it.
 * IPv6: `first` is the first fragment as it came (Fragment header and all,
 * link padding gone): send ICMPv6 time exceeded code 1 quoting it, as
 * Linux's ip6frag_expire_frag_queue(); no error if it had not come.
 * Call until it returns 0; call it before reassembly_add() at the same time,
 * as Linux's timer would have fired. */
int reassembly_expire(struct reassembly *table, uint64_t now_ms,
                      uint8_t *first, size_t *first_len);

uint64_t reassembly_next_expiry(const struct reassembly *table); /* UINT64_MAX: none */
size_t reassembly_memory(const struct reassembly *table);   /* bytes charged */
size_t reassembly_count(const struct reassembly *table);    /* datagrams held */

/* The verdict rung step 10 logs for an outcome: "fragment-held",
 * "reassembled", "fragment-duplicate", "fragments-overlap",
 * "datagram-too-long", "fragments-inconsistent", "reassembly-memory-full",
 * and for IPv6 "fragment-parameter-problem". */
const char *reassembly_outcome_name(enum reassembly_outcome outcome);

#endif
