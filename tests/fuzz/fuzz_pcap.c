/*
 * libFuzzer target: a capture given to --replay. The input is the file:
 * whatever it holds (a damaged header, an unknown link type, Ethernet, VLAN
 * and cooked frames that carry no IP, records cut short, records of more
 * than 65535 bytes), the pcap reader must say why it stops, or hand over
 * each IP packet and say what it skipped, and step 06 must answer each one safely,
 * with the clock stopped so that a run can be repeated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int step_main(int argc, char **argv);
#define main step_main
#include "08-least-privilege/main.c"
#undef main

#include "pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t stopped_clock(void)
{
    return 12345678;
}

/* A record that holds no IP packet (ARP in an Ethernet frame, say) is
 * skipped with a word about it, as --replay says it. */
static void skipped(void *context, unsigned long record, const char *what)
{
    (void)context;
    if (record == 0 || what == NULL || what[0] == '\0')
        __builtin_trap();
}

static int answer(void *context, const struct timeval *when, const uint8_t *packet, size_t len)
{
    static uint8_t reply[STEP_MAX_PACKET];
    (void)when;
    size_t reply_len = handle_packet(packet, len, reply, context);
    if (reply_len > STEP_MAX_PACKET || (reply_len > 0 && reply_len > len))
        __builtin_trap();           /* a reply is never longer than the request */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    char path[64], why[512] = "";
    int fd = memfd_create("fuzz.pcap", 0);

    if (fd < 0)
        return 0;
    if (!sink)
        sink = fopen("/dev/null", "w");
    STEP_CLOCK = stopped_clock;
    if (STEP_HOST.count == 0)
        host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, NULL, 0);
    if (write(fd, data, size) == (ssize_t)size) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (pcap_read_ip_packets(path, answer, skipped, sink, why, sizeof why) < 0 &&
            why[0] == '\0')
            __builtin_trap();       /* a refusal says why */
        uint8_t first[64];          /* the first packet, cut to fit */
        why[0] = '\0';
        long len = pcap_read_first(path, first, sizeof first, why, sizeof why);
        if ((len < 0 && why[0] == '\0') || len > (long)sizeof first)
            __builtin_trap();
    }
    close(fd);
    return 0;
}
