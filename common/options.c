#include "options.h"

#include <stdio.h>
#include <string.h>

/*
 * Linux stamps Record Route and Timestamp twice on a host that answers an
 * echo: once when the request arrives (ip_options_compile) and once when the
 * reply leaves (ip_options_build). `ping -R` of a Linux host therefore lists
 * the responder's address twice. We do the same, so that ping shows the
 * same round trip whether the kernel or this step answered.
 */
enum { STAMPS_PER_HOST = 2 };

static void write_be32(uint8_t *p, uint32_t value)
{
    p[0] = (uint8_t)(value >> 24);
    p[1] = (uint8_t)(value >> 16);
    p[2] = (uint8_t)(value >> 8);
    p[3] = (uint8_t)value;
}

/* Record Route: the pointer (byte 2, counted from 1) names the next free
 * 4-byte slot; a full option is returned as it is. */
static int record_route(uint8_t *opt, size_t len, const uint8_t self[4], char *why, size_t why_len)
{
    if (len < 3 || opt[2] < 4 || (opt[2] <= len && opt[2] + 3u > len)) {
        snprintf(why, why_len, "malformed Record Route option (length %zu, pointer %u)",
                 len, len >= 3 ? opt[2] : 0);
        return -1;
    }
    for (int stamp = 0; stamp < STAMPS_PER_HOST && opt[2] + 3u <= len; stamp++) {
        memcpy(opt + opt[2] - 1, self, 4);
        opt[2] += 4;
    }
    return 0;
}

/* Timestamp: flag 0 records times, flag 1 addresses and times, flag 3
 * times for prespecified addresses only. When there is no room left, the
 * overflow count (high nibble of byte 3) goes up; when that count itself
 * would overflow, the option is in error (RFC 791). */
static int timestamp(uint8_t *opt, size_t len, const uint8_t self[4], uint32_t now_ms,
                     char *why, size_t why_len)
{
    unsigned flag = len >= 4 ? opt[3] & 0x0f : 0;
    unsigned entry = flag == 0 ? 4 : 8;

    if (len < 4 || opt[2] < 5 || (flag != 0 && flag != 1 && flag != 3) ||
        (opt[2] <= len && opt[2] + entry - 1 > len)) {
        snprintf(why, why_len, "malformed Timestamp option (length %zu, pointer %u, flag %u)",
                 len, len >= 3 ? opt[2] : 0, flag);
        return -1;
    }
    for (int stamp = 0; stamp < STAMPS_PER_HOST; stamp++) {
        uint8_t *slot = opt + opt[2] - 1;
        if (opt[2] + entry - 1 > len) {
            if ((opt[3] >> 4) == 15) {
                snprintf(why, why_len, "malformed Timestamp option (its overflow count overflows)");
                return -1;
            }
            opt[3] = (uint8_t)(opt[3] + 0x10);
            continue;
        }
        if (flag == 0) {
            write_be32(slot, now_ms);
        } else if (flag == 1) {
            memcpy(slot, self, 4);
            write_be32(slot + 4, now_ms);
        } else if (memcmp(slot, self, 4) == 0) {
            write_be32(slot + 4, now_ms);     /* flag 3: our address is next */
        } else {
            break;                            /* flag 3: someone else's turn */
        }
        opt[2] = (uint8_t)(opt[2] + entry);
    }
    return 0;
}

enum options_status ipv4_options_echo(const uint8_t *options, size_t len, const uint8_t self[4],
                                      uint32_t now_ms, uint8_t *out, size_t *out_len,
                                      char *why, size_t why_len)
{
    size_t in = 0, written = 0;
    int seen_route = 0, seen_timestamp = 0;

    while (in < len && options[in] != OPTION_END) {
        uint8_t type = options[in];
        if (type == OPTION_NOP) {
            in++;
            continue;
        }
        size_t opt_len = in + 1 < len ? options[in + 1] : 0;
        if (opt_len < 2 || in + opt_len > len) {
            snprintf(why, why_len, "malformed IP option %u (length %zu, %zu bytes left)",
                     type, opt_len, len - in);
            return OPTIONS_MALFORMED;
        }
        if (type == OPTION_LOOSE_SOURCE_ROUTE || type == OPTION_STRICT_SOURCE_ROUTE) {
            snprintf(why, why_len, "%s source route option: not answered, as Linux does by "
                     "default (accept_source_route = 0)",
                     type == OPTION_LOOSE_SOURCE_ROUTE ? "loose" : "strict");
            return OPTIONS_SOURCE_ROUTED;
        }
        if (type == OPTION_RECORD_ROUTE || type == OPTION_TIMESTAMP) {
            int *seen = type == OPTION_RECORD_ROUTE ? &seen_route : &seen_timestamp;
            if (*seen) {
                snprintf(why, why_len, "malformed IP options (option %u twice)", type);
                return OPTIONS_MALFORMED;
            }
            *seen = 1;
            uint8_t *copy = out + written;
            memcpy(copy, options + in, opt_len);
            int status = type == OPTION_RECORD_ROUTE
                             ? record_route(copy, opt_len, self, why, why_len)
                             : timestamp(copy, opt_len, self, now_ms, why, why_len);
            if (status < 0)
                return OPTIONS_MALFORMED;
            written += opt_len;
        }
        /* Other options (security, router alert, ...) are not returned. */
        in += opt_len;
    }
    while (written % 4 != 0)
        out[written++] = OPTION_END;
    *out_len = written;
    return OPTIONS_OK;
}
