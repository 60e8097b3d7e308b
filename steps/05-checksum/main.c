/*
 * Step 05: the Internet checksum.
 *
 * The last thing the reply lacks is its ICMP checksum (RFC 792): the one's
 * complement of the one's complement sum of the whole ICMP message, taken
 * with the checksum field at zero (RFC 1071; common/checksum.c). A receiver
 * that adds up the message, checksum included, must then get 0xffff.
 *
 * With it, both kinds of ping are answered, Wireshark calls the checksum
 * good, and the reply's ICMP bytes are those the Linux kernel itself sends.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "checksum.h"
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
    write_be16(icmp + 2, 0);                        /* zero while we sum */
    write_be16(icmp + 4, request->identifier);
    write_be16(icmp + 6, request->sequence);
    memcpy(icmp + ICMP_ECHO_HEADER_LEN, request->data, request->data_len);  /* RFC 792 */
    /* [exercise 05: write the Internet checksum of the whole ICMP message into bytes 2-3] */
    write_be16(icmp + 2, inet_checksum(icmp, icmp_len));   /* over the whole message */
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
        .name = "05-checksum",
        .summary = "Step 05: answers ICMP echo requests on a tun device correctly: the "
                   "request's data and the RFC 1071 checksum.",
        .handle = handle_packet,
    };
    return step_run(&step, argc, argv);
}
