/*
 * Step 03: send a reply, the naive way.
 *
 * An echo reply (RFC 792) is the request sent back: the addresses swapped,
 * ICMP type 8 (echo request) turned into 0 (echo reply), the identifier and
 * the sequence number kept so ping can match it. This step does what the
 * original post first did: it gets those right but sends zeros instead of the
 * request's data and leaves the ICMP checksum 0.
 *
 * The IPv4 header checksum, though, is right from the start: the kernel
 * silently drops a packet with a bad one, and ping would show nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "echo.h"
#include "runner.h"

enum { REPLY_TTL = 64 };

/* Writes the reply to `request` into `reply`; returns its length. */
static size_t write_echo_reply(const struct ipv4_view *ip, const struct icmp_view *request,
                               uint8_t *reply)
{
    size_t icmp_len = ICMP_ECHO_HEADER_LEN + request->data_len;
    /* [exercise 03: write an IPv4 header back to the sender (ipv4_write_header), then the ICMP echo reply: type 0, code 0, checksum 0, the request's identifier and sequence, zeros for data; return the reply's length] */
    struct ipv4_header_fields header = {
        .ttl = REPLY_TTL,
        .protocol = IPV4_PROTOCOL_ICMP,
        .payload_len = icmp_len,
    };
    memcpy(header.src, ip->dst, 4);     /* back to where it came from */
    memcpy(header.dst, ip->src, 4);
    ipv4_write_header(reply, &header);

    uint8_t *icmp = reply + IPV4_MIN_HEADER_LEN;
    icmp[0] = ICMP_ECHO_REPLY;
    icmp[1] = 0;                                    /* code */
    write_be16(icmp + 2, 0);                        /* checksum: not yet */
    write_be16(icmp + 4, request->identifier);
    write_be16(icmp + 6, request->sequence);
    memset(icmp + ICMP_ECHO_HEADER_LEN, 0, request->data_len);   /* naive: zeros */
    return IPV4_MIN_HEADER_LEN + icmp_len;
    /* [starter] (void)ip; (void)request; (void)reply; (void)icmp_len; */
    /* [starter] return 0; */
    /* [end exercise] */
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct ipv4_view ip;
    struct icmp_view request;

    if (!echo_request_parse(packet, len, &ip, &request, log))
        return 0;
    size_t reply_len = write_echo_reply(&ip, &request, reply);
    echo_log_reply(log, &ip, &request, reply, reply_len);
    return reply_len;
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "03-naive-reply",
        .summary = "Step 03: answers ICMP echo requests on a tun device the naive way: "
                   "zeros for data, ICMP checksum 0.",
        .handle = handle_packet,
    };
    return step_run(&step, argc, argv);
}
