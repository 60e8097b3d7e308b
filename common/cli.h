/* The command line that every step shares. */
#ifndef ICMP_STEPS_CLI_H
#define ICMP_STEPS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "host.h"
#include "ratelimit.h"

struct step_options {
    const char *ifname;             /* -i, --interface (default tun0) */
    const char *pcap_path;          /* --pcap FILE: record what we read and write */
    const char *replay_path;        /* --replay FILE: read packets from a capture */
    const char *user;               /* --user NAME: who to become (step 08 on) */
    struct host host;               /* --address A.B.C.D/N, repeated (step 06 on) */
    /* --icmp-ratelimit MS, --icmp-msgs-per-sec N, --icmp-msgs-burst N (step
     * 09 on): Linux's defaults unless given; ratelimit_given says if any was */
    struct ratelimit_settings ratelimit;
    int ratelimit_given;
    /* --ipfrag-time SECONDS, --ipfrag-high-thresh BYTES (step 10 on): how
     * long a datagram may take to be put together, and how many bytes all
     * those being put together may hold (Linux's net.ipv4.ipfrag_time and
     * ipfrag_high_thresh, whose defaults apply unless given) */
    unsigned ipfrag_time_s;
    size_t ipfrag_high_thresh;
    int ipfrag_given;
    int verbose;                    /* -v, --verbose: annotate every packet */
    int help;                       /* -h, --help */
};

/* Parses argv into `options`. Returns 0, or -1 with one sentence in `why`. */
int cli_parse(int argc, char **argv, struct step_options *options,
              char *why, size_t why_len);

/* Prints the usage text of a step called `program`. */
void cli_usage(FILE *out, const char *program, const char *summary);

#endif
