#include "echo.h"

#include "bytes.h"

int echo_request_parse(const uint8_t *packet, size_t len,
                       struct ipv4_view *ip, struct icmp_view *icmp, FILE *log)
{
    enum ipv4_status status = ipv4_parse(packet, len, ip);
    if (status != IPV4_OK) {
        ipv4_explain(log, status, packet, len);
        fputc('\n', log);
        return 0;
    }
    if (ip->protocol != IPV4_PROTOCOL_ICMP) {
        fprintf(log, "ignored: %s (%u) from ", ipv4_protocol_name(ip->protocol), ip->protocol);
        ipv4_print_address(log, ip->src);
        fputs(", not ICMP\n", log);
        return 0;
    }
    /* A fragment holds only part of the ICMP message: answering it would
     * echo a piece of the data under a header that claims it is all. */
    if (ip->more_fragments || ip->fragment_offset != 0) {
        fprintf(log, "ignored: fragment from ");
        ipv4_print_address(log, ip->src);
        fprintf(log, " (offset %u, %s), this step does not reassemble\n",
                ip->fragment_offset, ip->more_fragments ? "more follow" : "the last");
        return 0;
    }
    if (icmp_parse(ip->payload, ip->payload_len, icmp) < 0) {
        fprintf(log, "ignored: ICMP message of %zu bytes from ", ip->payload_len);
        ipv4_print_address(log, ip->src);
        fputs(", shorter than the 8-byte echo header\n", log);
        return 0;
    }
    /* Answer requests only. Answering an echo reply (or an error) with a
     * reply could start two responders bouncing packets forever. */
    if (icmp->type != ICMP_ECHO_REQUEST) {
        fprintf(log, "ignored: ICMP %s (type %u) from ", icmp_type_name(icmp->type), icmp->type);
        ipv4_print_address(log, ip->src);
        fputs(", we answer echo requests only\n", log);
        return 0;
    }
    return 1;
}

void echo_log_reply(FILE *log, const struct ipv4_view *ip, const struct icmp_view *request,
                    const uint8_t *reply, size_t reply_len)
{
    size_t header_len = reply_len > 0 ? (size_t)(reply[0] & 0x0f) * 4 : 0;

    fputs("echo request ", log);
    ipv4_print_address(log, ip->src);
    fputs(" -> ", log);
    ipv4_print_address(log, ip->dst);
    fprintf(log, " id %u seq %u, %zu data bytes: ", request->identifier, request->sequence,
            request->data_len);
    if (reply_len < header_len + ICMP_ECHO_HEADER_LEN || header_len == 0)
        fputs("no reply written\n", log);
    else
        fprintf(log, "replied, ICMP checksum 0x%04x\n", read_be16(reply + header_len + 2));
}
