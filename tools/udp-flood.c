/*
 * udp-flood: the amplification question of `make bench`. It sends UDP
 * datagrams to closed ports of one address at a fixed rate, for a fixed
 * time, from one or more source addresses, and counts the ICMP port
 * unreachables that come back:
 *
 *   udp-flood [-r RATE] [-t SECONDS] [-n SOURCES -f FIRST-SOURCE] ADDRESS
 *
 * An open loop on purpose: a flooder does not wait for answers. With -n,
 * datagram i goes from FIRST-SOURCE + (i mod SOURCES) (each address must be
 * one of this host's: the bench gives them to the link), which is what a
 * host's per-destination limit cannot stop and its global one must. The
 * errors are counted on a raw ICMP socket (root, or CAP_NET_RAW), which
 * sees every ICMP message that reaches this host; an error counts when it
 * comes from ADDRESS and is a port unreachable (type 3, code 3). The last
 * line:
 *
 *   sent N (N/s), errors N (N/s), N errors a datagram
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/icmp.h>

enum { MAX_SOURCES = 1024, MAX_RATE = 1000000, FIRST_PORT = 33434, PORTS = 1000, LATE_MS = 500 };

struct flood {
    int sockets[MAX_SOURCES];       /* one UDP socket a source address */
    int sources;
    int icmp;                       /* the raw socket the errors arrive on */
    struct in_addr target;
    unsigned long sent, errors;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Every ICMP message waiting on the raw socket: count the port unreachables
 * from the target. */
static void count_errors(struct flood *f, int wait_ms)
{
    static uint8_t packet[65536];
    struct pollfd readable = {.fd = f->icmp, .events = POLLIN};

    if (poll(&readable, 1, wait_ms) <= 0)
        return;
    ssize_t n;
    while ((n = recv(f->icmp, packet, sizeof packet, MSG_DONTWAIT)) > 0) {
        if (n < 20 || (packet[0] >> 4) != 4)
            continue;
        size_t header_len = (size_t)(packet[0] & 0x0f) * 4;
        if ((size_t)n < header_len + 8 || memcmp(packet + 12, &f->target, 4) != 0)
            continue;
        if (packet[header_len] == ICMP_DEST_UNREACH && packet[header_len + 1] == ICMP_PORT_UNREACH)
            f->errors++;
    }
}

/* Datagram number `i`: from source i mod SOURCES, to one of PORTS ports. */
static int send_datagram(struct flood *f, unsigned long i)
{
    static const char data[] = "anyone there?";
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = f->target,
                             .sin_port = htons((uint16_t)(FIRST_PORT + i % PORTS))};

    if (sendto(f->sockets[i % (unsigned long)f->sources], data, sizeof data - 1, 0,
               (struct sockaddr *)&to, sizeof to) < 0)
        return errno == ENOBUFS || errno == EAGAIN ? 0 : -1;  /* a full queue drops, as a wire would */
    f->sent++;
    return 0;
}

/* One UDP socket for each source address (or one, unbound, without -n). */
static int open_sources(struct flood *f, const struct in_addr *first)
{
    for (int s = 0; s < f->sources; s++) {
        f->sockets[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (f->sockets[s] < 0) {
            fprintf(stderr, "udp-flood: cannot open a UDP socket (%s)\n", strerror(errno));
            return -1;
        }
        if (!first)
            continue;
        struct sockaddr_in from = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(ntohl(first->s_addr) + (uint32_t)s)};
        if (bind(f->sockets[s], (struct sockaddr *)&from, sizeof from) < 0) {
            fprintf(stderr, "udp-flood: cannot send from %s (%s): give this host the addresses "
                    "-f and -n name.\n", inet_ntoa(from.sin_addr), strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: udp-flood [-r RATE 1..%d] [-t SECONDS] [-n SOURCES 1..%d -f FIRST-SOURCE] "
            "IPV4-ADDRESS\n", MAX_RATE, MAX_SOURCES);
    return 2;
}

int main(int argc, char **argv)
{
    static struct flood f;
    long rate = 10000, sources = 1;
    double seconds = 2;
    const char *first = NULL;
    struct in_addr first_address;
    int option;

    while ((option = getopt(argc, argv, "r:t:n:f:")) != -1) {
        if (option == 'r')
            rate = strtol(optarg, NULL, 10);
        else if (option == 't')
            seconds = strtod(optarg, NULL);
        else if (option == 'n')
            sources = strtol(optarg, NULL, 10);
        else if (option == 'f')
            first = optarg;
        else
            return usage();
    }
    if (optind != argc - 1 || rate < 1 || rate > MAX_RATE || !(seconds > 0) || sources < 1 ||
        sources > MAX_SOURCES || (sources > 1 && !first))
        return usage();
    if (inet_pton(AF_INET, argv[optind], &f.target) != 1 ||
        (first && inet_pton(AF_INET, first, &first_address) != 1)) {
        fprintf(stderr, "udp-flood: '%s' is not an IPv4 address: give one such as 192.0.2.2.\n",
                first && inet_pton(AF_INET, first, &first_address) != 1 ? first : argv[optind]);
        return 2;
    }
    f.icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (f.icmp < 0) {
        fprintf(stderr, "udp-flood: cannot open a raw ICMP socket (%s): run it as root.\n",
                strerror(errno));
        return 1;
    }
    /* Only destination unreachables reach us: the kernel filters the rest. */
    struct icmp_filter filter = {.data = ~(1u << ICMP_DEST_UNREACH)};
    setsockopt(f.icmp, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
    f.sources = (int)sources;
    if (open_sources(&f, first ? &first_address : NULL) < 0)
        return 1;

    /* Datagram i leaves at start + i / rate: a fixed rate, whatever comes back. */
    double start = now_s(), end = start + seconds;
    for (unsigned long i = 0;; i++) {
        double due = start + (double)i / (double)rate, now = now_s();
        if (due >= end)
            break;
        if (due > now)
            count_errors(&f, (int)((due - now) * 1000));  /* 0 ms: just what is there */
        if (send_datagram(&f, i) < 0) {
            fprintf(stderr, "udp-flood: sending failed (%s)\n", strerror(errno));
            return 1;
        }
    }
    double elapsed = now_s() - start;
    for (double until = now_s() + LATE_MS / 1000.0; now_s() < until;)
        count_errors(&f, 50);       /* the errors still on their way */
    printf("sent %lu (%.0f/s), errors %lu (%.0f/s), %.4f errors a datagram\n", f.sent,
           (double)f.sent / elapsed, f.errors, (double)f.errors / elapsed,
           f.sent ? (double)f.errors / (double)f.sent : 0.0);
    return 0;
}
