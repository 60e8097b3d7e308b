#include "runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "annotate.h"
#include "cli.h"
#include "pcapfile.h"
#include "tun.h"

static volatile sig_atomic_t stop_requested;

static void request_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

/* SIGINT and SIGTERM stay blocked except while we wait in ppoll(): a signal
 * then either interrupts the wait or is delivered at the start of the next
 * one, and can never slip in between a check and a blocking read. */
static void catch_stop_signals(sigset_t *mask_while_waiting)
{
    struct sigaction action;
    sigset_t stop_signals;

    memset(&action, 0, sizeof action);
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, mask_while_waiting);
    sigdelset(mask_while_waiting, SIGINT);
    sigdelset(mask_while_waiting, SIGTERM);
}

struct session {
    const struct step *step;
    int verbose;                    /* -v: annotate each packet and reply */
    struct pcap_writer *capture;    /* NULL without --pcap */
    uint8_t *reply;
    unsigned long packets, replies;
};

static void record(struct session *s, const struct timeval *when,
                   const uint8_t *packet, size_t len)
{
    if (s->capture)
        pcap_writer_add(s->capture, when, packet, len);
}

/* One packet through the step; returns the reply's length (0: none). */
static size_t handle_one(struct session *s, const struct timeval *when,
                         const uint8_t *packet, size_t len)
{
    s->packets++;
    record(s, when, packet, len);
    size_t reply_len = s->step->handle(packet, len, s->reply, stdout);
    if (s->verbose) {
        annotate_packet(stdout, packet, len);
        if (reply_len > 0) {
            printf("  reply:\n");
            annotate_packet(stdout, s->reply, reply_len);
        }
    }
    fflush(stdout);                 /* one line per packet, seen at once */
    return reply_len;
}

static int replay_one(void *context, const struct timeval *when,
                      const uint8_t *packet, size_t len)
{
    struct session *s = context;
    size_t reply_len = handle_one(s, when, packet, len);

    if (reply_len > 0) {
        s->replies++;
        record(s, when, s->reply, reply_len);
    }
    return 0;
}

static int run_replay(struct session *s, const char *path)
{
    char why[512];

    if (pcap_read_packets(path, replay_one, s, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", s->step->name, why);
        return 1;
    }
    fprintf(stderr, "%s: replayed %lu packets from %s, %lu replies\n",
            s->step->name, s->packets, path, s->replies);
    return 0;
}

static int run_live(struct session *s, const char *ifname)
{
    char why[512];
    sigset_t mask_while_waiting;
    uint8_t *packet = malloc(STEP_MAX_PACKET);
    int status = 0;

    int fd = tun_open(ifname, why, sizeof why);
    if (fd < 0 || !packet) {
        fprintf(stderr, "%s: %s\n", s->step->name, fd < 0 ? why : "out of memory.");
        free(packet);
        return 1;
    }
    catch_stop_signals(&mask_while_waiting);
    fprintf(stderr, "%s: reading %s (Ctrl-C to stop)\n", s->step->name, ifname);

    struct pollfd readable = {.fd = fd, .events = POLLIN};
    while (!stop_requested) {
        if (ppoll(&readable, 1, NULL, &mask_while_waiting) < 0)
            continue;               /* EINTR: a signal, checked above */

        /* A read returns exactly one packet. A buffer smaller than the
         * packet would cut it short without a word, hence 65535 bytes. */
        ssize_t n = read(fd, packet, STEP_MAX_PACKET);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fprintf(stderr, "%s: reading %s failed (%s).\n", s->step->name, ifname,
                    strerror(errno));
            status = 1;
            break;
        }

        struct timeval now;
        gettimeofday(&now, NULL);
        size_t reply_len = handle_one(s, &now, packet, (size_t)n);
        if (reply_len == 0)
            continue;
        if (write(fd, s->reply, reply_len) != (ssize_t)reply_len) {
            printf("the kernel refused our %zu-byte reply (%s)\n", reply_len, strerror(errno));
            fflush(stdout);
            continue;
        }
        s->replies++;
        gettimeofday(&now, NULL);
        record(s, &now, s->reply, reply_len);
    }
    fprintf(stderr, "%s: stopped after %lu packets, %lu replies\n",
            s->step->name, s->packets, s->replies);
    close(fd);
    free(packet);
    return status;
}

int step_run(const struct step *step, int argc, char **argv)
{
    struct step_options options;
    struct session session = {.step = step};
    char why[512];
    int status;

    if (cli_parse(argc, argv, &options, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", step->name, why);
        return 2;
    }
    if (options.help) {
        cli_usage(stdout, argv[0], step->summary);
        return 0;
    }
    session.verbose = options.verbose;
    if (options.pcap_path) {
        session.capture = pcap_writer_open(options.pcap_path, why, sizeof why);
        if (!session.capture) {
            fprintf(stderr, "%s: %s\n", step->name, why);
            return 1;
        }
    }
    session.reply = malloc(STEP_MAX_PACKET);
    if (!session.reply) {
        fprintf(stderr, "%s: out of memory.\n", step->name);
        pcap_writer_close(session.capture);
        return 1;
    }

    if (options.replay_path)
        status = run_replay(&session, options.replay_path);
    else
        status = run_live(&session, options.ifname);

    pcap_writer_close(session.capture);
    free(session.reply);
    return status;
}
