/* libFuzzer target: the IPv4 and ICMP parsers, and the annotated view that
 * prints every field of whatever they accept. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "annotate.h"
#include "icmp.h"
#include "ipv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    struct ipv4_view ip;
    struct icmp_view icmp;

    if (!sink)
        sink = fopen("/dev/null", "w");
    enum ipv4_status status = ipv4_parse(data, size, &ip);
    ipv4_explain(sink, status, data, size);
    if (status == IPV4_OK) {
        /* What the parser promises: the payload lies inside what we gave. */
        if (ip.payload < data || ip.payload + ip.payload_len > data + size ||
            ip.header_len < IPV4_MIN_HEADER_LEN || ip.padding_len > size)
            __builtin_trap();
        (void)icmp_parse(ip.payload, ip.payload_len, &icmp);
    }
    annotate_packet(sink, data, size);
    return 0;
}
