/* Putting fragments back together (RFC 791 section 3.2, "reassembly"),
 * as Linux 6.x does it (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c):
 * step 10 on. RFC 1122 3.3.2 says a host MUST reassemble. */
#ifndef ICMP_STEPS_REASSEMBLY_H
#define ICMP_STEPS_REASSEMBLY_H

#include <stddef.h>
#include <stdint.h>

#include "ipv4.h"

/* The settings, named after the sysctls that hold Linux's. */
struct reassembly_settings {
    unsigned time_s;                /* net.ipv4.ipfrag_time: seconds a datagram
                                       may wait for its missing fragments */
    size_t high_thresh;             /* net.ipv4.ipfrag_high_thresh: bytes all
                                       datagrams being reassembled may hold */
};

/* Linux's defaults (Documentation/networking/ip-sysctl.rst). */
#define REASSEMBLY_LINUX_DEFAULTS {.time_s = 30, .high_thresh = 4194304}

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
};

struct reassembly;            /* a table of datagrams being put together */

/* A new, empty table; NULL if memory is short. `settings` is copied. */
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

/* Frees one datagram whose time is up at now_ms; returns 1 if it did (0: none
 * due). If its first fragment had arrived, copies it to `first` (65535 bytes
 * of room) and sets *first_len, else *first_len = 0: its header as it
 * arrived, then the payload Linux kept, cut to a multiple of 8 bytes (a
 * first fragment of 13 payload bytes gives 20 + 8, its total length still
 * saying 33: what ip_expire() quotes, measured, tests/fixtures/fragments/
 * fragment-timeout-cut.kernel.pcap). Send time exceeded, code 1, quoting it.
 * Call until it returns 0; call it before reassembly_add() at the same time,
 * as Linux's timer would have fired. */
int reassembly_expire(struct reassembly *table, uint64_t now_ms,
                      uint8_t *first, size_t *first_len);

uint64_t reassembly_next_expiry(const struct reassembly *table); /* UINT64_MAX: none */
size_t reassembly_memory(const struct reassembly *table);   /* bytes charged */
size_t reassembly_count(const struct reassembly *table);    /* datagrams held */

/* The verdict rung step 10 logs for an outcome: "fragment-held",
 * "reassembled", "fragment-duplicate", "fragments-overlap",
 * "datagram-too-long", "fragments-inconsistent", "reassembly-memory-full". */
const char *reassembly_outcome_name(enum reassembly_outcome outcome);

#endif
