#include "ipv6.h"

#include <string.h>

#include "bytes.h"

enum ipv6_status ipv6_parse(const uint8_t *packet, size_t len, struct ipv6_view *view)
{
    memset(view, 0, sizeof *view);
    if (len < IPV6_HEADER_LEN)
        return IPV6_TOO_SHORT;
    uint32_t first = read_be32(packet);
    view->version = (uint8_t)(first >> 28);
    if (view->version != 6)
        return IPV6_NOT_VERSION_6;
    view->traffic_class = (uint8_t)(first >> 20);
    view->flow_label = first & 0xfffff;
    view->payload_len = read_be16(packet + 4);
    view->next_header = packet[6];
    view->hop_limit = packet[7];
    memcpy(view->src, packet + 8, IPV6_ADDRESS_LEN);
    memcpy(view->dst, packet + 24, IPV6_ADDRESS_LEN);
    view->payload = packet + IPV6_HEADER_LEN;

    size_t read = len - IPV6_HEADER_LEN;
    /* Payload length 0 before a hop-by-hop header may be a jumbogram
     * (RFC 2675): Linux keeps every byte then, and lets the Jumbo Payload
     * option (or its absence) decide. */
    if (view->payload_len == 0 && view->next_header == IPV6_NEXT_HOP_BY_HOP) {
        view->payload_bytes = read;
        return IPV6_OK;
    }
    if (view->payload_len > read)
        return IPV6_PAYLOAD_LEN_PAST_END;
    view->payload_bytes = view->payload_len;
    view->padding_len = read - view->payload_len;
    return IPV6_OK;
}

void ipv6_explain(FILE *out, enum ipv6_status status, const uint8_t *packet, size_t len)
{
    switch (status) {
    case IPV6_OK:
        fprintf(out, "a well-formed IPv6 header");
        break;
    case IPV6_TOO_SHORT:
        fprintf(out, "%zu bytes: shorter than the 40-byte IPv6 header", len);
        break;
    case IPV6_NOT_VERSION_6:
        fprintf(out, "version %u, not 6", len > 0 ? packet[0] >> 4 : 0);
        break;
    case IPV6_PAYLOAD_LEN_PAST_END:
        fprintf(out, "payload length %u, but only %zu bytes follow the header",
                read_be16(packet + 4), len - IPV6_HEADER_LEN);
        break;
    }
}

/* ---- the extension header walk ------------------------------------------ */

enum {
    OPTION_PAD1 = 0,
    OPTION_PADN = 1,
    OPTION_ROUTER_ALERT = 0x05,     /* RFC 2711 */
    OPTION_CALIPSO = 0x07,          /* RFC 5570 */
    OPTION_IOAM = 0x31,             /* RFC 9486 */
    OPTION_JUMBO = 0xc2,            /* RFC 2675 */
    MAX_PADDING = 7,                /* the most alignment can need (RFC 4942 2.1.9.5) */
    MAX_OPTIONS = 8,                /* Linux's max_hbh_opts_number, max_dst_opts_number */
    ROUTING_RPL = 3,
    ROUTING_SEGMENT = 4,
};

/* The walk's state: where we are and which byte named the header there. */
struct cursor {
    const struct ipv6_view *ip;
    const uint8_t *packet;          /* the IPv6 header's first byte */
    size_t end;                     /* 40 + payload_bytes */
    size_t at;                      /* the current header, from packet */
    size_t named_at;                /* the byte holding its number */
    uint8_t next;                   /* its number */
};

static enum ipv6_walk_verdict drop(struct ipv6_walk *walk, enum ipv6_drop_reason reason)
{
    walk->drop_reason = reason;
    return walk->verdict = IPV6_WALK_DROP;
}

static enum ipv6_walk_verdict problem(struct ipv6_walk *walk, uint8_t code, size_t pointer)
{
    walk->code = code;
    walk->pointer = (uint32_t)pointer;
    return walk->verdict = IPV6_WALK_PARAMETER_PROBLEM;
}

/* An option no one here knows, by the top two bits of its type (RFC 8200
 * 4.2), as Linux's ip6_tlvopt_unknown(). Returns 1 to go on. */
static int unknown_option(const struct cursor *c, size_t option, struct ipv6_walk *walk)
{
    switch (c->packet[option] >> 6) {
    case 0:                         /* 00: skip over it */
        return 1;
    case 1:                         /* 01: discard the packet */
        drop(walk, IPV6_DROP_UNKNOWN_OPTION);
        return 0;
    case 3:                         /* 11: as 10, but never about multicast */
        if (ipv6_is_multicast(c->ip->dst)) {
            drop(walk, IPV6_DROP_UNKNOWN_OPTION);
            return 0;
        }
        problem(walk, IPV6_PARAMETER_UNKNOWN_OPTION, option);
        return 0;
    default:                        /* 10: discard, tell the source, even if
                                       the packet went to a multicast address */
        problem(walk, IPV6_PARAMETER_UNKNOWN_OPTION, option);
        walk->error_to_multicast = 1;
        return 0;
    }
}

/* RFC 2675's Jumbo Payload option, as Linux's ipv6_hop_jumbo(): a tun
 * carries at most 65535 bytes, so it never ends well. Returns 1 to go on. */
static int jumbo_option(const struct cursor *c, size_t option, struct ipv6_walk *walk)
{
    if (c->packet[option + 1] != 4 || (option & 3) != 2) {
        drop(walk, IPV6_DROP_BAD_OPTION);
        return 0;
    }
    uint32_t jumbo_len = read_be32(c->packet + option + 2);
    if (jumbo_len <= 65535) {       /* not a jumbogram's length */
        problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, option + 2);
        return 0;
    }
    if (c->ip->payload_len != 0) {  /* a jumbogram's payload length is 0 */
        problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, option);
        return 0;
    }
    if (jumbo_len > c->ip->payload_bytes) {
        drop(walk, IPV6_DROP_JUMBO_TRUNCATED);
        return 0;
    }
    return 1;
}

/* A hop-by-hop or destination options header at c->at, whole in the
 * packet, option by option as Linux's ip6_parse_tlv(). Returns 1 to go on. */
static int walk_options(const struct cursor *c, int hop_by_hop, struct ipv6_walk *walk)
{
    const uint8_t *p = c->packet;
    size_t off = c->at + 2, left = ((size_t)p[c->at + 1] + 1) * 8 - 2;
    unsigned padding = 0, options = 0;

    while (left > 0) {
        if (p[off] == OPTION_PAD1) {
            if (++padding > MAX_PADDING)
                return drop(walk, IPV6_DROP_BAD_PADDING), 0;
            off++;
            left--;
            continue;
        }
        if (left < 2 || (size_t)p[off + 1] + 2 > left)
            return drop(walk, IPV6_DROP_OPTION_PAST_END), 0;
        size_t option_len = (size_t)p[off + 1] + 2;
        if (p[off] == OPTION_PADN) {
            padding += (unsigned)option_len;
            if (padding > MAX_PADDING)
                return drop(walk, IPV6_DROP_BAD_PADDING), 0;
            for (size_t i = 2; i < option_len; i++)
                if (p[off + i] != 0)        /* RFC 4942 2.1.9.5: zeros only */
                    return drop(walk, IPV6_DROP_BAD_PADDING), 0;
        } else {
            if (++options > MAX_OPTIONS)
                return drop(walk, IPV6_DROP_TOO_MANY_OPTIONS), 0;
            if (hop_by_hop && p[off] == OPTION_ROUTER_ALERT) {
                if (p[off + 1] != 2)
                    return drop(walk, IPV6_DROP_BAD_OPTION), 0;
                walk->router_alert = 1;
            } else if (hop_by_hop && p[off] == OPTION_JUMBO) {
                if (!jumbo_option(c, off, walk))
                    return 0;
            } else if (hop_by_hop && p[off] == OPTION_CALIPSO) {
                /* A security label (RFC 5570) names a domain of
                 * interpretation; Linux (ipv6_hop_calipso(), with
                 * NetLabel) drops the packet when it knows none by that
                 * number, and a host like ours knows none. */
                return drop(walk, IPV6_DROP_CALIPSO), 0;
            } else if (hop_by_hop && p[off] == OPTION_IOAM && (off & 3) != 0) {
                /* In-situ OAM data must start on a 4-byte boundary;
                 * aligned, Linux ignores it unless ioam6_enabled is set
                 * (ipv6_hop_ioam()), and so do we. */
                return drop(walk, IPV6_DROP_BAD_OPTION), 0;
            } else if (!unknown_option(c, off, walk)) {
                return 0;
            }
            padding = 0;
        }
        off += option_len;
        left -= option_len;
    }
    return 1;
}

/* Is a header of 8 bytes at least, and of the length its second byte
 * says, whole at c->at? */
static int whole(const struct cursor *c)
{
    return c->at + 8 <= c->end && c->at + ((size_t)c->packet[c->at + 1] + 1) * 8 <= c->end;
}

/* Moves past the header at c->at, of `len` bytes, whose first byte names
 * the next one. */
static void advance(struct cursor *c, size_t len)
{
    c->next = c->packet[c->at];
    c->named_at = c->at;
    c->at += len;
}

/* A routing header at c->at, as Linux's ipv6_rthdr_rcv(). Returns 1 to go on. */
static int walk_routing(struct cursor *c, struct ipv6_walk *walk)
{
    const uint8_t *h = c->packet + c->at;

    if (!whole(c))
        return drop(walk, IPV6_DROP_TRUNCATED), 0;
    /* RFC 4291 2.7: no multicast address in a routing header, and a
     * packet to one cannot have been routed through a list. */
    if (ipv6_is_multicast(c->ip->dst))
        return drop(walk, IPV6_DROP_ROUTING_TO_MULTICAST), 0;
    if (h[2] == ROUTING_SEGMENT || h[2] == ROUTING_RPL)
        return drop(walk, IPV6_DROP_ROUTING_DISABLED), 0;
    /* RFC 8200 4.4: with no segments left, an unknown type is ignored,
     * and type 0 too (RFC 5095 3); with some left, we are asked to route
     * on, which a host does not do: parameter problem at the type. */
    if (h[3] != 0)
        return problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, c->at + 2), 0;
    advance(c, ((size_t)h[1] + 1) * 8);
    return 1;
}

/* A fragment header at c->at (RFC 8200 4.5). Returns 1 to go on: an atomic
 * fragment (offset 0, M 0) is a whole packet (RFC 6946). */
static int walk_fragment(struct cursor *c, struct ipv6_walk *walk)
{
    const uint8_t *h = c->packet + c->at;

    /* A second fragment header: the packet is whole already. Linux's
     * ipv6_frag_rcv() refuses it first of all (IP6SKB_FRAGMENTED), with a
     * parameter problem pointing at it (RFC 8200 4.1: each header once). */
    if (walk->atomic_fragment)
        return problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, c->at), 0;
    /* A payload length of 0 (the length then comes from a hop-by-hop
     * jumbo option, or from what was read) forbids fragments: Linux's
     * ipv6_frag_rcv() says so next ("Jumbo payload inhibits frag.
     * header"; RFC 2675 3). */
    if (read_be16(c->packet + 4) == 0)
        return problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, c->at), 0;
    /* Linux's ipv6_frag_rcv() answers a fragment header cut short with a
     * parameter problem pointing at it. */
    if (c->at + 8 > c->end)
        return problem(walk, IPV6_PARAMETER_ERRONEOUS_FIELD, c->at), 0;
    walk->fragment.next_header = h[0];
    walk->fragment.offset = read_be16(h + 2) & 0xfff8;
    walk->fragment.more_fragments = h[3] & 1;
    walk->fragment.identification = read_be32(h + 4);
    if (walk->fragment.offset != 0 || walk->fragment.more_fragments) {
        walk->offset = c->at;
        walk->next_header_at = c->named_at;
        walk->verdict = IPV6_WALK_FRAGMENT;
        return 0;
    }
    walk->atomic_fragment = 1;
    advance(c, 8);
    return 1;
}

enum ipv6_walk_verdict ipv6_walk_headers(const struct ipv6_view *ip, struct ipv6_walk *walk)
{
    struct cursor c = {
        .ip = ip,
        .packet = ip->payload - IPV6_HEADER_LEN,
        .end = IPV6_HEADER_LEN + ip->payload_bytes,
        .at = IPV6_HEADER_LEN,
        .named_at = 6,              /* the fixed header's next header field */
        .next = ip->next_header,
    };

    memset(walk, 0, sizeof *walk);
    /* Hop-by-hop first, and only first: Linux parses it in ip6_rcv_core(),
     * before anything else (RFC 8200 4.1). */
    if (c.next == IPV6_NEXT_HOP_BY_HOP) {
        if (!whole(&c))
            return drop(walk, IPV6_DROP_TRUNCATED);
        if (!walk_options(&c, 1, walk))
            return walk->verdict;
        advance(&c, ((size_t)c.packet[c.at + 1] + 1) * 8);
        walk->headers++;
    }
    for (;;) {
        switch (c.next) {
        case IPV6_NEXT_ROUTING:
            if (!walk_routing(&c, walk))
                return walk->verdict;
            break;
        case IPV6_NEXT_DESTINATION:
            if (!whole(&c))
                return drop(walk, IPV6_DROP_TRUNCATED);
            if (!walk_options(&c, 0, walk))
                return walk->verdict;
            advance(&c, ((size_t)c.packet[c.at + 1] + 1) * 8);
            break;
        case IPV6_NEXT_FRAGMENT:
            if (!walk_fragment(&c, walk))
                return walk->verdict;
            break;
        case IPV6_NEXT_NONE:
            walk->offset = c.at;
            walk->next_header_at = c.named_at;
            return walk->verdict = IPV6_WALK_NO_NEXT_HEADER;
        default:
            /* Hop-by-hop here is not first: like any number we do not
             * handle, it is the upper layer's to refuse (code 1). */
            walk->protocol = c.next;
            walk->offset = c.at;
            walk->next_header_at = c.named_at;
            return walk->verdict = IPV6_WALK_UPPER;
        }
        walk->headers++;
    }
}

const char *ipv6_next_header_name(uint8_t next_header)
{
    switch (next_header) {
    case IPV6_NEXT_HOP_BY_HOP: return "hop-by-hop options";
    case IPV6_NEXT_TCP: return "TCP";
    case IPV6_NEXT_UDP: return "UDP";
    case IPV6_NEXT_ROUTING: return "routing";
    case IPV6_NEXT_FRAGMENT: return "fragment";
    case 50: return "ESP";
    case 51: return "AH";
    case IPV6_NEXT_ICMPV6: return "ICMPv6";
    case IPV6_NEXT_NONE: return "no next header";
    case IPV6_NEXT_DESTINATION: return "destination options";
    case 136: return "UDP-Lite";
    default: return "unknown";
    }
}

static const char *drop_reason_text(enum ipv6_drop_reason reason)
{
    switch (reason) {
    case IPV6_DROP_NONE: return "no reason";
    case IPV6_DROP_TRUNCATED: return "an extension header runs past the payload";
    case IPV6_DROP_UNKNOWN_OPTION: return "an unknown option says discard";
    case IPV6_DROP_BAD_PADDING: return "padding longer than 7 bytes, or not zeros";
    case IPV6_DROP_OPTION_PAST_END: return "an option runs past its header";
    case IPV6_DROP_TOO_MANY_OPTIONS: return "more than 8 options in one header";
    case IPV6_DROP_ROUTING_TO_MULTICAST: return "a routing header to a multicast address";
    case IPV6_DROP_ROUTING_DISABLED: return "segment routing (type 3 or 4), disabled as in Linux";
    case IPV6_DROP_BAD_OPTION:
        return "a router alert, jumbo payload or IOAM option of the wrong length or alignment";
    case IPV6_DROP_CALIPSO: return "a CALIPSO security label, and this host knows no such domain";
    case IPV6_DROP_JUMBO_TRUNCATED: return "a jumbo payload longer than the packet";
    }
    return "no reason";
}

void ipv6_walk_explain(FILE *out, const struct ipv6_walk *walk)
{
    switch (walk->verdict) {
    case IPV6_WALK_UPPER:
        fprintf(out, "%s (%u) at byte %zu", ipv6_next_header_name(walk->protocol),
                walk->protocol, walk->offset);
        break;
    case IPV6_WALK_NO_NEXT_HEADER:
        fprintf(out, "no next header at byte %zu: nothing to deliver", walk->offset);
        break;
    case IPV6_WALK_FRAGMENT:
        fprintf(out, "fragment id 0x%08x offset %u%s", walk->fragment.identification,
                walk->fragment.offset, walk->fragment.more_fragments ? " more" : "");
        break;
    case IPV6_WALK_PARAMETER_PROBLEM:
        fprintf(out, "parameter problem code %u pointer %u", walk->code, walk->pointer);
        break;
    case IPV6_WALK_DROP:
        fprintf(out, "dropped: %s", drop_reason_text(walk->drop_reason));
        break;
    }
}

int ipv6_is_unspecified(const uint8_t address[16])
{
    static const uint8_t ZERO[16];
    return memcmp(address, ZERO, 16) == 0;
}

/* RFC 5952: lower case, no leading zeros, the longest run of two or more
 * zero groups (the first if two tie) as "::". */
void ipv6_print_address(FILE *out, const uint8_t address[16])
{
    int best = -1, best_len = 0;

    for (int i = 0; i < 8;) {
        int run = 0;
        while (i + run < 8 && read_be16(address + 2 * (i + run)) == 0)
            run++;
        if (run > best_len && run >= 2) {
            best = i;
            best_len = run;
        }
        i += run ? run : 1;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            fputs("::", out);
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            fputc(':', out);
        fprintf(out, "%x", read_be16(address + 2 * i));
    }
}

size_t ipv6_write_header(uint8_t *out, const struct ipv6_header_fields *fields)
{
    write_be32(out, 6u << 28 | (uint32_t)fields->traffic_class << 20 |
                    (fields->flow_label & 0xfffff));
    write_be16(out + 4, (uint16_t)fields->payload_len);
    out[6] = fields->next_header;
    out[7] = fields->hop_limit;
    memcpy(out + 8, fields->src, 16);
    memcpy(out + 24, fields->dst, 16);
    return IPV6_HEADER_LEN;
}
