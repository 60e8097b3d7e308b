/*
 * libFuzzer target: one step's packet function, built once per step with
 * -DSTEP_SOURCE='"NN-name/main.c"'. Whatever the bytes, the step must not
 * crash or read out of bounds, and a reply it sends must be an IPv4 packet
 * the kernel would take: a header checksum that verifies, a total length
 * equal to what it wrote, and an echo reply inside.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int step_main(int argc, char **argv);
#define main step_main
#include STEP_SOURCE
#undef main

#include "bytes.h"
#include "checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef STEP_CLOCK
/* A step that reads the clock reads this one: the same input, the same
 * reply, so that a finding can be replayed. */
static uint32_t stopped_clock(void)
{
    return 12345678;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    static uint8_t reply[STEP_MAX_PACKET];

    if (!sink)
        sink = fopen("/dev/null", "w");
#ifdef STEP_CLOCK
    STEP_CLOCK = stopped_clock;
#endif
#ifdef STEP_HOST
    /* The lab's address, as the runner gives it when --address is left
     * out, and a second one in another subnet, so that the seeds
     * (scripts/make-fuzz-seeds.sh: address-*) reach every kind of address. */
    if (STEP_HOST.count == 0) {
        host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, NULL, 0);
        host_add_address(&STEP_HOST, "198.51.100.7/24", NULL, 0);
    }
#endif
    /* Larger than any tun read, but --replay can deliver it: a capture's
     * record may hold more than 65535 bytes. */
    size_t reply_len = handle_packet(data, size, reply, sink);
    if (reply_len == 0)
        return 0;
    size_t header_len = (size_t)(reply[0] & 0x0f) * 4;
    if (reply_len > size || reply_len < header_len + 8 || (reply[0] >> 4) != 4 ||
        read_be16(reply + 2) != reply_len || !inet_checksum_ok(reply, header_len) ||
        reply[header_len] != 0)
        __builtin_trap();
    return 0;
}
