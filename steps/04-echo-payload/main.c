/*
 * Step 04: give the data back.
 *
 * Step 03's zeros made ping complain: `wrong data byte #16`, and a round trip
 * time of decades. ping puts the time it sent the request in the first bytes
 * of the data and a known pattern after it, and reads both back from the
 * reply. RFC 792 says it in one line: "The data received in the echo message
 * must be returned in the echo reply message." So this step copies it.
 *
 * The ICMP checksum is still 0. A raw-socket ping does not check it and is
 * happy; the kernel does check it for an unprivileged ping, which sees
 * nothing; Wireshark flags it.
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
    /* [exercise 04: give the request's data back, all request->data_len bytes of it (RFC 792)] */
    memcpy(icmp + ICMP_ECHO_HEADER_LEN, request->data, request->data_len);  /* RFC 792 */
    /* [starter] memset(icmp + ICMP_ECHO_HEADER_LEN, 0, request->data_len); */
    /* [end exercise] */
    return IPV4_MIN_HEADER_LEN + icmp_len;
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
        .name = "04-echo-payload",
        .summary = "Step 04: answers ICMP echo requests on a tun device with the request's "
                   "data, but still with ICMP checksum 0.",
        .handle = handle_packet,
    };
    return step_run(&step, argc, argv);
}
