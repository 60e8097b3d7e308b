/*
 * bench: what one step's packet function costs per packet, built once per
 * step with -DSTEP_SOURCE='"NN-name/main.c"' (see `make bench`).
 *
 *   bench REQUEST.pcap N
 *
 * Calls the step's handle_packet() N times on the first packet of the
 * capture and prints the nanoseconds per call. Under
 * `valgrind --tool=callgrind` the same run counts instructions instead,
 * which, unlike time, does not depend on what else the machine is doing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int step_main(int argc, char **argv);
#define main step_main
#include STEP_SOURCE
#undef main

#include "pcapfile.h"

#ifdef STEP_HOST
/* Step 06 on answers only its own addresses: the lab's, as the runner
 * gives them when no --address is said (without them, every call would
 * measure a refusal). */
static int give_lab_addresses(char *why, size_t why_len)
{
    if (host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, why, why_len) < 0)
        return -1;
#ifdef HOST_DEFAULT_ADDRESS6
    if (STEP_HOST.count6 == 0 && host_add_address6(&STEP_HOST, HOST_DEFAULT_ADDRESS6, why,
                                                   why_len) < 0)
        return -1;
#endif
    return 0;
}
#endif

#ifdef STEP_LINK
/* Step 10 on sends through its link: here, counted and dropped. */
static size_t sent;
static void count_sent(void *context, const uint8_t *packet, size_t len, FILE *log)
{
    (void)context;
    (void)packet;
    (void)len;
    (void)log;
    sent++;
}
#endif

int main(int argc, char **argv)
{
    static uint8_t request[STEP_MAX_PACKET], reply[STEP_MAX_REPLY];
    char why[512] = "";

    if (argc != 3) {
        fprintf(stderr, "usage: bench REQUEST.pcap N\n");
        return 2;
    }
    long request_len = pcap_read_first(argv[1], request, sizeof request, why, sizeof why);
    if (request_len < 0) {
        fprintf(stderr, "bench: %s\n", why);
        return 1;
    }
#ifdef STEP_HOST
    if (give_lab_addresses(why, sizeof why) < 0) {
        fprintf(stderr, "bench: %s\n", why);
        return 1;
    }
#endif
    long n = atol(argv[2]);
    FILE *sink = fopen("/dev/null", "w");
    struct timespec start, end;
    size_t replied = 0;
#ifdef STEP_LINK
    STEP_LINK.mtu = 1500;
    STEP_LINK.send = count_sent;
#endif

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++)
        replied += handle_packet(request, (size_t)request_len, reply, sink) > 0;
#ifdef STEP_LINK
    replied += sent;
#endif
    clock_gettime(CLOCK_MONOTONIC, &end);

    /* A figure for a packet the step refused would be the cost of the
     * refusal: say so instead. */
    if (replied != (size_t)n) {
        fprintf(stderr, "bench: %zu replies to %ld requests: the step did not answer %s, so "
                "there is no reply to time.\n", replied, n, argv[1]);
        return 1;
    }
    double ns = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
    printf("%.0f ns per packet (%ld packets, %zu replies)\n", ns / (double)n, n, replied);
    fclose(sink);
    return 0;
}
