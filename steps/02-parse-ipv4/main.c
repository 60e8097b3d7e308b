/*
 * Step 02: read the IPv4 header.
 *
 * The bytes of step 01 start with an IPv4 header (RFC 791): addresses, the
 * protocol of the payload, lengths, a TTL. This step parses it and prints one
 * line per packet. What it cannot parse (the IPv6 packets the kernel sends on
 * a fresh tun, short or malformed headers) gets one line saying why.
 * It still answers nothing.
 */
#include <stdint.h>
#include <stdio.h>

#include "ipv4.h"
#include "runner.h"

/* One line: 192.0.2.1 -> 192.0.2.2 ICMP (1), total length 84, TTL 64, ... */
static void print_ipv4_summary(FILE *log, const struct ipv4_view *ip)
{
    ipv4_print_address(log, ip->src);
    fputs(" -> ", log);
    ipv4_print_address(log, ip->dst);
    fprintf(log, " %s (%u), total length %u, TTL %u, header %zu bytes",
            ipv4_protocol_name(ip->protocol), ip->protocol, ip->total_len, ip->ttl,
            ip->header_len);
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct ipv4_view ip;
    (void)reply;

    enum ipv4_status status = ipv4_parse(packet, len, &ip);
    if (status != IPV4_OK) {
        ipv4_explain(log, status, packet, len);
        fputc('\n', log);
        return 0;
    }
    print_ipv4_summary(log, &ip);
    if (ip.protocol != IPV4_PROTOCOL_ICMP)
        fputs(": ignored, not ICMP", log);
    fputc('\n', log);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "02-parse-ipv4",
        .summary = "Step 02: creates a tun device and prints one line per IPv4 packet it "
                   "reads, and why it ignores the rest. It answers nothing.",
        .handle = handle_packet,
    };
    return step_run(&step, argc, argv);
}
