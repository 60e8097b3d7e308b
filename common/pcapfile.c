#include "pcapfile.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Link types, as numbered by libpcap's DLT_ constants. */
enum {
    LINK_ETHERNET = DLT_EN10MB,
    LINK_RAW = DLT_RAW,
    LINK_IPV4 = DLT_IPV4,
    LINK_IPV6 = DLT_IPV6,
    LINK_LINUX_SLL = DLT_LINUX_SLL,
    LINK_LINUX_SLL2 = DLT_LINUX_SLL2,
};

enum { SNAPSHOT_LENGTH = 65535 };

struct pcap_writer {
    pcap_t *handle;
    pcap_dumper_t *dumper;
};

struct pcap_writer *pcap_writer_open(const char *path, char *why, size_t why_len)
{
    struct pcap_writer *writer = calloc(1, sizeof *writer);
    if (!writer) {
        snprintf(why, why_len, "out of memory opening %s.", path);
        return NULL;
    }
    writer->handle = pcap_open_dead(LINK_RAW, SNAPSHOT_LENGTH);
    writer->dumper = writer->handle ? pcap_dump_open(writer->handle, path) : NULL;
    if (!writer->dumper) {
        snprintf(why, why_len, "cannot write the capture %s: %s.", path,
                 writer->handle ? pcap_geterr(writer->handle) : "libpcap failed");
        pcap_writer_close(writer);
        return NULL;
    }
    return writer;
}

int pcap_writer_add(struct pcap_writer *writer, const struct timeval *when,
                    const uint8_t *packet, size_t len)
{
    struct pcap_pkthdr header = {.ts = *when, .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};

    pcap_dump((u_char *)writer->dumper, &header, packet);
    /* Flush per packet: Wireshark may read the file while we still run, and
     * a Ctrl-C must not lose the last packets. */
    return pcap_dump_flush(writer->dumper);
}

void pcap_writer_close(struct pcap_writer *writer)
{
    if (!writer)
        return;
    if (writer->dumper)
        pcap_dump_close(writer->dumper);
    if (writer->handle)
        pcap_close(writer->handle);
    free(writer);
}

/* How many bytes of link header come before the IP packet, or -1 when we do
 * not know the link type. */
static long link_header_len(int link_type)
{
    switch (link_type) {
    case LINK_RAW:
    case LINK_IPV4:
    case LINK_IPV6:
        return 0;
    case LINK_ETHERNET:
        return 14;
    case LINK_LINUX_SLL:
        return 16;
    case LINK_LINUX_SLL2:
        return 20;
    default:
        return -1;
    }
}

struct first_packet {
    uint8_t *packet;
    size_t room, len;
    int found;
};

static int keep_first(void *context, const struct timeval *when, const uint8_t *packet, size_t len)
{
    struct first_packet *first = context;

    (void)when;
    first->len = len < first->room ? len : first->room;
    memcpy(first->packet, packet, first->len);
    first->found = 1;
    return 1;                       /* one is enough: stop reading */
}

long pcap_read_first(const char *path, uint8_t *packet, size_t room, char *why, size_t why_len)
{
    struct first_packet first = {.packet = packet, .room = room};

    if (pcap_read_packets(path, keep_first, &first, why, why_len) < 0)
        return -1;
    if (!first.found) {
        snprintf(why, why_len, "%s holds no packet.", path);
        return -1;
    }
    return (long)first.len;
}

int pcap_read_packets(const char *path, pcap_packet_fn each, void *context,
                      char *why, size_t why_len)
{
    char error[PCAP_ERRBUF_SIZE] = "";
    pcap_t *handle = pcap_open_offline(path, error);
    struct pcap_pkthdr *header;
    const u_char *data;
    int status, result = 0;

    if (!handle) {
        snprintf(why, why_len, "cannot read the capture %s: %s.", path, error);
        return -1;
    }
    long skip = link_header_len(pcap_datalink(handle));
    if (skip < 0) {
        snprintf(why, why_len, "%s has link type %s, which we cannot read: capture on a "
                 "tun device or save as raw IP.", path,
                 pcap_datalink_val_to_name(pcap_datalink(handle)));
        pcap_close(handle);
        return -1;
    }

    while ((status = pcap_next_ex(handle, &header, &data)) == 1) {
        /* A record shorter than its link header carries no IP packet at all;
         * hand the step an empty packet so that it says so. */
        size_t len = header->caplen > (bpf_u_int32)skip ? header->caplen - (size_t)skip : 0;
        result = each(context, &header->ts, data + (len ? skip : 0), len);
        if (result != 0)
            break;
    }
    if (status == PCAP_ERROR) {
        snprintf(why, why_len, "%s is damaged: %s.", path, pcap_geterr(handle));
        result = -1;
    }
    pcap_close(handle);
    return result;
}
