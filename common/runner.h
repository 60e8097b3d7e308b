/* What every step's main() hands its packet function to: the command line,
 * the tun device (or a capture to replay), the read-reply loop, Ctrl-C. */
#ifndef ICMP_STEPS_RUNNER_H
#define ICMP_STEPS_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"
#include "ratelimit.h"
#include "reassembly.h"

/* The largest IP packet a tun read() can return, and so the size of the
 * buffers a step reads into. A reply may be longer: IPv6's payload length
 * counts only what follows its 40-byte header, so a request made whole
 * from fragments can carry an ICMPv6 message of 65535 bytes, and the echo
 * reply that returns it is 40 + 65535 bytes (Linux sends it, in
 * fragments). The reply buffer has room for that. */
enum { STEP_MAX_PACKET = 65535, STEP_MAX_REPLY = 40 + 65535 };

/*
 * A step's packet logic, a pure function over bytes: it reads the `len`
 * bytes of `packet`, writes what it has to say to `log` (whole lines: one
 * line, or a hex dump), and returns the length of the reply it wrote to `reply` (which has
 * room for STEP_MAX_REPLY bytes), or 0 to send nothing.
 */
typedef size_t (*step_handler)(const uint8_t *packet, size_t len,
                               uint8_t *reply, FILE *log);

/*
 * From step 10 on, one packet read may call for several packets out (a
 * reply cut into fragments), and time alone for one (a reassembly that
 * timed out): such a step sends through its link, and its handler
 * returns 0.
 */
struct step_link {
    unsigned mtu;                   /* the tun's MTU, read before the first packet
                                       and again at most once a second, so that
                                       `ip link set tun0 mtu N` is followed
                                       (--replay: 1500, a tun's default) */
    /* Writes one packet to the tun (records it with --pcap, counts it as a
     * reply); a write the kernel refuses is said in one line on `log`. */
    void (*send)(void *context, const uint8_t *packet, size_t len, FILE *log);
    void *context;                  /* the runner's */
};

struct step {
    const char *name;               /* "05-checksum" */
    const char *summary;            /* one sentence for --help */
    step_handler handle;
    /* Optional, from step 06 on: */
    void (*report)(FILE *out);      /* counters: on SIGUSR1 and at exit */
    struct host *host;              /* filled from --address before the first
                                       packet (default HOST_DEFAULT_ADDRESS) */
    /* From step 08 on: */
    int drops_privileges;           /* become --user once the tun is open */
    /* From step 09 on: */
    struct ratelimit_settings *ratelimit;   /* filled from --icmp-ratelimit,
                                               --icmp-msgs-per-sec, --icmp-msgs-burst
                                               (default Linux's) before the first packet */
    /* From step 10 on: */
    struct step_link *link;         /* filled by the runner before the first packet */
    int (*expire)(FILE *log);       /* does what is due now (a reassembly timed
                                       out); returns the milliseconds until
                                       something is due again, -1: nothing is */
    struct reassembly_settings *reassembly;  /* filled from --ipfrag-time and
                                                --ipfrag-high-thresh (default
                                                Linux's) before the first packet */
    /* From step 11 on: */
    int speaks_ipv6;                /* `host` takes IPv6 addresses too (default
                                       HOST_DEFAULT_ADDRESS6 beside the IPv4 one) */
};

/* Runs `step` as its command line says; returns main()'s exit status. */
int step_run(const struct step *step, int argc, char **argv);

#endif
