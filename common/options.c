#include "options.h"

#include <stdio.h>
#include <string.h>

#include "bytes.h"

/*
 * How Linux answers the options of an echo request (net/ipv4/ip_options.c),
 * in the same two passes, because that is what decides every detail:
 *
 * 1. As the request arrives (ip_options_compile), every option is checked,
 *    and Record Route and Timestamp get this host's first stamp. An option
 *    that cannot be makes the datagram an error (RFC 791): no reply (Linux
 *    sends a parameter problem; this step sends no errors).
 * 2. As the reply is built (ip_options_echo), Record Route and Timestamp are
 *    copied, Record Route first, and stamped once more if they were stamped
 *    on arrival and a whole slot is left. Part of a slot left means the
 *    reply's options cannot be built, and Linux sends no reply at all.
 *
 * So `ping -R` of a Linux host lists the responder twice, and ping shows
 * the same round trip whether the kernel or this step answered.
 */

enum {
    NOWHERE = -1,
    TS_TIMES = 0,                   /* Timestamp flags (RFC 791) */
    TS_ADDRESSES_AND_TIMES = 1,
    TS_PRESPECIFIED = 3,
    OPTION_SECURITY_CIPSO = 134,
    OPTION_ROUTER_ALERT = 148,
};

/* The options after the first pass, with what the second needs to know. */
struct arrival {
    uint8_t bytes[OPTIONS_MAX_LEN];
    long record_route, timestamp;   /* where they start in bytes, or NOWHERE */
    long cipso;                     /* a CIPSO option, refused: a parameter
                                       problem returns it (ip_options_echo) */
    int route_stamped, time_stamped;
    int source_route;               /* its type, or 0 */
    long source_route_at;           /* where it starts in bytes */
    size_t problem;                 /* a malformed option: the offending byte */
};

/* Says why, and notes where: the byte of `opt` that Linux's parameter
 * problem points at (`at`: 0 the type, 1 the length, 2 the pointer, 3 the
 * flags), as ip_options_compile() chooses it. */
static int refuse(struct arrival *a, size_t at, char *why, size_t why_len, const char *what,
                  const uint8_t *opt, size_t len)
{
    a->problem = (size_t)(opt - a->bytes) + at;
    snprintf(why, why_len, "malformed %s option (length %zu, pointer %u)", what, len,
             len >= 3 ? opt[2] : 0);
    return -1;
}

/* Record Route: the pointer (byte 2, counted from 1) names the next free
 * 4-byte slot. Past the end, the option is full and goes back as it came;
 * pointing at part of a slot, it cannot be (RFC 791). */
static int arrive_record_route(struct arrival *a, uint8_t *opt, size_t len, const uint8_t self[4],
                               char *why, size_t why_len)
{
    if (a->record_route != NOWHERE) {
        a->problem = (size_t)(opt - a->bytes);
        snprintf(why, why_len, "malformed IP options (option %u twice)", opt[0]);
        return -1;
    }
    if (len < 3)
        return refuse(a, 1, why, why_len, "Record Route", opt, len);
    if (opt[2] < 4)
        return refuse(a, 2, why, why_len, "Record Route", opt, len);
    if (opt[2] <= len) {
        if (opt[2] + 3u > len)
            return refuse(a, 2, why, why_len, "Record Route", opt, len);
        memcpy(opt + opt[2] - 1, self, 4);
        opt[2] += 4;
        a->route_stamped = 1;
    }
    a->record_route = opt - a->bytes;
    return 0;
}

/* Timestamp: flag 0 records times, flag 1 addresses and times, flag 3 times
 * for prespecified addresses only. When no slot is left, the overflow count
 * (high nibble of byte 3) counts this host, once (RFC 791); a count of 15
 * cannot count it, and the option is in error. A full prespecified list
 * counts nothing: the hosts it names have had their turn (Linux). */
static int arrive_timestamp(struct arrival *a, uint8_t *opt, size_t len, const uint8_t self[4],
                            uint32_t now_ms, char *why, size_t why_len)
{
    if (a->timestamp != NOWHERE) {
        a->problem = (size_t)(opt - a->bytes);
        snprintf(why, why_len, "malformed IP options (option %u twice)", opt[0]);
        return -1;
    }
    if (len < 4)
        return refuse(a, 1, why, why_len, "Timestamp", opt, len);
    if (opt[2] < 5)
        return refuse(a, 2, why, why_len, "Timestamp", opt, len);
    a->timestamp = opt - a->bytes;      /* the reply returns it, unless in error */
    if (opt[2] > len) {
        if ((opt[3] & 0x0f) == TS_PRESPECIFIED)
            return 0;
        if ((opt[3] >> 4) == 15) {
            a->problem = (size_t)(opt - a->bytes) + 3;
            snprintf(why, why_len, "malformed Timestamp option (its overflow count overflows)");
            return -1;
        }
        opt[3] = (uint8_t)(opt[3] + 0x10);
        return 0;
    }
    uint8_t *slot = opt + opt[2] - 1;
    unsigned flag = opt[3] & 0x0f;
    size_t entry = flag == TS_TIMES ? 4 : 8;
    if (opt[2] + 3u > len ||
        ((flag == TS_ADDRESSES_AND_TIMES || flag == TS_PRESPECIFIED) && opt[2] + 7u > len))
        return refuse(a, 2, why, why_len, "Timestamp", opt, len);
    switch (flag) {
    case TS_TIMES:
        write_be32(slot, now_ms);
        break;
    case TS_ADDRESSES_AND_TIMES:
        memcpy(slot, self, 4);
        write_be32(slot + 4, now_ms);
        break;
    case TS_PRESPECIFIED:
        if (memcmp(slot, self, 4) != 0)
            return 0;                   /* someone else's turn: returned as it is */
        write_be32(slot + 4, now_ms);
        break;
    default:
        return 0;                       /* a flag RFC 791 does not define: returned
                                         * as it came, as Linux does */
    }
    opt[2] = (uint8_t)(opt[2] + entry);
    a->time_stamped = 1;
    return 0;
}

/* Source routes are refused after every option is checked, as Linux does
 * by default (accept_source_route = 0); a malformed one is malformed. */
static int arrive_source_route(struct arrival *a, uint8_t *opt, size_t len, char *why,
                               size_t why_len)
{
    const char *what = opt[0] == OPTION_LOOSE_SOURCE_ROUTE ? "loose source route"
                                                           : "strict source route";
    if (len < 3)
        return refuse(a, 1, why, why_len, what, opt, len);
    if (opt[2] < 4)
        return refuse(a, 2, why, why_len, what, opt, len);
    if (a->source_route)
        return refuse(a, 0, why, why_len, what, opt, len);
    a->source_route = opt[0];
    a->source_route_at = opt - a->bytes;
    return 0;
}

/* The first pass: each option checked, and stamped once. */
static enum options_status arrive(struct arrival *a, size_t len, const uint8_t self[4],
                                  uint32_t now_ms, char *why, size_t why_len)
{
    size_t at = 0;

    while (at < len && a->bytes[at] != OPTION_END) {
        uint8_t *opt = a->bytes + at;
        if (opt[0] == OPTION_NOP) {
            at++;
            continue;
        }
        size_t opt_len = at + 1 < len ? opt[1] : 0;
        if (opt_len < 2 || at + opt_len > len) {
            a->problem = at;
            snprintf(why, why_len, "malformed IP option %u (length %zu, %zu bytes left)",
                     opt[0], opt_len, len - at);
            return OPTIONS_MALFORMED;
        }
        int status = 0;
        switch (opt[0]) {
        case OPTION_RECORD_ROUTE:
            status = arrive_record_route(a, opt, opt_len, self, why, why_len);
            break;
        case OPTION_TIMESTAMP: {
            /* Linux notes the option only once it passed: a parameter
             * problem about it does not return it. */
            long before = a->timestamp;
            status = arrive_timestamp(a, opt, opt_len, self, now_ms, why, why_len);
            if (status < 0)
                a->timestamp = before;
            break;
        }
        case OPTION_LOOSE_SOURCE_ROUTE:
        case OPTION_STRICT_SOURCE_ROUTE:
            status = arrive_source_route(a, opt, opt_len, why, why_len);
            break;
        case OPTION_ROUTER_ALERT:       /* RFC 2113: always 4 bytes */
            if (opt_len < 4)
                status = refuse(a, 1, why, why_len, "Router Alert", opt, opt_len);
            break;
        case OPTION_SECURITY_CIPSO:
            /* Linux checks CIPSO against the domains of interpretation it
             * was configured with; with none (the default), it refuses,
             * pointing at the length when the option is too short for a
             * domain (cipso_v4_validate), else at the domain. */
            a->problem = at + (opt_len < 8 ? 1 : 2);
            if (a->cipso == NOWHERE)
                a->cipso = (long)at;
            snprintf(why, why_len, "CIPSO security option: no domain of interpretation is "
                     "configured, refused as Linux does");
            status = -1;
            break;
        default:
            break;                      /* others are ignored, not returned */
        }
        if (status < 0)
            return OPTIONS_MALFORMED;
        at += opt_len;
    }
    /* Linux fills what follows End of Option List with End of Option List,
     * in the datagram itself (an error quotes it so). */
    for (; at < len; at++)
        a->bytes[at] = OPTION_END;
    if (a->source_route) {
        snprintf(why, why_len, "%s source route option: not answered, as Linux does by "
                 "default (accept_source_route = 0)",
                 a->source_route == OPTION_LOOSE_SOURCE_ROUTE ? "loose" : "strict");
        return OPTIONS_SOURCE_ROUTED;
    }
    return OPTIONS_OK;
}

/* The second pass, for Record Route: stamped again on the way out, if it
 * was on the way in and a slot is left. */
static int reply_record_route(uint8_t *opt, const uint8_t self[4], char *why, size_t why_len)
{
    if (opt[2] > opt[1])
        return 0;
    if (opt[2] + 3u > opt[1]) {
        snprintf(why, why_len, "Record Route leaves part of a slot for the reply (length %u, "
                 "pointer %u): no reply, as Linux", opt[1], opt[2]);
        return -1;
    }
    memcpy(opt + opt[2] - 1, self, 4);
    opt[2] += 4;
    return 0;
}

/* The second pass, for Timestamp. A prespecified slot is stamped only if
 * it names us. */
static int reply_timestamp(uint8_t *opt, const uint8_t self[4], uint32_t now_ms, char *why,
                           size_t why_len)
{
    unsigned flag = opt[3] & 0x0f;
    uint8_t *slot = opt + opt[2] - 1;

    if (opt[2] > opt[1])
        return 0;
    if (opt[2] + 3u > opt[1] || (flag == TS_ADDRESSES_AND_TIMES && opt[2] + 7u > opt[1])) {
        snprintf(why, why_len, "Timestamp leaves part of a slot for the reply (length %u, "
                 "pointer %u): no reply, as Linux", opt[1], opt[2]);
        return -1;
    }
    if (flag == TS_TIMES) {
        write_be32(slot, now_ms);
        opt[2] += 4;
    } else if (flag == TS_ADDRESSES_AND_TIMES) {
        memcpy(slot, self, 4);
        write_be32(slot + 4, now_ms);
        opt[2] += 8;
    } else if (opt[2] + 7u <= opt[1] && memcmp(slot, self, 4) == 0) {
        write_be32(slot + 4, now_ms);
        opt[2] += 8;
    }
    return 0;
}

/*
 * A parameter problem about a datagram with a good source route (and a bad
 * option after it) goes back along the route reversed, as Linux's
 * ip_options_echo() reverses it: the last hop recorded becomes the error's
 * first hop (its destination), the hops before it follow in reverse order,
 * and the first one is left out if it is the datagram's source itself (RFC
 * 1812 5.2.4.1). The last slot is then filled with the error's final
 * destination, the datagram's source, as ip_options_build() does. Returns
 * the option's length (0: nothing to go back along).
 */
static size_t reverse_source_route(const uint8_t *opt, const uint8_t source[4], uint8_t *out,
                                   uint8_t first_hop[4])
{
    size_t at = opt[2] > opt[1] ? opt[1] + 1u : opt[2];
    size_t written = 0;

    at -= 4;                        /* the last hop recorded */
    if (at > 3) {
        memcpy(first_hop, opt + at - 1, 4);
        for (at -= 4, written = 4; at > 3; at -= 4, written += 4)
            memcpy(out + written - 1, opt + at - 1, 4);
        if (memcmp(source, opt + at + 3, 4) == 0)
            written -= 4;
    }
    if (written <= 3)
        return 0;
    out[0] = opt[0];
    out[1] = (uint8_t)(written + 3);
    out[2] = 4;
    memcpy(out + written - 1, source, 4);
    return written + 3;
}

/* The second pass: the options of the reply (or error), Record Route
 * first. -1 when they cannot be built. */
static int build_reply(const struct arrival *a, const uint8_t self[4], const uint8_t *source,
                       uint32_t now_ms, struct options_outcome *outcome, char *why,
                       size_t why_len)
{
    size_t written = 0;
    uint8_t *out = outcome->reply;

    if (a->record_route != NOWHERE) {
        uint8_t *opt = out + written;
        memcpy(opt, a->bytes + a->record_route, a->bytes[a->record_route + 1]);
        if (a->route_stamped && reply_record_route(opt, self, why, why_len) < 0)
            return -1;
        written += opt[1];
    }
    if (a->timestamp != NOWHERE) {
        uint8_t *opt = out + written;
        memcpy(opt, a->bytes + a->timestamp, a->bytes[a->timestamp + 1]);
        if (a->time_stamped && reply_timestamp(opt, self, now_ms, why, why_len) < 0)
            return -1;
        written += opt[1];
    }
    if (a->source_route && source) {
        size_t route_len = reverse_source_route(a->bytes + a->source_route_at, source,
                                                out + written, outcome->first_hop);
        outcome->source_routed = route_len > 0;
        written += route_len;
    }
    if (a->cipso != NOWHERE) {
        memcpy(out + written, a->bytes + a->cipso, a->bytes[a->cipso + 1]);
        written += a->bytes[a->cipso + 1];
    }
    while (written % 4 != 0)
        out[written++] = OPTION_END;
    outcome->reply_len = written;
    return 0;
}

enum options_status ipv4_options_process(const uint8_t *options, size_t len,
                                         const uint8_t self[4], const uint8_t *source,
                                         uint32_t (*clock_ms)(void),
                                         struct options_outcome *outcome, char *why,
                                         size_t why_len)
{
    struct arrival a = {.record_route = NOWHERE, .timestamp = NOWHERE, .cipso = NOWHERE};
    char ignored[160];

    memset(outcome, 0, sizeof *outcome);
    if (len == 0)
        return OPTIONS_OK;          /* most datagrams: no clock to read, no reply options */
    uint32_t now_ms = clock_ms();   /* once: a Timestamp's arrival and reply slots agree */
    if (len > OPTIONS_MAX_LEN) {
        snprintf(why, why_len, "malformed IP options (%zu bytes, more than 40)", len);
        outcome->reply_impossible = outcome->malformed = 1;    /* not from a real header */
        return OPTIONS_MALFORMED;
    }
    memcpy(a.bytes, options, len);
    enum options_status status = arrive(&a, len, self, now_ms, why, why_len);
    memcpy(outcome->arrived, a.bytes, len);
    outcome->problem = a.problem;
    if (status == OPTIONS_MALFORMED) {
        outcome->malformed = 1;
        /* A parameter problem carries what passed before the bad option,
         * as Linux's does (or is not sent, if even that cannot be built). */
        if (build_reply(&a, self, source, now_ms, outcome, ignored, sizeof ignored) < 0)
            outcome->reply_impossible = 1;
        return status;
    }
    if (status != OPTIONS_OK)
        return status;
    if (build_reply(&a, self, source, now_ms, outcome, why, why_len) < 0) {
        outcome->reply_impossible = 1;
        return OPTIONS_MALFORMED;
    }
    return OPTIONS_OK;
}

enum options_status ipv4_options_echo(const uint8_t *options, size_t len, const uint8_t self[4],
                                      uint32_t (*clock_ms)(void), uint8_t *out, size_t *out_len,
                                      char *why, size_t why_len)
{
    struct options_outcome outcome;

    enum options_status status = ipv4_options_process(options, len, self, NULL, clock_ms,
                                                      &outcome, why, why_len);
    if (status == OPTIONS_OK) {
        memcpy(out, outcome.reply, outcome.reply_len);
        *out_len = outcome.reply_len;
    }
    return status;
}
