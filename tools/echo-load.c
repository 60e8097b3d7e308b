/*
 * echo-load: the load generator of `make bench`. It keeps W echo requests
 * in flight to one address for a fixed time, like `ping -f -l W` but
 * counting exactly what a benchmark needs:
 *
 *   echo-load [-w WINDOW] [-s PAYLOAD] [-t SECONDS] [-i SLICE_MS] [-r] ADDRESS...
 *
 * A closed loop: each reply lets the next request go, so it measures how
 * many round trips a second the responder sustains with W in flight, not
 * how fast we can send. It uses a raw ICMP socket (root, or CAP_NET_RAW),
 * which sees every reply, even one with a bad checksum, so that it can
 * count bad replies instead of losing them. The last line:
 *
 *   sent N, replies N (N/s), lost N, bad N
 *
 * A request with no reply within LOST_MS is counted lost and its place in
 * the window given to a new one. A reply is bad when its ICMP checksum is
 * wrong or its data is not the request's.
 *
 * With several addresses, the time is cut in slices of SLICE_MS (100 by
 * default) and each round of slices gives one to every address, in a new
 * random order: the responders are compared within the same second, so
 * that what the machine's load does to one it does to all (on a shared
 * machine it moves a rate by a third within seconds). A slice ends when
 * its last replies are in; SECONDS is each address's share. A line for
 * each address:
 *
 *   ADDRESS: sent N, replies N (N/s), lost N, bad N
 *
 * With -r, before those, a line for each round, its rates in the order
 * the addresses were given (the bench takes their ratios round by round):
 *
 *   round: N N N
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

#include "bytes.h"
#include "checksum.h"

enum { MAX_WINDOW = 1024, MAX_PAYLOAD = 65507, LOST_MS = 200, MAX_TARGETS = 8 };

/* What one address got. */
struct tally {
    unsigned long sent, replies, lost, bad;
    double seconds;                 /* the time its slices lasted */
};

struct load {
    int fd;
    struct sockaddr_in to;
    struct tally *tally;            /* the address requests go to now */
    uint16_t id, next_seq;
    size_t payload;
    uint8_t in_flight[65536];       /* by sequence number */
    unsigned window_used;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The data of request `seq`: bytes that differ from one request to the next,
 * so that a reply carrying another request's data is caught. */
static void fill_data(uint8_t *data, size_t len, uint16_t seq)
{
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(seq + i * 7);
}

static int send_request(struct load *l)
{
    static uint8_t icmp[8 + MAX_PAYLOAD];
    uint16_t seq = l->next_seq++;

    icmp[0] = ICMP_ECHO;
    icmp[1] = 0;
    write_be16(icmp + 2, 0);
    write_be16(icmp + 4, l->id);
    write_be16(icmp + 6, seq);
    fill_data(icmp + 8, l->payload, seq);
    write_be16(icmp + 2, inet_checksum(icmp, 8 + l->payload));
    if (sendto(l->fd, icmp, 8 + l->payload, 0, (struct sockaddr *)&l->to, sizeof l->to) < 0)
        return -1;
    l->in_flight[seq] = 1;
    l->window_used++;
    l->tally->sent++;
    return 0;
}

/* One packet from the raw socket: an IPv4 header, then ICMP. */
static void take_reply(struct load *l, const uint8_t *packet, size_t len)
{
    static uint8_t expected[MAX_PAYLOAD];

    if (len < 20 || (packet[0] >> 4) != 4)
        return;
    size_t header_len = (size_t)(packet[0] & 0x0f) * 4;
    if (len < header_len + 8)
        return;
    const uint8_t *icmp = packet + header_len;
    size_t icmp_len = len - header_len;
    uint16_t seq = read_be16(icmp + 6);
    if (icmp[0] != ICMP_ECHOREPLY || read_be16(icmp + 4) != l->id || !l->in_flight[seq])
        return;                     /* not ours, or late: already counted lost */
    l->in_flight[seq] = 0;
    l->window_used--;
    l->tally->replies++;
    fill_data(expected, l->payload, seq);
    if (!inet_checksum_ok(icmp, icmp_len) || icmp_len != 8 + l->payload ||
        memcmp(icmp + 8, expected, l->payload) != 0)
        l->tally->bad++;
}

/* Nothing came back for LOST_MS: what is in flight is lost. */
static void give_up_in_flight(struct load *l)
{
    l->tally->lost += l->window_used;
    memset(l->in_flight, 0, sizeof l->in_flight);
    l->window_used = 0;
}

static void receive_for(struct load *l, int wait_ms)
{
    static uint8_t packet[65536];
    struct pollfd readable = {.fd = l->fd, .events = POLLIN};

    if (poll(&readable, 1, wait_ms) <= 0) {
        give_up_in_flight(l);
        return;
    }
    ssize_t n;
    while ((n = recv(l->fd, packet, sizeof packet, MSG_DONTWAIT)) > 0)
        take_reply(l, packet, (size_t)n);
}

static int usage(void)
{
    fprintf(stderr, "usage: echo-load [-w WINDOW 1..%d] [-s PAYLOAD 0..%d] [-t SECONDS] "
            "[-i SLICE_MS] [-r] IPV4-ADDRESS... (%d at most)\n", MAX_WINDOW, MAX_PAYLOAD, MAX_TARGETS);
    return 2;
}

/* W requests in flight to l->to until `end`, then until the last replies
 * are in (LOST_MS at most): what is in flight then is lost. */
static int load_until(struct load *l, long window, double end)
{
    double start = now_s();

    while (now_s() < end) {
        while (l->window_used < (unsigned)window)
            if (send_request(l) < 0) {
                fprintf(stderr, "echo-load: sending failed (%s)\n", strerror(errno));
                return -1;
            }
        receive_for(l, LOST_MS);
    }
    for (double until = now_s() + LOST_MS / 1000.0; l->window_used > 0 && now_s() < until;)
        receive_for(l, LOST_MS);
    give_up_in_flight(l);
    l->tally->seconds += now_s() - start;
    return 0;
}

/* -r: each address's rate in the round just ended, in the order given. */
static void print_round(const struct tally *now, const struct tally *before, int count)
{
    fputs("round:", stdout);
    for (int t = 0; t < count; t++) {
        double seconds = now[t].seconds - before[t].seconds;
        printf(" %.0f", seconds > 0 ? (double)(now[t].replies - before[t].replies) / seconds : 0);
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    static struct load l;
    static struct tally tallies[MAX_TARGETS];
    struct sockaddr_in targets[MAX_TARGETS];
    long window = 1, payload = 56, slice_ms = 100;
    double seconds = 2;
    int option, each_round = 0;

    while ((option = getopt(argc, argv, "w:s:t:i:r")) != -1) {
        if (option == 'w')
            window = strtol(optarg, NULL, 10);
        else if (option == 's')
            payload = strtol(optarg, NULL, 10);
        else if (option == 't')
            seconds = strtod(optarg, NULL);
        else if (option == 'i')
            slice_ms = strtol(optarg, NULL, 10);
        else if (option == 'r')
            each_round = 1;
        else
            return usage();
    }
    int count = argc - optind;
    if (count < 1 || count > MAX_TARGETS || window < 1 || window > MAX_WINDOW || payload < 0 ||
        payload > MAX_PAYLOAD || !(seconds > 0) || slice_ms < 1)
        return usage();
    for (int t = 0; t < count; t++) {
        targets[t] = (struct sockaddr_in){.sin_family = AF_INET};
        if (inet_pton(AF_INET, argv[optind + t], &targets[t].sin_addr) != 1) {
            fprintf(stderr, "echo-load: '%s' is not an IPv4 address: give one such as "
                    "192.0.2.2.\n", argv[optind + t]);
            return 2;
        }
    }
    l.fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (l.fd < 0) {
        fprintf(stderr, "echo-load: cannot open a raw ICMP socket (%s): run it as root.\n",
                strerror(errno));
        return 1;
    }
    /* Only echo replies reach us: the kernel filters the rest out. */
    struct icmp_filter filter = {.data = ~(1u << ICMP_ECHOREPLY)};
    setsockopt(l.fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
    l.id = (uint16_t)getpid();
    l.payload = (size_t)payload;
    srand((unsigned)getpid());

    if (count == 1) {
        l.to = targets[0];
        l.tally = &tallies[0];
        if (load_until(&l, window, now_s() + seconds) < 0)
            return 1;
    } else {
        /* Rounds of slices, one to each address in a random order, until
         * each has had its share. */
        int order[MAX_TARGETS];
        for (int t = 0; t < count; t++)
            order[t] = t;
        for (double done = 0; done < seconds; done += slice_ms / 1000.0) {
            for (int t = count - 1; t > 0; t--) {      /* Fisher-Yates */
                int u = rand() % (t + 1), kept = order[t];
                order[t] = order[u];
                order[u] = kept;
            }
            struct tally before[MAX_TARGETS];
            memcpy(before, tallies, sizeof before);
            for (int t = 0; t < count; t++) {
                l.to = targets[order[t]];
                l.tally = &tallies[order[t]];
                if (load_until(&l, window, now_s() + slice_ms / 1000.0) < 0)
                    return 1;
            }
            if (each_round)
                print_round(tallies, before, count);
        }
    }
    for (int t = 0; t < count; t++) {
        struct tally *a = &tallies[t];
        if (count > 1)
            printf("%s: ", argv[optind + t]);
        printf("sent %lu, replies %lu (%.0f/s), lost %lu, bad %lu\n", a->sent, a->replies,
               a->seconds > 0 ? (double)a->replies / a->seconds : 0, a->lost, a->bad);
    }
    return 0;
}
