/* The log of a running step: what it prints about each packet, kept in
 * memory and written out only when standard output can take it, so that a
 * reader who stops reading (a pager, `| sleep 100`, a stalled journal)
 * never stops the answering. Lines that find no room are dropped and
 * counted; a flood is rate-limited the way kernels limit their messages. */
#ifndef ICMP_STEPS_LIVELOG_H
#define ICMP_STEPS_LIVELOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The rate limit, in packets, like the kernel's net_ratelimit() counts
 * messages: a packet's log (its line, or with -v its annotation too) goes
 * out whole or not at all. A burst of LIVE_LOG_BURST packets, then
 * LIVE_LOG_PER_SECOND a second; ping at its usual rates never reaches it. */
enum { LIVE_LOG_BURST = 100, LIVE_LOG_PER_SECOND = 10 };

/* What waits for standard output: room for the annotation of the largest
 * packet (-v prints about 300 KB for 65535 bytes), and for minutes of a
 * reader that pauses. */
enum { LIVE_LOG_CAPACITY = 1 << 20 };

struct live_log;

/* A log that writes to `fd` (standard output). NULL when out of memory. */
struct live_log *live_log_open(int fd);
void live_log_close(struct live_log *log);

/* Starts the text about one packet, at `now_ms` on a monotonic clock (the
 * rate limit's clock). Returns the stream to write it into. */
FILE *live_log_begin(struct live_log *log, uint64_t now_ms);

/* Ends that packet's text: it waits for standard output, or, when there is
 * no room (or the rate limit says no), it is counted and forgotten. */
void live_log_end(struct live_log *log);

/* Writes what standard output takes without blocking, waiting at most
 * `wait_ms` milliseconds in all for it to take more (0: do not wait). */
void live_log_flush(struct live_log *log, int wait_ms);

/* Counts what still waits as dropped, and forgets it: at the end, when
 * standard output would not take it in time. */
void live_log_abandon(struct live_log *log);

/* Bytes still waiting for standard output (poll it for POLLOUT then). */
size_t live_log_waiting(const struct live_log *log);

/* What never reached standard output: the lines dropped because it was not
 * taking them (or was closed), and the packets the rate limit kept out of
 * the log. */
unsigned long live_log_dropped(const struct live_log *log);
unsigned long live_log_suppressed(const struct live_log *log);

/*
 * Writes `len` bytes of `text` to `fd` as far as it takes them without
 * blocking, waiting at most `wait_ms` milliseconds in all for room. Returns the bytes written,
 * or -1 when the reader has gone away (EPIPE) or the write failed.
 */
long write_what_fits(int fd, const char *text, size_t len, int wait_ms);

#endif
