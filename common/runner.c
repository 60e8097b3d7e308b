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
#include "privileges.h"
#include "tun.h"

static volatile sig_atomic_t stop_requested, report_requested;

static void on_signal(int signal_number)
{
    if (signal_number == SIGUSR1)
        report_requested = 1;
    else
        stop_requested = 1;
}

/* SIGINT, SIGTERM (stop) and SIGUSR1 (report) stay blocked except while we
 * wait in ppoll(): a signal then either interrupts the wait or is delivered
 * at the start of the next one, and can never slip in between a check and a
 * blocking read. */
static void catch_signals(sigset_t *mask_while_waiting)
{
    static const int caught[] = {SIGINT, SIGTERM, SIGUSR1};
    struct sigaction action;
    sigset_t signals;

    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigemptyset(&signals);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        sigaction(caught[i], &action, NULL);
        sigaddset(&signals, caught[i]);
    }
    sigprocmask(SIG_BLOCK, &signals, mask_while_waiting);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigdelset(mask_while_waiting, caught[i]);
}

static void report(const struct step *step)
{
    if (step->report) {
        step->report(stderr);
        fflush(stderr);
    }
}

struct session {
    const struct step *step;
    int verbose;                    /* -v: annotate each packet and reply */
    struct pcap_writer *capture;    /* NULL without --pcap */
    uint8_t *reply;
    unsigned long packets, replies, skipped;
    int capture_failed;             /* said once; the exit status says it again */
};

static void record(struct session *s, const struct timeval *when,
                   const uint8_t *packet, size_t len)
{
    if (s->capture && pcap_writer_add(s->capture, when, packet, len) < 0 && !s->capture_failed) {
        s->capture_failed = 1;
        fprintf(stderr, "%s: %s\n", s->step->name, pcap_writer_failure(s->capture));
    }
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

/* A record with no IP packet in it (an ARP frame): one line, like a packet. */
static void replay_skip(void *context, unsigned long record, const char *what)
{
    struct session *s = context;

    s->skipped++;
    printf("record %lu skipped: %s\n", record, what);
    fflush(stdout);
}

static int run_replay(struct session *s, const char *path)
{
    char why[512];

    if (pcap_read_ip_packets(path, replay_one, replay_skip, s, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", s->step->name, why);
        return 1;
    }
    if (s->skipped)
        fprintf(stderr, "%s: skipped %lu records of %s that hold no IP packet\n",
                s->step->name, s->skipped, path);
    fprintf(stderr, "%s: replayed %lu packets from %s, %lu replies\n",
            s->step->name, s->packets, path, s->replies);
    report(s->step);
    return 0;
}

/* Step 06 on: once the tun is open, nothing else needs root. */
static int give_up_root(const struct session *s, const char *user)
{
    char done[256], why[512];

    if (privileges_drop(user, done, sizeof done, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", s->step->name, why);
        return -1;
    }
    fprintf(stderr, "%s: %s\n", s->step->name, done);
    return 0;
}

/* Hands one packet read from the tun to the step, and writes its reply. */
static void answer(struct session *s, int fd, const uint8_t *packet, size_t len)
{
    struct timeval now;

    gettimeofday(&now, NULL);
    size_t reply_len = handle_one(s, &now, packet, len);
    if (reply_len == 0)
        return;
    if (write(fd, s->reply, reply_len) != (ssize_t)reply_len) {
        printf("the kernel refused our %zu-byte reply (%s)\n", reply_len, strerror(errno));
        fflush(stdout);
        return;
    }
    s->replies++;
    gettimeofday(&now, NULL);
    record(s, &now, s->reply, reply_len);
}

static int run_live(struct session *s, const char *ifname, const char *user)
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
    if (s->step->drops_privileges && give_up_root(s, user) < 0) {
        close(fd);
        free(packet);
        return 1;
    }
    catch_signals(&mask_while_waiting);
    fprintf(stderr, "%s: reading %s (Ctrl-C to stop)\n", s->step->name, ifname);

    struct pollfd readable = {.fd = fd, .events = POLLIN};
    while (!stop_requested) {
        if (report_requested) {
            report_requested = 0;
            report(s->step);
        }
        if (ppoll(&readable, 1, NULL, &mask_while_waiting) < 0)
            continue;               /* EINTR: a signal, checked above */

        /* A read returns exactly one packet. A buffer smaller than the
         * packet would cut it short without a word, hence 65535 bytes. */
        ssize_t n = read(fd, packet, STEP_MAX_PACKET);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: reading %s failed (%s).\n", s->step->name, ifname,
                    strerror(errno));
            status = 1;
            break;
        }
        answer(s, fd, packet, (size_t)n);
    }
    fprintf(stderr, "%s: stopped after %lu packets, %lu replies\n",
            s->step->name, s->packets, s->replies);
    report(s->step);
    close(fd);
    free(packet);
    return status;
}

/* A program that may be left running keeps no file it did not open
 * itself: a descriptor inherited from whoever started it (an fd on
 * /etc/shadow, a socket) would outlive the drop of root, since the kernel
 * checks permissions when a file is opened, never after. We use no
 * inherited descriptor but 0, 1 and 2 (no socket activation), so we close
 * the rest before opening anything, as daemon(7) advises. */
static void close_inherited_files(void)
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    for (long fd = 3, last = sysconf(_SC_OPEN_MAX); fd < last; fd++)
        close((int)fd);             /* kernels before 5.9 have no close_range */
}

int step_run(const struct step *step, int argc, char **argv)
{
    struct step_options options;
    struct session session = {.step = step};
    char why[512];
    int status;

    close_inherited_files();
    if (cli_parse(argc, argv, &options, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", step->name, why);
        return 2;
    }
    if (options.help) {
        cli_usage(stdout, argv[0], step->summary);
        return 0;
    }
    if (options.user && !step->drops_privileges) {
        fprintf(stderr, "%s: --user is for steps that give up root (06 on): leave it out.\n",
                step->name);
        return 2;
    }
    session.verbose = options.verbose;
    if (options.replay_path && options.pcap_path &&
        pcap_same_file(options.replay_path, options.pcap_path)) {
        fprintf(stderr, "%s: --pcap %s is the capture --replay reads, and writing it would "
                "destroy it: choose another name for --pcap.\n", step->name, options.pcap_path);
        return 2;
    }
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
        pcap_writer_close(session.capture, NULL, 0);
        return 1;
    }

    if (options.replay_path)
        status = run_replay(&session, options.replay_path);
    else
        status = run_live(&session, options.ifname, options.user ? options.user : "nobody");

    /* A capture that lost records is a failure, even if all else went well. */
    if (pcap_writer_close(session.capture, why, sizeof why) < 0) {
        if (!session.capture_failed)
            fprintf(stderr, "%s: %s\n", step->name, why);
        status = status ? status : 1;
    }
    free(session.reply);
    return status;
}
