/*
 * Step 01: open a TUN device and look at what arrives.
 *
 * The plain program the post starts from. A TUN device is a network
 * interface whose other end is a file descriptor: every IP packet the kernel
 * routes to tun0 comes out of read(). This step creates tun0, reads forever,
 * and prints each packet as `hexdump -C` would. It answers nothing, and a
 * signal (Ctrl-C) simply ends it: step 02 moves this loop into
 * common/runner.c, which stops cleanly, records and replays captures.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hexdump.h"
#include "tun.h"

/* One read() returns one whole packet, and cuts it short without a word if
 * the buffer is smaller: 65535 is the most an IPv4 total length can say. */
static uint8_t packet[65535];

static void print_packet(FILE *out, const uint8_t *bytes, size_t len)
{
    fprintf(out, "read %zu bytes\n", len);
    hexdump(out, bytes, len);
    fflush(out);            /* a signal ends us: print each packet at once */
}

/* The device's name: tun0, or NAME after -i, the one option this step takes
 * (the lab and the tests pass step 02's options too; we say we ignore them).
 * Linux refuses an empty name, a longer one than IFNAMSIZ - 1, and '/', ':'
 * or white space in it; a '%' would ask it to choose a number for us. */
static const char *interface_name(int argc, char **argv)
{
    const char *name = "tun0";
    int used = 1;                           /* argv[0], and -i NAME if given */

    if (argc >= 2 && strcmp(argv[1], "-i") == 0) {
        if (argc == 2) {
            fprintf(stderr, "01-open-tun: -i needs a name, for example -i tun0.\n");
            return NULL;
        }
        name = argv[2];
        used = 3;
    }
    if (argc > used)
        fprintf(stderr, "01-open-tun: ignored all but -i IFNAME: the other options come with step 02.\n");
    if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ || strcspn(name, "/:% \t\n") != strlen(name)) {
        fprintf(stderr, "01-open-tun: '%s' cannot be an interface name: use 1 to %d letters, "
                "digits, '-', '_' or '.', for example -i tun0.\n", name, IFNAMSIZ - 1);
        return NULL;
    }
    return name;
}

int main(int argc, char **argv)
{
    const char *name = interface_name(argc, argv);
    char why[512];

    if (!name)
        return 2;
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) {
        tun_explain_open_error(errno, why, sizeof why);
        fprintf(stderr, "01-open-tun: %s\n", why);
        return 1;
    }
    /* [exercise 01: fill an ifreq with the name and IFF_TUN | IFF_NO_PI (IP packets, no 4-byte prefix), and ask the kernel to create the device with ioctl(fd, TUNSETIFF, ...); on failure, tun_explain_create_error() says why] */
    struct ifreq request = {.ifr_flags = IFF_TUN | IFF_NO_PI};
    memcpy(request.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        tun_explain_create_error(errno, name, why, sizeof why);
        fprintf(stderr, "01-open-tun: %s\n", why);
        return 1;
    }
    /* [starter] fprintf(stderr, "01-open-tun: the device is not created yet: see the TODO in main.c.\n"); */
    /* [starter] return 1; */
    /* [end exercise] */
    fprintf(stderr, "01-open-tun: reading %s (Ctrl-C to stop)\n", name);
    for (;;) {
        ssize_t n = read(fd, packet, sizeof packet);
        if (n < 0) {
            fprintf(stderr, "01-open-tun: reading %s failed (%s).\n", name, strerror(errno));
            return 1;
        }
        print_packet(stdout, packet, (size_t)n);
    }
}
