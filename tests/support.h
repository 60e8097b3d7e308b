/* What the CMocka tests share: loading a recorded packet, and running a
 * step's packet function with its log captured in memory. */
#ifndef ICMP_STEPS_TEST_SUPPORT_H
#define ICMP_STEPS_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcapfile.h"

/* The project root, so that tests find their fixtures from any directory. */
#ifndef PROJECT_ROOT
#define PROJECT_ROOT "."
#endif

enum { TEST_MAX_PACKET = 65535 };

struct first_packet {
    uint8_t *bytes;
    size_t len;
    int found;
};

static int keep_first_packet(void *context, const struct timeval *when,
                             const uint8_t *packet, size_t len)
{
    struct first_packet *first = context;
    (void)when;
    memcpy(first->bytes, packet, len);
    first->len = len;
    first->found = 1;
    return 1;                       /* stop after one */
}

/* Loads the packet of tests/fixtures/NAME (a one-packet capture) into
 * `bytes` (room for TEST_MAX_PACKET) and returns its length. */
static inline size_t load_fixture(const char *name, uint8_t *bytes)
{
    char path[1024], why[512] = "";
    struct first_packet first = {.bytes = bytes};

    snprintf(path, sizeof path, "%s/tests/fixtures/%s", PROJECT_ROOT, name);
    int status = pcap_read_packets(path, keep_first_packet, &first, why, sizeof why);
    if (status < 0 || !first.found)
        fail_msg("cannot load fixture %s: %s", path, why[0] ? why : "no packet in it");
    return first.len;
}

/* A step's packet function, as common/runner.h declares it. */
typedef size_t (*test_handler)(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log);

/* Runs `handle` on `packet`; returns its log as a string to free(), and the
 * reply length in *reply_len. The reply buffer gets a canary pattern first,
 * so that a step which returns bytes it never wrote is caught. */
static inline char *run_step(test_handler handle, const uint8_t *packet, size_t len,
                             uint8_t *reply, size_t *reply_len)
{
    char *log_text = NULL;
    size_t log_size = 0;
    FILE *log = open_memstream(&log_text, &log_size);

    assert_non_null(log);
    memset(reply, 0xa5, TEST_MAX_PACKET);
    *reply_len = handle(packet, len, reply, log);
    fclose(log);
    return log_text;
}

/* Runs `command` with `input` on its standard input and returns what it
 * printed, as a string to free(). Used to ask real tools (hexdump). */
static inline char *run_tool(const char *command, const uint8_t *input, size_t len)
{
    char in_path[] = "/tmp/icmp-steps-test-XXXXXX";
    int fd = mkstemp(in_path);
    assert_true(fd >= 0);
    FILE *in = fdopen(fd, "wb");
    assert_non_null(in);
    assert_int_equal(fwrite(input, 1, len, in), len);
    fclose(in);

    char full[2048];
    snprintf(full, sizeof full, "(%s) < %s", command, in_path);
    FILE *out = popen(full, "r");
    assert_non_null(out);
    char *text = NULL;
    size_t size = 0;
    FILE *collect = open_memstream(&text, &size);
    int c;
    while ((c = fgetc(out)) != EOF)
        fputc(c, collect);
    fclose(collect);
    assert_int_equal(pclose(out), 0);
    unlink(in_path);
    return text;
}

#endif
