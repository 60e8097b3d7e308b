/* What every step's main() hands its packet function to: the command line,
 * the tun device (or a capture to replay), the read-reply loop, Ctrl-C. */
#ifndef ICMP_STEPS_RUNNER_H
#define ICMP_STEPS_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"
#include "ratelimit.h"

/* The largest IP packet a tun read() can return, and so the size of the
 * buffers a step reads into and writes its reply into. */
enum { STEP_MAX_PACKET = 65535 };

/*
 * A step's packet logic, a pure function over bytes: it reads the `len`
 * bytes of `packet`, writes what it has to say to `log` (whole lines: one
 * line, or a hex dump), and returns the length of the reply it wrote to `reply` (which has
 * room for STEP_MAX_PACKET bytes), or 0 to send nothing.
 */
typedef size_t (*step_handler)(const uint8_t *packet, size_t len,
                               uint8_t *reply, FILE *log);

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
};

/* Runs `step` as its command line says; returns main()'s exit status. */
int step_run(const struct step *step, int argc, char **argv);

#endif
