/* The log that never blocks: against real pipes, one nobody reads, one
 * whose reader has gone, and the token bucket's arithmetic. */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "livelog.h"

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One packet's log: `lines` lines of about 100 bytes. */
static void log_packet(struct live_log *log, uint64_t now_ms, int lines)
{
    FILE *out = live_log_begin(log, now_ms);
    for (int i = 0; i < lines; i++)
        fprintf(out, "%-99s\n", "reply to 192.0.2.1: 84 bytes, id 4242, seq 1");
    live_log_end(log);
}

static char *read_all(int fd)
{
    static char text[1 << 20];
    size_t len = 0;
    ssize_t n;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    return text;
}

static unsigned count(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A burst of LIVE_LOG_BURST packets goes out, the next are suppressed, and
 * once a token is back the first line says how many were. */
static void the_rate_limit_says_what_it_suppressed(void **state)
{
    (void)state;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    struct live_log *log = live_log_open(pipe_fds[1]);
    assert_non_null(log);

    for (int i = 0; i < LIVE_LOG_BURST + 50; i++)
        log_packet(log, 1000, 1);           /* all in the same millisecond */
    live_log_flush(log, 0);
    char *text = read_all(pipe_fds[0]);
    assert_int_equal(count(text, "\n"), LIVE_LOG_BURST);
    assert_int_equal(live_log_suppressed(log), 50);

    /* One token comes back after 1000 / LIVE_LOG_PER_SECOND ms. */
    log_packet(log, 1000 + 1000 / LIVE_LOG_PER_SECOND - 1, 1);
    assert_int_equal(live_log_suppressed(log), 51);
    log_packet(log, 1000 + 1000 / LIVE_LOG_PER_SECOND, 2);
    live_log_flush(log, 0);
    text = read_all(pipe_fds[0]);
    assert_non_null(strstr(text, "log: 51 packets not logged"));
    assert_int_equal(count(text, "\n"), 3);
    assert_int_equal(live_log_dropped(log), 0);
    live_log_close(log);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* A pipe nobody reads: nothing blocks, what finds no room is counted. */
static void a_stalled_reader_costs_lines_not_time(void **state)
{
    (void)state;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    struct live_log *log = live_log_open(pipe_fds[1]);
    double start = seconds_now();
    unsigned long lines = 0;

    /* 100 lines a packet, 100 bytes each: 10 MB, ten times the buffer. */
    for (uint64_t ms = 0; ms < 100 * 1000; ms += 1000) {
        for (int i = 0; i < 10; i++, lines += 100)
            log_packet(log, ms, 100);
        live_log_flush(log, 0);
    }
    live_log_flush(log, 50);                 /* waits 50 ms at most */
    live_log_abandon(log);
    assert_true(seconds_now() - start < 2.0);
    assert_int_equal(live_log_suppressed(log), 0);
    assert_true(live_log_dropped(log) > lines / 2);
    /* What did get through is whole lines, none cut. */
    char *text = read_all(pipe_fds[0]);
    size_t len = strlen(text);
    assert_true(len > 0);
    assert_int_equal(len % 100, 0);
    assert_int_equal(count(text, "\n") + live_log_dropped(log), lines);
    live_log_close(log);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* The reader went away: EPIPE (SIGPIPE ignored, as the runner does); every
 * line from then on is counted as dropped. */
static void a_reader_gone_is_counted(void **state)
{
    (void)state;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    close(pipe_fds[0]);
    signal(SIGPIPE, SIG_IGN);
    struct live_log *log = live_log_open(pipe_fds[1]);
    log_packet(log, 0, 3);
    live_log_flush(log, 0);
    log_packet(log, 0, 2);
    live_log_flush(log, 0);
    assert_int_equal(live_log_dropped(log), 5);
    assert_int_equal(live_log_waiting(log), 0);
    live_log_close(log);
    close(pipe_fds[1]);
}

/* A file takes everything, in order. */
static void a_file_gets_every_line(void **state)
{
    (void)state;
    FILE *file = tmpfile();
    struct live_log *log = live_log_open(fileno(file));
    for (int i = 0; i < 20; i++) {
        FILE *out = live_log_begin(log, (uint64_t)i * 1000);
        fprintf(out, "packet %d\n", i);
        live_log_end(log);
    }
    live_log_flush(log, 0);
    assert_int_equal(live_log_waiting(log), 0);
    rewind(file);
    char line[64];
    for (int i = 0; i < 20; i++) {
        char want[64];
        snprintf(want, sizeof want, "packet %d\n", i);
        assert_non_null(fgets(line, sizeof line, file));
        assert_string_equal(line, want);
    }
    live_log_close(log);
    fclose(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rate_limit_says_what_it_suppressed),
        cmocka_unit_test(a_stalled_reader_costs_lines_not_time),
        cmocka_unit_test(a_reader_gone_is_counted),
        cmocka_unit_test(a_file_gets_every_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
