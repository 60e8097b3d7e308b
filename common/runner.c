#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "cli.h"
#include "livelog.h"
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

static const int caught[] = {SIGINT, SIGTERM, SIGUSR1};
enum { CAUGHT = sizeof caught / sizeof caught[0] };

/* SIGINT and SIGTERM ask us to stop, SIGUSR1 to report. SA_RESTART: a
 * --replay writing to a slow reader carries on after a report. SIGPIPE is
 * ignored: a reader that goes away is a write error we can name (EPIPE),
 * not a silent death. */
static void catch_signals(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < CAUGHT; i++)
        sigaction(caught[i], &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * Live, a signal must also end the wait for a packet, which is a read()
 * that blocks (see run_live()). The handlers are installed without
 * SA_RESTART, so a read() or poll() under way when one comes returns EINTR.
 * One that comes just before the wait begins would interrupt nothing, and
 * the wait could last until the next packet; so the handler also makes
 * sure that no wait can begin: it makes the tun non-blocking (the read
 * returns EAGAIN at once) and wakes the eventfd that every poll() watches
 * (the "self-pipe trick"). fcntl() and write() are async-signal-safe.
 */
static int live_tun = -1, live_wake = -1, tun_flags;

static void on_live_signal(int signal_number)
{
    int saved_errno = errno;
    uint64_t one = 1;

    on_signal(signal_number);
    fcntl(live_tun, F_SETFL, tun_flags | O_NONBLOCK);
    if (write(live_wake, &one, sizeof one) < 0) {
        /* the eventfd is full of wake-ups already: nothing is lost */
    }
    errno = saved_errno;
}

/* Returns 0, or -1 with errno when no eventfd can be had. */
static int catch_live_signals(int tun)
{
    struct sigaction action;

    live_tun = tun;
    tun_flags = fcntl(tun, F_GETFL) & ~O_NONBLOCK;
    live_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (live_wake < 0)
        return -1;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_live_signal;
    sigfillset(&action.sa_mask);        /* one handler at a time */
    for (size_t i = 0; i < CAUGHT; i++)
        sigaction(caught[i], &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* After a signal: the tun blocks again and the wake-ups are read, before
 * the flags are looked at, so that a signal coming after this is seen. */
static void rearm_after_signals(void)
{
    uint64_t count;

    fcntl(live_tun, F_SETFL, tun_flags);
    if (read(live_wake, &count, sizeof count) < 0) {
        /* nothing to read: no wake-up since the last time */
    }
}

struct session {
    const struct step *step;
    int verbose;                    /* -v: annotate each packet and reply */
    struct pcap_writer *capture;    /* NULL without --pcap */
    struct live_log *log;           /* live: the log that never blocks */
    uint8_t *reply;
    unsigned long packets, replies, skipped;
    int capture_failed;             /* said once; the exit status says it again */
    /* Step 10 on, what the step's link needs: */
    int fd;                         /* the tun (-1: --replay, nothing is written) */
    const struct timeval *when;     /* --replay: the record's time, for --pcap */
    const char *ifname;
    int mtu_socket;                 /* for SIOCGIFMTU (-1: --replay) */
    uint64_t mtu_read_at;           /* when the MTU was last read */
    uint64_t expire_at;             /* when step->expire() has something due */
    FILE *sent_notes;               /* -v: what the step sent while handling a
                                       packet, annotated after the packet */
};

/* Once we answer, nothing may wait on standard error either: a line goes
 * out if it fits before a deadline, or not at all. At the end, the log and
 * the last lines get EXIT_WAIT_MS in all. */
enum { EXIT_WAIT_MS = 100 };

/* The runner's clock, read for every packet: the coarse one, as precise
 * as the kernel's own tick (a few ms), is enough for a log's rate limit
 * and timeouts of a second or more, and costs a fifth of the precise one
 * (5 ns against 22 on the machine this was measured on). */
static uint64_t now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static int ms_left(uint64_t deadline)
{
    uint64_t now = now_ms();
    return deadline > now ? (int)(deadline - now) : 0;
}

static void say(uint64_t deadline, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void say(uint64_t deadline, const char *format, ...)
{
    char line[512];
    va_list args;

    va_start(args, format);
    int len = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (len > 0)
        write_what_fits(STDERR_FILENO, line, strlen(line), ms_left(deadline));
}

/* The runner's counters, then the step's own (06 on): on SIGUSR1 and at
 * the end. */
static void report(const struct session *s, const char *when, uint64_t deadline)
{
    if (when)
        say(deadline, "%s: %s %lu packets, %lu replies\n", s->step->name, when,
            s->packets, s->replies);
    if (s->log && live_log_dropped(s->log) + live_log_suppressed(s->log) > 0)
        say(deadline, "%s: log: %lu lines dropped because standard output was not taking "
            "them; %lu packets not logged because of the rate limit (%d at once, then %d "
            "a second)\n", s->step->name, live_log_dropped(s->log),
            live_log_suppressed(s->log), LIVE_LOG_BURST, LIVE_LOG_PER_SECOND);
    if (s->step->report) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (!out)
            return;
        s->step->report(out);
        fclose(out);
        write_what_fits(STDERR_FILENO, text, len, ms_left(deadline));
        free(text);
    }
}

static void record(struct session *s, const struct timeval *when,
                   const uint8_t *packet, size_t len)
{
    if (s->capture && pcap_writer_add(s->capture, when, packet, len) < 0 && !s->capture_failed) {
        s->capture_failed = 1;
        fprintf(stderr, "%s: %s\n", s->step->name, pcap_writer_failure(s->capture));
    }
}

/* Never means never: for expire_at when the step has nothing due. */
static const uint64_t NEVER = UINT64_MAX;

/* Asks the step (10 on) to do what is due now; its answer says when to ask
 * again. */
static void expire_due(struct session *s, FILE *log, uint64_t now)
{
    if (!s->step->expire)
        return;
    int next_ms = s->step->expire(log);
    s->expire_at = next_ms < 0 ? NEVER : now + (uint64_t)next_ms;
}

/* The link's send() (step 10 on): one packet to the tun, and to --pcap. */
static void link_send(void *context, const uint8_t *packet, size_t len, FILE *log)
{
    struct session *s = context;
    struct timeval now;

    if (s->verbose) {
        FILE *notes = s->sent_notes ? s->sent_notes : log;
        fprintf(notes, "  sent:\n");
        annotate_packet(notes, packet, len);
    }
    if (s->fd >= 0 && write(s->fd, packet, len) != (ssize_t)len) {
        fprintf(log, "the kernel refused our %zu-byte packet (%s)\n", len, strerror(errno));
        return;
    }
    s->replies++;
    if (s->capture && !s->when)
        gettimeofday(&now, NULL);
    record(s, s->when ? s->when : &now, packet, len);
}

/* One packet through the step, its log (and -v annotation) to `log`;
 * returns the reply's length (0: none, or sent through the link). */
static size_t handle_one(struct session *s, FILE *log, const uint8_t *packet, size_t len)
{
    char *notes = NULL;
    size_t notes_len = 0;

    s->packets++;
    /* -v: what the step sends while handling the packet is annotated after
     * the packet, as a reply is. */
    if (s->verbose && s->step->link)
        s->sent_notes = open_memstream(&notes, &notes_len);
    size_t reply_len = s->step->handle(packet, len, s->reply, log);
    if (s->verbose) {
        annotate_packet(log, packet, len);
        if (reply_len > 0) {
            fprintf(log, "  reply:\n");
            annotate_packet(log, s->reply, reply_len);
        }
    }
    if (s->sent_notes) {
        fclose(s->sent_notes);
        s->sent_notes = NULL;
        fwrite(notes, 1, notes_len, log);
    }
    free(notes);
    return reply_len;
}

/* --replay: nothing to answer, so the log may wait for its reader (all of
 * it, no rate limit), and a reader that goes away ends the replay. */
static int replay_one(void *context, const struct timeval *when,
                      const uint8_t *packet, size_t len)
{
    struct session *s = context;

    record(s, when, packet, len);
    s->when = when;
    size_t reply_len = handle_one(s, stdout, packet, len);
    if (reply_len > 0) {
        s->replies++;
        record(s, when, s->reply, reply_len);
    }
    /* The step's clock is its own: a timeout falls due as time passes
     * during the replay, not as the capture's times say. */
    expire_due(s, stdout, now_ms());
    s->when = NULL;
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "%s: standard output %s: stopping.\n", s->step->name,
                errno == EPIPE ? "was closed (its reader went away)" : strerror(errno));
        return 1;
    }
    if (report_requested) {
        report_requested = 0;
        report(s, "so far", now_ms() + EXIT_WAIT_MS);
    }
    return stop_requested;
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

    catch_signals();
    int stopped = pcap_read_ip_packets(path, replay_one, replay_skip, s, why, sizeof why);
    expire_due(s, stdout, now_ms());
    fflush(stdout);
    if (stopped < 0) {
        fprintf(stderr, "%s: %s\n", s->step->name, why);
        return 1;
    }
    if (s->skipped)
        fprintf(stderr, "%s: skipped %lu records of %s that hold no IP packet\n",
                s->step->name, s->skipped, path);
    fprintf(stderr, "%s: replayed %lu packets from %s%s, %lu replies\n", s->step->name,
            s->packets, path, stopped ? " (stopped early)" : "", s->replies);
    report(s, NULL, now_ms() + EXIT_WAIT_MS);
    return 0;
}

/* Step 08 on: once the tun is open, nothing else needs root. */
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

/* The tun's MTU (step 10 on), read again at most once a second before the
 * step may send, so that `ip link set tun0 mtu N` is followed; a change is
 * said in the log. */
static void follow_mtu(struct session *s, FILE *log, uint64_t now)
{
    if (!s->step->link || s->mtu_socket < 0 || now - s->mtu_read_at < 1000)
        return;
    s->mtu_read_at = now;
    unsigned mtu = tun_mtu(s->mtu_socket, s->ifname);
    if (mtu == 0 || mtu == s->step->link->mtu)
        return;
    fprintf(log, "%s's MTU is now %u: longer packets go out in fragments\n", s->ifname, mtu);
    s->step->link->mtu = mtu;
}

/* Hands one packet read from the tun to the step, and writes its reply. */
static void answer(struct session *s, int fd, const uint8_t *packet, size_t len)
{
    struct timeval now;
    /* The clock, read once for the log's rate limit, the MTU and the
     * deadline alike: under a flood, every call made a packet shows. */
    uint64_t arrived_ms = now_ms();
    FILE *log = live_log_begin(s->log, arrived_ms);

    if (s->capture) {
        gettimeofday(&now, NULL);
        record(s, &now, packet, len);
    }
    follow_mtu(s, log, arrived_ms);
    size_t reply_len = handle_one(s, log, packet, len);
    if (reply_len > 0 && write(fd, s->reply, reply_len) != (ssize_t)reply_len) {
        fprintf(log, "the kernel refused our %zu-byte reply (%s)\n", reply_len, strerror(errno));
    } else if (reply_len > 0) {
        s->replies++;
        if (s->capture) {
            gettimeofday(&now, NULL);
            record(s, &now, s->reply, reply_len);
        }
    }
    /* A fragment held may set a new deadline (nothing can be due yet: a
     * reassembly gets a second at least, so nothing is written here). */
    expire_due(s, log, arrived_ms);
    live_log_end(s->log);
}

/*
 * Reads the next packet and answers it. The read blocks until a packet
 * comes, exactly as in the bare loop of tools/bare-loop.c: a reply costs
 * one read() and one write(), and under load the next packet is already
 * waiting, so the read returns at once. Returns 1 when it answered a
 * packet, 0 when a signal ended the wait, -1 when reading failed.
 */
static int answer_next(struct session *s, int fd, uint8_t *packet, const char *ifname)
{
    /* A read returns exactly one packet. A buffer smaller than the packet
     * would cut it short without a word, hence 65535 bytes. */
    ssize_t n = read(fd, packet, STEP_MAX_PACKET);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;                   /* a signal: the loop looks at its flag */
    if (n < 0) {
        say(now_ms() + EXIT_WAIT_MS, "%s: reading %s failed (%s).\n", s->step->name, ifname,
            strerror(errno));
        return -1;
    }
    answer(s, fd, packet, (size_t)n);
    return 1;
}

/* Step 10 on: the link learns the tun's MTU, before the first packet. The
 * socket is opened while we may still be root; SIOCGIFMTU on it needs
 * nothing, and it is kept to read the MTU again. */
static void open_link(struct session *s, int fd, const char *ifname)
{
    s->fd = fd;
    s->ifname = ifname;
    if (!s->step->link || fd < 0)
        return;
    s->mtu_socket = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    unsigned mtu = s->mtu_socket >= 0 ? tun_mtu(s->mtu_socket, ifname) : 0;
    s->step->link->mtu = mtu ? mtu : 1500;  /* a new tun's, should the kernel not say */
    s->mtu_read_at = now_ms();
}

/* Step 10 on, before each wait: what time alone makes due (a reassembly
 * timed out) done, with the MTU as it is now. */
static void keep_up(struct session *s)
{
    if (s->step->expire && s->expire_at != NEVER && now_ms() >= s->expire_at) {
        FILE *log = live_log_begin(s->log, now_ms());
        follow_mtu(s, log, now_ms());
        expire_due(s, log, now_ms());
        live_log_end(s->log);
    }
}

/* The time until the step has something due, as poll() takes it (-1:
 * nothing is, wait for ever). */
static int ms_until_due(const struct session *s)
{
    uint64_t now = now_ms();

    if (s->expire_at == NEVER)
        return -1;
    if (s->expire_at <= now)
        return 0;
    return s->expire_at - now > 60000 ? 60000 : (int)(s->expire_at - now);
}

/*
 * Something besides the tun needs us: the log has lines that standard
 * output did not take yet, or the step has something due at a time of its
 * own (step 10: a reassembly's timeout). Then we wait in poll() for a
 * packet, for room on standard output, or for a signal's wake-up,
 * whichever comes first, until that time at most; returns 1 when a packet
 * is waiting to be read.
 */
static int wait_for_packet_or_log(struct session *s, int fd)
{
    enum { TUN, LOG, WAKE };
    struct pollfd watch[] = {[TUN] = {.fd = fd, .events = POLLIN},
                             [LOG] = {.fd = live_log_waiting(s->log) > 0 ? STDOUT_FILENO : -1,
                                      .events = POLLOUT},
                             [WAKE] = {.fd = live_wake, .events = POLLIN}};

    if (poll(watch, 3, ms_until_due(s)) < 0)
        return 0;                   /* EINTR: a signal */
    if (watch[LOG].revents)
        live_log_flush(s->log, 0);
    return (watch[TUN].revents & POLLIN) != 0;
}

static int run_live(struct session *s, const char *ifname, const char *user)
{
    char why[512];
    uint8_t *packet = malloc(STEP_MAX_PACKET);
    int status = 0;

    s->log = live_log_open(STDOUT_FILENO);
    int fd = tun_open(ifname, why, sizeof why);
    open_link(s, fd, ifname);
    if (fd < 0 || !packet || !s->log) {
        fprintf(stderr, "%s: %s\n", s->step->name, fd < 0 ? why : "out of memory.");
        if (fd >= 0)
            close(fd);
        free(packet);
        return 1;
    }
    if (s->step->drops_privileges && give_up_root(s, user) < 0) {
        close(fd);
        free(packet);
        return 1;
    }
    if (catch_live_signals(fd) < 0) {
        fprintf(stderr, "%s: cannot watch for Ctrl-C (eventfd: %s).\n", s->step->name,
                strerror(errno));
        close(fd);
        free(packet);
        return 1;
    }
    fprintf(stderr, "%s: reading %s (Ctrl-C to stop)\n", s->step->name, ifname);

    /* One packet at a time: read it, answer it, hand its log line to
     * standard output (as far as it takes it now), look at the signals. */
    while (!stop_requested) {
        if (report_requested) {
            report_requested = 0;
            report(s, "so far", 0);
        }
        keep_up(s);
        if ((live_log_waiting(s->log) > 0 || s->expire_at != NEVER) &&
            !wait_for_packet_or_log(s, fd)) {
            rearm_after_signals();
            continue;
        }
        int answered = answer_next(s, fd, packet, ifname);
        if (answered < 0) {
            status = 1;
            break;
        }
        if (!answered)
            rearm_after_signals();
        live_log_flush(s->log, 0);
    }
    uint64_t deadline = now_ms() + EXIT_WAIT_MS;
    live_log_flush(s->log, ms_left(deadline));
    live_log_abandon(s->log);
    report(s, "stopped after", deadline);
    close(live_wake);
    close(fd);
    if (s->mtu_socket >= 0)
        close(s->mtu_socket);
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

/* Started with descriptor 0, 1 or 2 closed, the next file we open would
 * take its number: the tun would become standard output, and every log
 * line a packet. /dev/null holds those places first. */
static int hold_standard_descriptors(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null = open("/dev/null", O_RDWR);   /* the lowest free number: fd */
        if (null != fd) {
            if (null >= 0)
                close(null);
            return -1;
        }
    }
    return 0;
}

/* The host's addresses, from --address, or the lab's default. */
static int set_addresses(const struct step *step, const struct step_options *options,
                         char *why, size_t why_len)
{
    if (!step->host) {
        if (options->host.count == 0 && options->host.count6 == 0)
            return 0;
        snprintf(why, why_len, "--address is for steps that have addresses of their own "
                 "(06 on): leave it out.");
        return -1;
    }
    if (options->host.count6 > 0 && !step->speaks_ipv6) {
        snprintf(why, why_len, "--address with an IPv6 address is for step 11 on, which "
                 "speaks IPv6: give this step an IPv4 address (A.B.C.D/N).");
        return -1;
    }
    if (options->host.count > 0 || options->host.count6 > 0) {
        *step->host = options->host;
        return 0;
    }
    step->host->count = 0;
    step->host->count6 = 0;
    if (host_add_address(step->host, HOST_DEFAULT_ADDRESS, why, why_len) < 0)
        return -1;
    return step->speaks_ipv6 ? host_add_address6(step->host, HOST_DEFAULT_ADDRESS6, why, why_len)
                             : 0;
}

int step_run(const struct step *step, int argc, char **argv)
{
    struct step_options options;
    /* A step with a clock of its own (10 on) is asked what is due at once. */
    struct session session = {.step = step, .fd = -1, .mtu_socket = -1,
                              .expire_at = step->expire ? 0 : NEVER};
    char why[512];
    int status;

    if (hold_standard_descriptors() < 0)
        return 1;                   /* not even /dev/null: nowhere to say so */
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
        fprintf(stderr, "%s: --user is for steps that give up root (08 on): leave it out.\n",
                step->name);
        return 2;
    }
    if (options.ratelimit_given && !step->ratelimit) {
        fprintf(stderr, "%s: --icmp-ratelimit, --icmp-msgs-per-sec and --icmp-msgs-burst are "
                "for steps that send ICMP errors (09 on): leave them out.\n", step->name);
        return 2;
    }
    if (step->ratelimit)
        *step->ratelimit = options.ratelimit;
    if (options.ipfrag_given && !step->reassembly) {
        fprintf(stderr, "%s: --ipfrag-time and --ipfrag-high-thresh are for steps that put "
                "fragments back together (10 on): leave them out.\n", step->name);
        return 2;
    }
    if (step->reassembly) {
        step->reassembly->time_s = options.ipfrag_time_s;
        step->reassembly->high_thresh = options.ipfrag_high_thresh;
    }
    if (step->link) {
        step->link->mtu = 1500;     /* --replay's: a tun's default */
        step->link->send = link_send;
        step->link->context = &session;
    }
    if (set_addresses(step, &options, why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", step->name, why);
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
        /* Live, answering comes first; offline, a whole capture. */
        if (!options.replay_path)
            pcap_writer_never_wait(session.capture);
    }
    session.reply = malloc(STEP_MAX_REPLY);
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
    live_log_close(session.log);
    free(session.reply);
    return status;
}
