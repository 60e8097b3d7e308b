#include "livelog.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Why not simply make standard output non-blocking with fcntl(O_NONBLOCK)?
 * The flag belongs to the open file description, which we share with
 * whoever gave it to us: the shell's terminal, the other programs of a
 * pipeline. They would get EAGAIN where they expect to wait, and the
 * terminal would stay non-blocking after we exit. So we leave the flag
 * alone and ask before each write instead: poll() for POLLOUT, then write
 * no more than the reader is sure to take at once.
 */

enum text_fate { KEEP, SUPPRESS, DROP };

/* What kind of reader a descriptor has decides how we write to it without
 * blocking. */
enum output_kind { PIPE_OR_TERMINAL, REGULAR_FILE, SOCKET };

struct live_log {
    int fd;
    enum output_kind kind;      /* found once */
    int reader_gone;            /* EPIPE: nobody will ever read it again */
    FILE *stream;               /* what the step writes a packet's text into */
    FILE *muted;                /* what it writes into when the rate limit says no */

    /* text[start, end): waiting for fd; text[end, cursor): the packet now */
    char *text;
    size_t start, end, cursor;
    enum text_fate fate;        /* of the packet now */
    unsigned long fate_lines;   /* its lines, counted when not kept */

    unsigned long dropped;      /* lines */
    unsigned long suppressed, suppressed_unsaid;    /* packets */

    /* The token bucket, in thousandths of a packet. */
    uint64_t tokens, last_ms;
    int clock_started;
};

static unsigned long count_lines(const char *text, size_t len)
{
    unsigned long lines = 0;
    for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))) != NULL; p++)
        lines++;
    return lines;
}

/* Room for `len` more bytes of the packet now, moving the waiting text to
 * the front of the buffer if that makes it. */
static int make_room(struct live_log *log, size_t len)
{
    if (LIVE_LOG_CAPACITY - log->cursor >= len)
        return 1;
    if (log->start > 0) {
        memmove(log->text, log->text + log->start, log->cursor - log->start);
        log->end -= log->start;
        log->cursor -= log->start;
        log->start = 0;
    }
    return LIVE_LOG_CAPACITY - log->cursor >= len;
}

/* stdio calls this with what the step printed (see fopencookie(3)). */
static ssize_t take_text(void *cookie, const char *data, size_t len)
{
    struct live_log *log = cookie;

    if (log->fate == KEEP && !make_room(log, len)) {
        /* No room for this packet's text: drop all of it, not half a line. */
        log->fate = DROP;
        log->fate_lines = count_lines(log->text + log->end, log->cursor - log->end);
        log->cursor = log->end;
    }
    if (log->fate != KEEP) {
        log->fate_lines += count_lines(data, len);
        return (ssize_t)len;
    }
    memcpy(log->text + log->cursor, data, len);
    log->cursor += len;
    return (ssize_t)len;
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static enum output_kind output_kind(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return PIPE_OR_TERMINAL;
    return S_ISREG(st.st_mode) ? REGULAR_FILE : S_ISSOCK(st.st_mode) ? SOCKET : PIPE_OR_TERMINAL;
}

/*
 * A pipe that poll() calls writable has room for PIPE_BUF bytes at least
 * (a terminal about as much), so a write of that size does not block. A
 * regular file takes anything at once. A socket (the journal) has send()
 * with MSG_DONTWAIT, non-blocking for this one call.
 */
static long write_kind(int fd, enum output_kind kind, const char *text, size_t len,
                       int wait_ms)
{
    struct pollfd writable = {.fd = fd, .events = POLLOUT};
    size_t chunk = kind == REGULAR_FILE ? len : PIPE_BUF, done = 0;
    int64_t deadline = monotonic_ms() + wait_ms;

    while (done < len) {
        if (kind != REGULAR_FILE) {
            int64_t left = deadline - monotonic_ms();
            int ready = poll(&writable, 1, left > 0 ? (int)left : 0);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                break;              /* no room before the deadline */
            if (writable.revents & (POLLERR | POLLHUP))
                return -1;
        }
        size_t n = len - done < chunk ? len - done : chunk;
        if (n < len - done) {
            /* End the write at a line's end: a reader never gets half a line. */
            const char *last = memrchr(text + done, '\n', n);
            if (last)
                n = (size_t)(last - (text + done)) + 1;
        }
        ssize_t written = kind == SOCKET ? send(fd, text + done, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                         : write(fd, text + done, n);
        if (written < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (written < 0)
            return -1;
        done += (size_t)written;
    }
    return (long)done;
}

long write_what_fits(int fd, const char *text, size_t len, int wait_ms)
{
    return write_kind(fd, output_kind(fd), text, len, wait_ms);
}

struct live_log *live_log_open(int fd)
{
    struct live_log *log = calloc(1, sizeof *log);

    if (!log)
        return NULL;
    log->text = malloc(LIVE_LOG_CAPACITY);
    cookie_io_functions_t io = {.write = take_text};
    log->stream = log->text ? fopencookie(log, "w", io) : NULL;
    /* A stream open for reading only: every fprintf() to it fails at once,
     * before formatting anything, so a flood's suppressed lines cost
     * nothing to write. (We could count them if we formatted them; we
     * count the packets instead.) */
    log->muted = fopencookie(log, "r", (cookie_io_functions_t){0});
    if (!log->stream || !log->muted) {
        if (log->stream)
            fclose(log->stream);
        free(log->text);
        free(log);
        return NULL;
    }
    log->fd = fd;
    log->kind = output_kind(fd);
    log->tokens = (uint64_t)LIVE_LOG_BURST * 1000;
    return log;
}

void live_log_close(struct live_log *log)
{
    if (!log)
        return;
    fclose(log->stream);
    fclose(log->muted);
    free(log->text);
    free(log);
}

/* The token bucket: one token a packet, LIVE_LOG_PER_SECOND new tokens a
 * second, never more than LIVE_LOG_BURST. */
static int rate_allows(struct live_log *log, uint64_t now_ms)
{
    if (!log->clock_started || now_ms < log->last_ms) {
        log->clock_started = 1;
        log->last_ms = now_ms;
    }
    log->tokens += (now_ms - log->last_ms) * LIVE_LOG_PER_SECOND;
    log->last_ms = now_ms;
    if (log->tokens > (uint64_t)LIVE_LOG_BURST * 1000)
        log->tokens = (uint64_t)LIVE_LOG_BURST * 1000;
    if (log->tokens < 1000)
        return 0;
    log->tokens -= 1000;
    return 1;
}

FILE *live_log_begin(struct live_log *log, uint64_t now_ms)
{
    log->fate_lines = 0;
    if (log->reader_gone)
        log->fate = DROP;
    else if (!rate_allows(log, now_ms)) {
        log->fate = SUPPRESS;
        return log->muted;
    } else
        log->fate = KEEP;
    if (log->fate == KEEP && log->suppressed_unsaid > 0) {
        /* The limit has ended: say what it hid, once, as kernels do. */
        fprintf(log->stream, "log: %lu packets not logged (more than %d at once, "
                "then %d a second)\n", log->suppressed_unsaid, LIVE_LOG_BURST,
                LIVE_LOG_PER_SECOND);
        log->suppressed_unsaid = 0;
    }
    return log->stream;
}

void live_log_end(struct live_log *log)
{
    if (log->fate == SUPPRESS) {
        log->suppressed++;
        log->suppressed_unsaid++;
        log->fate = KEEP;
        return;
    }
    fflush(log->stream);
    if (log->fate == KEEP)
        log->end = log->cursor;
    else
        log->dropped += log->fate_lines;
    log->fate = KEEP;
    log->fate_lines = 0;
    /* A flood of long texts (-v): make room before the next packet needs it. */
    if (live_log_waiting(log) > LIVE_LOG_CAPACITY / 2)
        live_log_flush(log, 0);
}

void live_log_flush(struct live_log *log, int wait_ms)
{
    if (log->start == log->end || log->reader_gone)
        return;
    long written = write_kind(log->fd, log->kind, log->text + log->start,
                              log->end - log->start, wait_ms);
    if (written < 0) {
        /* The reader went away (EPIPE) or the output failed: what waits,
         * and every later line, can only be counted. */
        log->reader_gone = 1;
        log->dropped += count_lines(log->text + log->start, log->end - log->start);
        written = (long)(log->end - log->start);
    }
    log->start += (size_t)written;
    if (log->start == log->end)
        log->start = log->end = log->cursor = 0;
}

void live_log_abandon(struct live_log *log)
{
    log->dropped += count_lines(log->text + log->start, log->end - log->start);
    log->start = log->end = log->cursor = 0;
}

size_t live_log_waiting(const struct live_log *log)
{
    return log->end - log->start;
}

unsigned long live_log_dropped(const struct live_log *log)
{
    return log->dropped;
}

unsigned long live_log_suppressed(const struct live_log *log)
{
    return log->suppressed;
}
