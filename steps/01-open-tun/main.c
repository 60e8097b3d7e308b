/*
 * Step 01: open a TUN device and look at what arrives.
 *
 * A TUN device is a network interface whose other end is a file descriptor:
 * every IP packet the kernel routes to tun0 comes out of read(), and every
 * packet we write() goes into the kernel as if tun0 had received it. This
 * step only reads, and prints each packet as `hexdump -C` would.
 *
 * Opening the device is in common/tun.c; the read loop in common/runner.c.
 */
#include <stdint.h>
#include <stdio.h>

#include "hexdump.h"
#include "runner.h"

/* Prints the packet; answers nothing, so ping sees 100% loss. */
static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    (void)reply;

    fprintf(log, "read %zu bytes\n", len);
    hexdump(log, packet, len);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "01-open-tun",
        .summary = "Step 01: creates a tun device and prints every packet it reads as a hex "
                   "dump. It answers nothing.",
        .handle = handle_packet,
    };
    return step_run(&step, argc, argv);
}
