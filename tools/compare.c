/*
 * compare: the same requests through several steps and through the Linux
 * kernel, every header field of each reply side by side (`make compare`).
 *
 *   compare --steps "03 05" --bin DIR --dot DIR
 *           (--kernel-tun IFNAME | --recorded DIR) FILE.pcap...
 *
 * Every IPv4 packet of the captures is one request. Each step answers it
 * offline: its program runs with `--replay` on a capture of that one packet
 * and `--pcap` records what it wrote (no privileges needed). The kernel
 * answers it either live, through IFNAME (an existing tun that carries
 * 198.51.100.1/24 in a private network namespace: scripts/compare.sh sets
 * it up as root), or from the recordings of tests/fixtures (DIR holds
 * requests/ and kernel-replies/, made by scripts/capture-fixtures.sh): a
 * request byte for byte the same as a recorded one gets that recorded reply.
 *
 * For each request a table: one row per header field (the rows of
 * common/fields.c, plus the options and the data), a column per step and
 * one for the kernel, a `*` on every value that differs from the kernel's,
 * and below it one line per difference saying why, from the lessons (the
 * REASONS table). Then, per step, a Graphviz packet diagram of its replies
 * with the differing fields in red, written to DIR/NN-name.dot.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytes.h"
#include "checksum.h"
#include "fields.h"
#include "icmp.h"
#include "ipv4.h"
#include "mapping.h"
#include "pcapfile.h"
#include "tun.h"

enum {
    MAX_PACKET = 65535,
    MAX_REQUESTS = 256,
    MAX_STEPS = 8,
    MAX_RECORDED = 64,
    MAX_ROWS = 32,                  /* rows of the table, at most */
    COLUMNS_PER_TABLE = 4,          /* steps beside the kernel: 80 columns */
    LABEL_WIDTH = 18,
    VALUE_WIDTH = 12,
    TEXT_WIDTH = 78,
    SENTINEL_ID = 0x5e5e,
    SENTINEL_WAIT_MS = 2000,
    CARRIER_WAIT_MS = 3000,
};

struct packet {
    uint8_t *bytes;                 /* NULL: no packet (no reply) */
    size_t len;
};

struct request {
    char name[80];                  /* "default.pcap", or "mixed.pcap #3" */
    struct packet packet;
};

/* ---- reading captures ---------------------------------------------------- */

struct packet_list {
    struct packet *items;
    size_t count, room;
};

static struct packet copy_packet(const uint8_t *bytes, size_t len)
{
    struct packet p = {malloc(len ? len : 1), len};

    if (!p.bytes) {
        fprintf(stderr, "compare: out of memory\n");
        exit(1);
    }
    memcpy(p.bytes, bytes, len);
    return p;
}

static int keep_packet(void *context, const struct timeval *when, const uint8_t *bytes, size_t len)
{
    struct packet_list *list = context;

    (void)when;
    if (list->count == list->room) {
        list->room = list->room ? 2 * list->room : 8;
        list->items = realloc(list->items, list->room * sizeof *list->items);
        if (!list->items) {
            fprintf(stderr, "compare: out of memory\n");
            exit(1);
        }
    }
    list->items[list->count++] = copy_packet(bytes, len);
    return 0;
}

/* Every packet of the capture at `path`; -1 with the reason printed. */
static int read_capture(const char *path, struct packet_list *list)
{
    char why[512] = "";

    memset(list, 0, sizeof *list);
    if (pcap_read_packets(path, keep_packet, list, why, sizeof why) < 0) {
        fprintf(stderr, "compare: %s\n", why);
        return -1;
    }
    return 0;
}

static int is_ipv4(const struct packet *p)
{
    return p->bytes && p->len >= IPV4_MIN_HEADER_LEN && p->bytes[0] >> 4 == 4;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- the steps, offline ---------------------------------------------------- */

struct step {
    char number[3];                 /* "03" */
    char name[64];                  /* "03-naive-reply" */
    char program[512];
    int runs;                       /* 0: 01 has no packet function to replay */
    struct packet replies[MAX_REQUESTS];
    char logs[MAX_REQUESTS][160];   /* its first log line for each request */
    int differing;                  /* requests whose reply differs */
    int rows_differing[MAX_ROWS];         /* in how many requests each row did */
};

/* Finds bin/NN-*; -1 with one sentence printed if there is none. */
static int find_step(const char *bin_dir, const char *wanted, struct step *s)
{
    char number[3];
    DIR *dir = opendir(bin_dir);
    struct dirent *entry;

    if (strlen(wanted) == 1)
        snprintf(number, sizeof number, "0%c", wanted[0]);
    else
        snprintf(number, sizeof number, "%.2s", wanted);
    if (!dir) {
        fprintf(stderr, "compare: cannot read %s (%s): run make first.\n", bin_dir, strerror(errno));
        return -1;
    }
    memset(s, 0, sizeof *s);
    while ((entry = readdir(dir)) != NULL)
        if (strncmp(entry->d_name, number, 2) == 0 && entry->d_name[2] == '-' &&
            strlen(entry->d_name) < sizeof s->name) {
            snprintf(s->number, sizeof s->number, "%s", number);
            snprintf(s->name, sizeof s->name, "%.63s", entry->d_name);
            snprintf(s->program, sizeof s->program, "%s/%s", bin_dir, entry->d_name);
        }
    closedir(dir);
    if (!s->name[0]) {
        fprintf(stderr, "compare: there is no step '%s' in %s: say STEPS=\"03 04 05\", "
                "two digits each.\n", wanted, bin_dir);
        return -1;
    }
    /* Step 01 reads and hex-dumps: it has no --replay, and never writes. */
    s->runs = strcmp(number, "01") != 0;
    return 0;
}

static int write_one_packet(const char *path, const struct packet *p)
{
    char why[512] = "";
    struct timeval when = {0, 0};
    struct pcap_writer *w = pcap_writer_open(path, why, sizeof why);

    if (!w || pcap_writer_add(w, &when, p->bytes, p->len) < 0 ||
        pcap_writer_close(w, why, sizeof why) < 0) {
        fprintf(stderr, "compare: %s\n", why[0] ? why : "cannot write a capture");
        return -1;
    }
    return 0;
}

/* The first line of a file, without its newline ("" if none). */
static void first_line(const char *path, char *line, size_t room)
{
    FILE *f = fopen(path, "r");

    line[0] = '\0';
    if (f && fgets(line, (int)room, f))
        line[strcspn(line, "\n")] = '\0';
    if (f)
        fclose(f);
}

/* Runs the step on the request alone: `--replay` a capture of it, `--pcap`
 * what it read and wrote. The capture holds the request first, then the
 * reply if there is one. */
static int run_step(struct step *s, size_t index, const struct packet *request, const char *work)
{
    char in[600], out[600], log[600], errors[600], said[160];

    snprintf(in, sizeof in, "%s/request.pcap", work);
    snprintf(out, sizeof out, "%s/%s.pcap", work, s->number);
    snprintf(log, sizeof log, "%s/%s.log", work, s->number);
    snprintf(errors, sizeof errors, "%s/%s.err", work, s->number);
    unlink(out);
    if (write_one_packet(in, request) < 0)
        return -1;
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(errors, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || err < 0 || dup2(fd, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        execl(s->program, s->program, "--replay", in, "--pcap", out, (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        first_line(errors, said, sizeof said);
        fprintf(stderr, "compare: %s --replay failed on request %zu: %s\n", s->program,
                index + 1, said[0] ? said : "it did not exit 0");
        return -1;
    }
    first_line(log, s->logs[index], sizeof s->logs[index]);
    struct packet_list seen;
    if (read_capture(out, &seen) < 0)
        return -1;
    if (seen.count >= 2)
        s->replies[index] = seen.items[1];
    for (size_t i = 0; i < seen.count; i++)
        if (i != 1)
            free(seen.items[i].bytes);
    free(seen.items);
    return 0;
}

/* ---- the kernel: addresses ------------------------------------------------ */

/*
 * The kernel answers for 198.51.100.1 on its tun, the steps for 192.0.2.2
 * (the lab's plan), so a request goes to the kernel with its addresses
 * mapped as tools/difftest.c does: 192.0.2.x <-> 198.51.100.x with 1 and 2
 * exchanged, and the kernel's reply is mapped back. The recordings were
 * made by kernel-oracle, which rewrote the header's addresses only; their
 * replies are mapped back one way (198.51.100.x to 192.0.2.x), and in the
 * options only the addresses the kernel wrote (live too: those that differ
 * from the request's). A request's options are
 * mapped one way too (192.0.2.x to 198.51.100.x): a source route that
 * already names the kernel's network stays one the kernel can answer along
 * (mapped to 192.0.2.x, its hops have no route in the private namespace).
 */
enum way { TO_STEPS = 1, TO_KERNEL = 2, BOTH_WAYS = 3 };

static void map_address(uint8_t *a, enum way way)
{
    static const uint8_t STEP_NET[3] = {192, 0, 2}, KERNEL_NET[3] = {198, 51, 100};
    const uint8_t *to;

    if ((way & TO_STEPS) && memcmp(a, KERNEL_NET, 3) == 0)
        to = STEP_NET;
    else if ((way & TO_KERNEL) && memcmp(a, STEP_NET, 3) == 0)
        to = KERNEL_NET;
    else
        return;
    memcpy(a, to, 3);
    if (a[3] == 1 || a[3] == 2)
        a[3] = (uint8_t)(3 - a[3]);
}

/* How one packet is mapped: its header's addresses `way`, and the
 * addresses of its options `options_way`, except those the same as in
 * `asked` (the request's options, or NULL): there the kernel wrote none of
 * its own. `sent`: the request's options as the kernel got them. */
struct mapping {
    enum way way, options_way;
    struct options { const uint8_t *bytes; size_t len; } asked, sent;
};

/* The options of a request, if it has any ({NULL, 0} if not). */
static struct options options_of(const struct packet *p)
{
    size_t header_len = p && p->len >= IPV4_MIN_HEADER_LEN ? (size_t)(p->bytes[0] & 0x0f) * 4 : 0;

    if (header_len <= IPV4_MIN_HEADER_LEN || header_len > p->len)
        return (struct options){NULL, 0};
    return (struct options){p->bytes + IPV4_MIN_HEADER_LEN, header_len - IPV4_MIN_HEADER_LEN};
}

/* Whether the 4 bytes at `at` are not those of `o` there. */
static int differs_from(const uint8_t *slot, size_t at, struct options o)
{
    return !o.bytes || at + 4 > o.len || memcmp(slot, o.bytes + at, 4) != 0;
}

/* The addresses inside Record Route, source routes (from byte 3) and
 * Timestamp with flag 1 or 3 ((address, time) pairs from byte 4). */
static void map_options(uint8_t *o, size_t len, uint8_t *arrived, const struct mapping *m)
{
    size_t at = 0;

    while (at < len && o[at] != 0) {
        if (o[at] == 1 || at + 1 >= len) {
            at++;
            continue;
        }
        size_t opt_len = o[at + 1];
        if (opt_len < 2 || at + opt_len > len)
            return;
        uint8_t type = o[at];
        size_t first = 0, step = 0;
        if (type == 7 || type == 131 || type == 137)
            first = at + 3, step = 4;
        if (type == 68 && opt_len >= 4 && ((o[at + 3] & 0x0f) == 1 || (o[at + 3] & 0x0f) == 3))
            first = at + 4, step = 8;
        for (size_t w = first; step && w + 4 <= at + opt_len; w += step)
            if (differs_from(o + w, w, m->asked)) {
                int stamped = m->sent.bytes && differs_from(o + w, w, m->sent);
                map_address(o + w, m->options_way);
                if (arrived && stamped)
                    memcpy(arrived + w, o + w, 4);
            }
        at += opt_len;
    }
}

/* compare's header_mapper (tools/mapping.h). */
static void map_header(uint8_t *header, size_t header_len, uint8_t *arrived, void *context)
{
    const struct mapping *m = context;

    map_address(header + 12, m->way);
    map_address(header + 16, m->way);
    map_options(header + IPV4_MIN_HEADER_LEN, header_len - IPV4_MIN_HEADER_LEN,
                arrived ? arrived + IPV4_MIN_HEADER_LEN : NULL, m);
}

/* Maps a packet's addresses, and those of the datagram an error quotes;
 * the checksums follow them (a right one stays right, a wrong one wrong):
 * the header's, the TCP, UDP or UDP-Lite one, the quote's, the error's. */
static void map_packet(uint8_t *p, size_t len, enum way way, enum way options_way,
                       const struct packet *asked, const struct packet *sent)
{
    struct mapping m = {way, options_way, options_of(asked), options_of(sent)};

    if (map_datagram(p, len, 0, map_header, &m))
        map_error_quote(p, len, map_header, &m);
}

/* ---- the kernel: recorded ------------------------------------------------ */

struct recorded {
    struct packet request, reply;
};

static struct recorded recordings[MAX_RECORDED];
static size_t recording_count;

/* Reads DIR/requests/NAME.pcap with DIR/kernel-replies/NAME.pcap. */
static void load_recordings(const char *dir)
{
    char path[600];
    DIR *d;
    struct dirent *entry;

    snprintf(path, sizeof path, "%s/kernel-replies", dir);
    if (!(d = opendir(path)))
        return;
    while ((entry = readdir(d)) != NULL && recording_count < MAX_RECORDED) {
        size_t n = strlen(entry->d_name);
        if (n < 6 || strcmp(entry->d_name + n - 5, ".pcap") != 0)
            continue;
        struct packet_list request, reply;
        snprintf(path, sizeof path, "%s/requests/%s", dir, entry->d_name);
        if (read_capture(path, &request) < 0)
            continue;
        snprintf(path, sizeof path, "%s/kernel-replies/%s", dir, entry->d_name);
        if (read_capture(path, &reply) < 0 || request.count != 1 || reply.count != 1)
            continue;               /* leaks a little, once */
        recordings[recording_count].request = request.items[0];
        recordings[recording_count++].reply = reply.items[0];
        free(request.items);
        free(reply.items);
    }
    closedir(d);
}

/* The recorded reply to this very request: 1, or 0 if none was recorded. */
static int recorded_reply(const struct packet *request, struct packet *reply)
{
    for (size_t i = 0; i < recording_count; i++) {
        const struct packet *r = &recordings[i].request;
        if (r->len == request->len && memcmp(r->bytes, request->bytes, r->len) == 0) {
            *reply = copy_packet(recordings[i].reply.bytes, recordings[i].reply.len);
            map_packet(reply->bytes, reply->len, TO_STEPS, TO_STEPS, request, request);
            return 1;
        }
    }
    return 0;
}

/* ---- the kernel: live ---------------------------------------------------- */

/* The kernel sends through a tun only once its "linkwatch" work has run
 * after a reader attached, which also sets IFF_RUNNING: wait for it. */
static void wait_for_carrier(const char *ifname)
{
    struct ifreq request;
    int probe = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&request, 0, sizeof request);
    snprintf(request.ifr_name, sizeof request.ifr_name, "%s", ifname);
    for (int waited = 0; probe >= 0 && waited < CARRIER_WAIT_MS; waited += 10) {
        if (ioctl(probe, SIOCGIFFLAGS, &request) == 0 && (request.ifr_flags & IFF_RUNNING))
            break;
        usleep(10 * 1000);
    }
    usleep(20 * 1000);
    if (probe >= 0)
        close(probe);
}

/* A plain echo request from the kernel's peer, after every request: the
 * kernel answers in order, so once the sentinel's reply is back, whatever
 * the request caused has been read, and silence costs no timeout. */
static size_t sentinel(uint8_t *p, unsigned number)
{
    static const uint8_t PEER[4] = {198, 51, 100, 2}, KERNEL[4] = {198, 51, 100, 1};

    memset(p, 0, 28);
    p[0] = 0x45;
    write_be16(p + 2, 28);
    p[8] = 64;
    p[9] = IPV4_PROTOCOL_ICMP;
    memcpy(p + 12, PEER, 4);
    memcpy(p + 16, KERNEL, 4);
    write_be16(p + 10, inet_checksum(p, 20));
    p[20] = ICMP_ECHO_REQUEST;
    write_be16(p + 24, SENTINEL_ID);
    write_be16(p + 26, (uint16_t)number);
    write_be16(p + 22, inet_checksum(p + 20, 8));
    return 28;
}

static int is_sentinel_reply(const uint8_t *p, size_t len, unsigned number)
{
    size_t header_len = (size_t)(p[0] & 0x0f) * 4;

    return len >= header_len + 8 && p[9] == IPV4_PROTOCOL_ICMP && p[header_len] == ICMP_ECHO_REPLY &&
           read_be16(p + header_len + 4) == SENTINEL_ID &&
           read_be16(p + header_len + 6) == (uint16_t)number;
}

/* The kernel's first IPv4 answer to the request (none: reply->bytes NULL);
 * -1 if the kernel did not even answer the sentinel. */
static int live_reply(int tun, unsigned number, const struct packet *request, struct packet *reply)
{
    static uint8_t buffer[MAX_PACKET];
    struct pollfd readable = {.fd = tun, .events = POLLIN};

    static uint8_t sent_bytes[MAX_PACKET];
    struct packet sent = {sent_bytes, request->len};

    memcpy(sent_bytes, request->bytes, request->len);
    map_packet(sent_bytes, request->len, BOTH_WAYS, TO_KERNEL, NULL, NULL);
    /* A packet the kernel refuses to take (write() fails) gets no answer. */
    (void)!write(tun, sent_bytes, request->len);
    size_t len = sentinel(buffer, number);
    if (write(tun, buffer, len) != (ssize_t)len)
        return -1;
    while (poll(&readable, 1, SENTINEL_WAIT_MS) == 1) {
        ssize_t n = read(tun, buffer, sizeof buffer);
        if (n < IPV4_MIN_HEADER_LEN || buffer[0] >> 4 != 4)
            continue;               /* IPv6 chatter */
        if (is_sentinel_reply(buffer, (size_t)n, number))
            return 0;
        if (!reply->bytes) {
            *reply = copy_packet(buffer, (size_t)n);
            map_packet(reply->bytes, reply->len, BOTH_WAYS, BOTH_WAYS, request, &sent);
        }
    }
    return -1;
}

/* ---- one packet, field by field -------------------------------------------- */

/* The rows of the table: the answer itself, the IPv4 fields of
 * common/fields.c, the options, the ICMP echo fields, and the data. */
enum row_kind { ROW_ANSWER, ROW_IPV4, ROW_OPTIONS, ROW_ICMP, ROW_DATA_LEN, ROW_DATA };

struct row {
    enum row_kind kind;
    const struct header_field *field;
    const char *label;
};

static struct row rows[MAX_ROWS];
static size_t row_count;

static void build_rows(void)
{
    rows[row_count++] = (struct row){ROW_ANSWER, NULL, "Answer"};
    for (size_t i = 0; i < IPV4_FIELD_COUNT; i++)
        rows[row_count++] = (struct row){ROW_IPV4, &IPV4_FIELDS[i], IPV4_FIELDS[i].name};
    rows[row_count++] = (struct row){ROW_OPTIONS, NULL, "Options"};
    for (size_t i = 0; i < ICMP_ECHO_FIELD_COUNT; i++)
        rows[row_count++] = (struct row){ROW_ICMP, &ICMP_ECHO_FIELDS[i], ICMP_ECHO_FIELDS[i].name};
    rows[row_count++] = (struct row){ROW_DATA_LEN, NULL, "Data Length"};
    rows[row_count++] = (struct row){ROW_DATA, NULL, "Data"};
}

/* A packet taken apart once. */
struct parsed {
    int present, ipv4, icmp;
    struct ipv4_view ip;
    struct icmp_view message;
    const uint8_t *header;
};

static struct parsed parse(const struct packet *p)
{
    struct parsed r = {0};

    if (!p->bytes)
        return r;
    r.present = 1;
    r.header = p->bytes;
    r.ipv4 = ipv4_parse(p->bytes, p->len, &r.ip) == IPV4_OK;
    r.icmp = r.ipv4 && r.ip.protocol == IPV4_PROTOCOL_ICMP &&
             icmp_parse(r.ip.payload, r.ip.payload_len, &r.message) == 0;
    return r;
}

static const char *answer_name(const struct parsed *p)
{
    if (!p->present)
        return "none";
    if (!p->icmp)
        return p->ipv4 ? "not ICMP" : "not IPv4";
    switch (p->message.type) {
    case 0:  return "echo reply";
    case 3:  return "unreachable";
    case 11: return "time exceed";
    case 12: return "param prob";
    default: return "other ICMP";
    }
}

static const char *option_name(uint8_t type)
{
    switch (type) {
    case 0:   return "EOL";
    case 1:   return "NOP";
    case 7:   return "RR";
    case 68:  return "TS";
    case 131: return "LSRR";
    case 137: return "SSRR";
    case 148: return "RA";
    default:  return "?";
    }
}

/* "none", or the options' names: "RR+EOL". */
static void describe_options(const uint8_t *o, size_t len, char *text, size_t room)
{
    size_t at = 0;

    snprintf(text, room, len ? "" : "none");
    while (at < len) {
        size_t used = strlen(text);
        snprintf(text + used, room - used, "%s%s", used ? "+" : "", option_name(o[at]));
        if (o[at] == 0)
            break;                  /* the rest is padding */
        if (o[at] == 1 || at + 1 >= len || o[at + 1] < 2) {
            at++;
            continue;
        }
        at += o[at + 1];
    }
}

/* The options with the times of Timestamp slots cleared: both sides stamp
 * their own clock, so only where they stamped is compared. */
static void clear_times(uint8_t *o, size_t len)
{
    size_t at = 0;

    while (at + 4 <= len && o[at] != 0) {
        if (o[at] == 1) {
            at++;
            continue;
        }
        size_t opt_len = o[at + 1];
        if (opt_len < 2 || at + opt_len > len)
            return;
        if (o[at] == 68) {
            size_t first = (o[at + 3] & 0x0f) == 0 ? at + 4 : at + 8;
            size_t step = (o[at + 3] & 0x0f) == 0 ? 4 : 8;
            for (size_t w = first; w + 4 <= at + opt_len; w += step)
                memset(o + w, 0, 4);
        }
        at += opt_len;
    }
}

static int all_zero(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i])
            return 0;
    return 1;
}

/*
 * The row's value for one packet, as shown (`text`) and as compared
 * (`key`). Normalised, so never marked: the identification (each sender
 * picks its own) and the header checksum, compared as "verifies or not"
 * (it covers the identification).
 */
static void row_value(const struct row *row, const struct parsed *p, const struct parsed *request,
                      char *text, size_t room, char *key, size_t key_room)
{
    text[0] = key[0] = '\0';
    if (row->kind == ROW_ANSWER) {
        snprintf(text, room, "%s", answer_name(p));
        snprintf(key, key_room, "%s", text);
        return;
    }
    if (!p->ipv4 || (row->kind >= ROW_ICMP && !p->icmp)) {
        snprintf(text, room, "-");
        return;
    }
    if (row->kind == ROW_OPTIONS) {
        size_t len = p->ip.header_len - IPV4_MIN_HEADER_LEN;
        uint8_t options[40];
        memcpy(options, p->header + IPV4_MIN_HEADER_LEN, len);
        clear_times(options, len);
        describe_options(options, len, text, room);
        for (size_t i = 0; i < len && 2 * i + 2 < key_room; i++)
            snprintf(key + 2 * i, 3, "%02x", options[i]);
        return;
    }
    if (row->kind == ROW_DATA_LEN) {
        snprintf(text, room, "%zu", p->message.data_len);
    } else if (row->kind == ROW_DATA) {
        const struct icmp_view *asked = &request->message;
        if (request->icmp && p->message.data_len == asked->data_len &&
            memcmp(p->message.data, asked->data, asked->data_len) == 0)
            snprintf(text, room, "request's");
        else if (all_zero(p->message.data, p->message.data_len))
            snprintf(text, room, "zeros");
        else
            snprintf(text, room, "other");
    } else {
        const struct header_field *f = row->field;
        const uint8_t *header = row->kind == ROW_IPV4 ? p->header : p->ip.payload;
        uint32_t v = field_value(f, header);
        switch (f->format) {
        case FIELD_HEX:
            snprintf(text, room, "0x%0*x", (int)(f->bit_len + 3) / 4, v);
            break;
        case FIELD_FLAGS:
            snprintf(text, room, "%s%s%s%s", v & 4 ? "R " : "", v & 2 ? "DF" : "",
                     v == 3 ? " " : "", v & 1 ? "MF" : (v & 2 ? "" : "none"));
            break;
        case FIELD_ADDRESS:
            snprintf(text, room, "%u.%u.%u.%u", v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff);
            break;
        case FIELD_PROTOCOL:
            snprintf(text, room, "%u %s", v, ipv4_protocol_name((uint8_t)v));
            break;
        case FIELD_CHECKSUM: {
            const uint8_t *covered = row->kind == ROW_IPV4 ? p->header : p->ip.payload;
            size_t covered_len = row->kind == ROW_IPV4 ? p->ip.header_len : p->ip.payload_len;
            int ok = inet_checksum_ok(covered, covered_len);
            if (row->kind == ROW_IPV4) {
                snprintf(text, room, "0x%04x %s", v, ok ? "ok" : "bad");
                snprintf(key, key_room, "%s", ok ? "ok" : "bad");
                return;
            }
            snprintf(text, room, "0x%04x", v);
            break;
        }
        default:
            snprintf(text, room, "%u", v);
            break;
        }
    }
    if (!(row->kind == ROW_IPV4 && strcmp(row->field->name, "Identification") == 0))
        snprintf(key, key_room, "%s", text);
}

/* ---- why they differ ------------------------------------------------------- */

/* One line per difference the lessons explain, keyed by the steps it
 * applies to, the row, and the ICMP type of the step's reply (ANY_TYPE:
 * whatever it is); the first that fits is said. Step 09's come from
 * docs/differences.md, section 09-icmp-errors. */
enum { ANY_TYPE = -1, TIMESTAMP_REPLY = 14, PARAMETER_PROBLEM = 12 };

static const struct reason {
    int first, last;                /* steps */
    const char *row, *why;
    int same_data;                  /* only if the data is the same */
    int type;                       /* the step's reply's ICMP type, or ANY_TYPE */
} REASONS[] = {
    {1, 1, "Answer", "step 01 only reads and hex-dumps: no reply", 0, ANY_TYPE},
    {2, 2, "Answer", "step 02 parses and prints: no reply yet", 0, ANY_TYPE},
    {3, 5, "Answer", "03-05 answer echo requests to any address; no errors", 0, ANY_TYPE},
    {6, 8, "Answer", "see the step's log line below; no ICMP errors before 09", 0, ANY_TYPE},
    {9, 9, "Answer", "fragments wait for step 10; sources no host has: RFC 1122",
     0, ANY_TYPE},
    {3, 3, "Checksum", "step 03 sends no checksum: the post's first reply", 0, ANY_TYPE},
    {3, 3, "Data", "zeros: the post's first reply sent no data back", 0, ANY_TYPE},
    {4, 4, "Checksum", "still no checksum: step 05 adds RFC 1071's", 0, ANY_TYPE},
    {9, 9, "Checksum", "it covers the times: each side stamps its own clock", 0,
     TIMESTAMP_REPLY},
    {5, 9, "Checksum", "all-zero message: Linux writes 0x0000, RFC 1624 0xffff", 1, ANY_TYPE},
    {5, 9, "Checksum", "it covers the ICMP fields that differ", 0, ANY_TYPE},
    {3, 9, "Flags", "the steps set DF; Linux's ICMP socket clears it", 0, ANY_TYPE},
    {3, 9, "Code", "Linux copies the request's code; RFC 792 says 0", 0, ANY_TYPE},
    {3, 6, "TOS", "TOS 0 before step 07; Linux copies the request's", 0, ANY_TYPE},
    {3, 6, "Options", "options ignored before step 07; Linux echoes them", 0, ANY_TYPE},
    {3, 6, "IHL", "no options before step 07: a 20-byte header", 0, ANY_TYPE},
    {3, 6, "Total Length", "no options before step 07: a 20-byte header", 0, ANY_TYPE},
    {9, 9, "Destination", "the route's last hop 198.51.100.2 is Linux's peer: 192.0.2.1", 0,
     PARAMETER_PROBLEM},
    {9, 9, "Options", "the route's last hop 198.51.100.2 is Linux's peer: 192.0.2.1", 0,
     PARAMETER_PROBLEM},
    {7, 9, "Options", "prespecified Timestamp: each stamps only its own address", 0, ANY_TYPE},
};

/* The ICMP type of a step's reply, or ANY_TYPE if it is none. */
static int reply_type(const struct packet *reply)
{
    struct parsed p = parse(reply);
    return p.icmp ? p.message.type : ANY_TYPE;
}

static const char *reason_for(const struct step *s, const char *row, int data_differs, int type)
{
    int number = atoi(s->number);

    for (size_t i = 0; i < sizeof REASONS / sizeof REASONS[0]; i++)
        if (number >= REASONS[i].first && number <= REASONS[i].last &&
            strcmp(REASONS[i].row, row) == 0 && !(REASONS[i].same_data && data_differs) &&
            (REASONS[i].type == ANY_TYPE || REASONS[i].type == type))
            return REASONS[i].why;
    return "not in the lessons: see docs/differences.md";
}

/* Prints `text` wrapped at TEXT_WIDTH, lines after the first indented. */
static void print_wrapped(const char *text, int indent)
{
    int column = (int)strspn(text, " ");
    const char *word = text + column;

    printf("%*s", column, "");
    while (*word) {
        size_t len = strcspn(word, " ");
        if (column > indent && column + 1 + (int)len > TEXT_WIDTH) {
            printf("\n%*s", indent, "");
            column = indent;
        } else if (column > (int)strspn(text, " ")) {
            putchar(' ');
            column++;
        }
        column += printf("%.*s", (int)len, word);
        word += len;
        while (*word == ' ')
            word++;
    }
    putchar('\n');
}

/* ---- the table ------------------------------------------------------------- */

struct comparison {
    struct request *requests;
    size_t count;
    struct packet kernel[MAX_REQUESTS];
    int kernel_known[MAX_REQUESTS];
    struct step steps[MAX_STEPS];
    int step_count;
};

static int differs(const char *step_key, const char *kernel_key, int kernel_known)
{
    return kernel_known && (step_key[0] || kernel_key[0]) && strcmp(step_key, kernel_key) != 0;
}

/* Columns first..first+n-1 of the steps, beside the kernel's. */
static void print_table(struct comparison *c, size_t r, int first, int n, int *marked)
{
    struct parsed request = parse(&c->requests[r].packet), kernel = parse(&c->kernel[r]);
    char text[64], key[128], kernel_text[64], kernel_key[128];

    printf("%-*skernel", LABEL_WIDTH, "");
    for (int s = first; s < first + n; s++)
        printf("%*s%s", VALUE_WIDTH - (s == first ? 6 : 2), "", c->steps[s].number);
    printf("\n");
    for (size_t i = 0; i < row_count; i++) {
        if (rows[i].kind == ROW_IPV4 && rows[i].field == &IPV4_FIELDS[0])
            printf("IPv4 header\n");
        if (rows[i].kind == ROW_ICMP && rows[i].field == &ICMP_ECHO_FIELDS[0])
            printf("ICMP\n");
        if (c->kernel_known[r])
            row_value(&rows[i], &kernel, &request, kernel_text, sizeof kernel_text,
                      kernel_key, sizeof kernel_key);
        else
            snprintf(kernel_text, sizeof kernel_text, "?");
        /* Each value is padded on the left up to its column: the padding
         * comes first, so no line ends in spaces. */
        int width = printf("  %-*s%s", LABEL_WIDTH - 2, rows[i].label, kernel_text);
        int column = LABEL_WIDTH + VALUE_WIDTH;
        for (int s = first; s < first + n; s++, column += VALUE_WIDTH) {
            struct parsed reply = parse(&c->steps[s].replies[r]);
            row_value(&rows[i], &reply, &request, text, sizeof text, key, sizeof key);
            int mark = (reply.present && kernel.present) || rows[i].kind == ROW_ANSWER;
            mark = mark && differs(key, kernel_key, c->kernel_known[r]);
            if (mark)
                marked[s * MAX_ROWS + (int)i] = 1;
            int pad = column > width ? column - width : 1;
            width += printf("%*s%s%s", pad, "", text, mark ? " *" : "");
        }
        printf("\n");
    }
}

/* "03", "03, 05" or "03-06": the steps in `which` (MAX_STEPS flags). */
static void name_steps(const struct comparison *c, const int *which, char *text, size_t room)
{
    size_t used = 0;

    text[0] = '\0';
    for (int s = 0; s < c->step_count; s++) {
        if (!which[s])
            continue;
        int last = s;
        while (last + 1 < c->step_count && which[last + 1] &&
               atoi(c->steps[last + 1].number) == atoi(c->steps[last].number) + 1)
            last++;
        used += (size_t)snprintf(text + used, room - used, "%s%s", used ? ", " : "",
                                 c->steps[s].number);
        if (last >= s + 2) {
            used += (size_t)snprintf(text + used, room - used, "-%s", c->steps[last].number);
            s = last;
        }
        if (used >= room)
            return;
    }
}

/* The reasons for the request's marked fields, steps with the same reason
 * on one line; then what each step from 03 on that did not answer said. */
static void print_reasons(struct comparison *c, size_t r, const int *marked)
{
    char line[512], names[128];
    int said[MAX_STEPS * MAX_ROWS] = {0}, data_differs[MAX_STEPS] = {0};

    for (size_t i = 0; i < row_count; i++)
        for (int s = 0; s < c->step_count; s++)
            if (rows[i].kind >= ROW_DATA_LEN && marked[s * MAX_ROWS + (int)i])
                data_differs[s] = 1;

    for (size_t i = 0; i < row_count; i++)
        for (int s = 0; s < c->step_count; s++) {
            if (!marked[s * MAX_ROWS + (int)i] || said[s * MAX_ROWS + (int)i])
                continue;
            const char *why = reason_for(&c->steps[s], rows[i].label, data_differs[s],
                                         reply_type(&c->steps[s].replies[r]));
            int which[MAX_STEPS] = {0};
            for (int t = s; t < c->step_count; t++)
                if (marked[t * MAX_ROWS + (int)i] &&
                    reason_for(&c->steps[t], rows[i].label, data_differs[t],
                               reply_type(&c->steps[t].replies[r])) == why)
                    which[t] = said[t * MAX_ROWS + (int)i] = 1;
            name_steps(c, which, names, sizeof names);
            snprintf(line, sizeof line, "* %s %s: %s", names, rows[i].label, why);
            print_wrapped(line, 4);
        }
    for (int s = 0; s < c->step_count; s++)
        if (atoi(c->steps[s].number) >= 3 && !c->steps[s].replies[r].bytes && c->steps[s].logs[r][0]) {
            snprintf(line, sizeof line, "- %s said: %s", c->steps[s].number, c->steps[s].logs[r]);
            print_wrapped(line, 4);
        }
}

static void print_request(struct comparison *c, size_t r)
{
    struct parsed request = parse(&c->requests[r].packet);
    int marked[MAX_STEPS * MAX_ROWS] = {0};
    char line[256];

    if (request.icmp)
        snprintf(line, sizeof line, "   %s %u.%u.%u.%u -> %u.%u.%u.%u, %zu data bytes",
                 icmp_type_name(request.message.type),
                 request.ip.src[0], request.ip.src[1], request.ip.src[2], request.ip.src[3],
                 request.ip.dst[0], request.ip.dst[1], request.ip.dst[2], request.ip.dst[3],
                 request.message.data_len);
    else
        snprintf(line, sizeof line, "   %zu bytes, %s", c->requests[r].packet.len, request.ipv4 ? "not ICMP" : "not a valid IPv4 header");
    printf("\n== request %zu of %zu: %s\n", r + 1, c->count, c->requests[r].name);
    print_wrapped(line, 3);
    for (int first = 0; first < c->step_count; first += COLUMNS_PER_TABLE) {
        if (first > 0)
            printf("\n");
        int n = c->step_count - first < COLUMNS_PER_TABLE ? c->step_count - first : COLUMNS_PER_TABLE;
        print_table(c, r, first, n, marked);
    }
    print_reasons(c, r, marked);
    for (int s = 0; s < c->step_count; s++) {
        int any = 0;
        for (size_t i = 0; i < row_count; i++)
            if (marked[s * MAX_ROWS + (int)i]) {
                c->steps[s].rows_differing[i]++;
                any = 1;
            }
        c->steps[s].differing += any;
    }
}

/* ---- the diagrams ---------------------------------------------------------- */

static void dot_cell(FILE *out, int colspan, const char *label, const char *value,
                     const char *kernel_value, int marked)
{
    fprintf(out, "<TD COLSPAN=\"%d\" BGCOLOR=\"%s\">%s<BR/><FONT POINT-SIZE=\"9\">%s", colspan,
            marked ? "#f4c7c3" : "#ffffff", label, value);
    if (marked)
        fprintf(out, "<BR/>kernel: %s", kernel_value);
    fprintf(out, "</FONT></TD>");
}

/* One node per request: the step's reply as RFC 791 draws a header, 32
 * bits a row, the cells that differ from the kernel's in red. */
static void dot_reply(FILE *out, struct comparison *c, int s, size_t r)
{
    struct parsed request = parse(&c->requests[r].packet), kernel = parse(&c->kernel[r]);
    struct parsed reply = parse(&c->steps[s].replies[r]);
    char text[64], key[128], kernel_text[64], kernel_key[128];

    fprintf(out, "  r%zu [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
            "CELLPADDING=\"3\">\n    <TR><TD BORDER=\"0\" COLSPAN=\"32\" ALIGN=\"LEFT\"><B>%s: "
            "step %s's reply (red: not as the kernel's)</B></TD></TR>\n", r, c->requests[r].name, c->steps[s].number);
    if (!reply.ipv4) {
        fprintf(out, "    <TR><TD COLSPAN=\"32\" BGCOLOR=\"%s\">no reply%s%s</TD></TR>\n",
                kernel.present ? "#f4c7c3" : "#ffffff",
                kernel.present ? "; the kernel answers: " : "", kernel.present ? answer_name(&kernel) : "");
        fprintf(out, "  </TABLE>>];\n");
        return;
    }
    unsigned bits = 0;
    for (size_t i = 0; i < row_count; i++) {
        const struct row *row = &rows[i];
        if (row->kind == ROW_ANSWER || (row->kind >= ROW_ICMP && !reply.icmp))
            continue;
        row_value(row, &reply, &request, text, sizeof text, key, sizeof key);
        kernel_text[0] = kernel_key[0] = '\0';
        if (c->kernel_known[r])
            row_value(row, &kernel, &request, kernel_text, sizeof kernel_text, kernel_key,
                      sizeof kernel_key);
        int marked = kernel.present && differs(key, kernel_key, c->kernel_known[r]);
        int colspan = row->field ? (int)row->field->bit_len : row->kind == ROW_OPTIONS ? 32 : 16;
        if (bits % 32 == 0)
            fprintf(out, "    <TR>");
        dot_cell(out, colspan, row->label, text, kernel_text, marked);
        bits += (unsigned)colspan;
        if (bits % 32 == 0)
            fprintf(out, "</TR>\n");
    }
    fprintf(out, "  </TABLE>>];\n");
}

static int write_diagram(struct comparison *c, int s, const char *dir)
{
    char path[600];

    snprintf(path, sizeof path, "%s/%s.dot", dir, c->steps[s].name);
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "compare: cannot write %s (%s)\n", path, strerror(errno));
        return -1;
    }
    fprintf(out, "// Drawn by `make compare` (tools/compare.c): step %s's replies, the fields\n"
            "// that differ from the Linux kernel's reply in red.\n"
            "digraph \"%s\" {\n  rankdir=TB;\n"
            "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n",
            c->steps[s].number, c->steps[s].name);
    for (size_t r = 0; r < c->count; r++) {
        dot_reply(out, c, s, r);
        if (r > 0)
            fprintf(out, "  r%zu -> r%zu [style=invis];\n", r - 1, r);
    }
    fprintf(out, "}\n");
    return fclose(out) == 0 ? 0 : -1;
}

/* ---- putting it together --------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: compare --steps \"03 05\" --bin DIR --dot DIR "
            "(--kernel-tun IFNAME | --recorded DIR) FILE.pcap...\n");
}

/* The steps named in `wanted` ("03 05", "3,5"), in that order; -1 with
 * one sentence printed if one does not exist. */
static int choose_steps(struct comparison *c, const char *bin_dir, const char *wanted)
{
    char list[256];

    snprintf(list, sizeof list, "%s", wanted);
    for (char *word = strtok(list, " ,"); word; word = strtok(NULL, " ,")) {
        if (c->step_count == MAX_STEPS) {
            fprintf(stderr, "compare: at most %d steps at once: ignored '%s'.\n", MAX_STEPS, word);
            continue;
        }
        if (find_step(bin_dir, word, &c->steps[c->step_count]) < 0)
            return -1;
        c->step_count++;
    }
    if (c->step_count == 0) {
        fprintf(stderr, "compare: say which steps, for example STEPS=\"03 04 05\".\n");
        return -1;
    }
    return 0;
}

/* Every IPv4 packet of the captures is a request; what else they hold is
 * counted in one line. -1 with one sentence printed if there is none. */
static int read_requests(struct comparison *c, char **paths, int count)
{
    static struct request requests[MAX_REQUESTS];
    unsigned long ignored = 0, too_many = 0;

    for (int a = 0; a < count; a++) {
        struct packet_list list;
        if (read_capture(paths[a], &list) < 0)
            return -1;
        for (size_t i = 0; i < list.count; i++) {
            if (!is_ipv4(&list.items[i]) || c->count == MAX_REQUESTS) {
                *(is_ipv4(&list.items[i]) ? &too_many : &ignored) += 1;
                free(list.items[i].bytes);
                continue;
            }
            struct request *r = &requests[c->count++];
            if (list.count == 1)
                snprintf(r->name, sizeof r->name, "%s", base_name(paths[a]));
            else
                snprintf(r->name, sizeof r->name, "%.50s #%lu", base_name(paths[a]),
                         (unsigned long)(i + 1) % 100000);
            r->packet = list.items[i];
        }
        free(list.items);
    }
    c->requests = requests;
    if (ignored)
        printf("ignored %lu packet%s: not IPv4\n", ignored, ignored == 1 ? "" : "s");
    if (too_many)
        printf("ignored %lu packet%s past the first %d\n", too_many, too_many == 1 ? "" : "s",
               MAX_REQUESTS);
    if (c->count == 0) {
        fprintf(stderr, "compare: no IPv4 packet in %s: nothing to compare.\n", paths[0]);
        return -1;
    }
    return 0;
}

/* The kernel's answer to every request: live through the tun `live`, or
 * recorded in the directory `recorded`. Says in one line which. */
static int ask_kernel(struct comparison *c, const char *live, const char *recorded)
{
    char why[512] = "";
    size_t unknown = 0;
    int tun = -1;

    if (live) {
        if ((tun = tun_open(live, why, sizeof why)) < 0) {
            fprintf(stderr, "compare: %s\n", why);
            return -1;
        }
        wait_for_carrier(live);
        printf("kernel: Linux's own replies, live (a tun, 198.51.100.1/24, private "
               "namespace)\n");
    } else {
        load_recordings(recorded);
        printf("kernel: the replies recorded in %s/kernel-replies (live needs root)\n", recorded);
    }
    for (size_t r = 0; r < c->count; r++) {
        if (tun < 0) {
            c->kernel_known[r] = recorded_reply(&c->requests[r].packet, &c->kernel[r]);
            unknown += !c->kernel_known[r];
        } else if (live_reply(tun, (unsigned)r, &c->requests[r].packet, &c->kernel[r]) == 0) {
            c->kernel_known[r] = 1;
        } else {
            fprintf(stderr, "compare: the kernel did not answer the sentinel after request "
                    "%zu: is %s up with 198.51.100.1/24?\n", r + 1, live);
            close(tun);
            return -1;
        }
    }
    if (tun >= 0)
        close(tun);
    if (unknown)
        printf("kernel: %zu request%s not recorded; the kernel column (?) needs root: "
               "sudo make compare\n", unknown, unknown == 1 ? " is" : "s are");
    return 0;
}

/* Every step's answer to every request, in a directory of our own. */
static int ask_steps(struct comparison *c)
{
    static const char *const FILES[] = {"request.pcap", "%s.pcap", "%s.log", "%s.err"};
    char work[] = "/tmp/compare.XXXXXX", path[600], name[32];
    int failed = 0;

    if (!mkdtemp(work)) {
        fprintf(stderr, "compare: cannot make a temporary directory (%s)\n", strerror(errno));
        return -1;
    }
    for (int s = 0; s < c->step_count && !failed; s++)
        for (size_t r = 0; r < c->count && !failed && c->steps[s].runs; r++)
            failed = run_step(&c->steps[s], r, &c->requests[r].packet, work) < 0;
    for (int s = 0; s < c->step_count; s++)
        for (size_t f = 0; f < sizeof FILES / sizeof FILES[0]; f++) {
            snprintf(name, sizeof name, FILES[f], c->steps[s].number);
            snprintf(path, sizeof path, "%s/%s", work, name);
            unlink(path);
        }
    rmdir(work);
    return failed ? -1 : 0;
}

/* Per step: in how many replies, and in which fields, it differs. */
static void print_summary(const struct comparison *c, int s)
{
    char line[512];
    int used = snprintf(line, sizeof line, "%s: %d of %zu replies differ from the kernel's",
                        c->steps[s].name, c->steps[s].differing, c->count);

    for (size_t i = 0, first = 1; i < row_count && used < (int)sizeof line; i++)
        if (c->steps[s].rows_differing[i]) {
            used += snprintf(line + used, sizeof line - (size_t)used, "%s %s",
                             first ? ", in" : ",", rows[i].label);
            first = 0;
        }
    print_wrapped(line, 4);
}

int main(int argc, char **argv)
{
    static struct comparison c;
    const char *steps = "03 04 05 06", *bin_dir = "bin", *dot_dir = NULL;
    const char *kernel_tun = NULL, *recorded = NULL;
    static const struct option options[] = {
        {"steps", required_argument, NULL, 's'}, {"bin", required_argument, NULL, 'b'},
        {"dot", required_argument, NULL, 'd'}, {"kernel-tun", required_argument, NULL, 'k'},
        {"recorded", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int option;

    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 's': steps = optarg; break;
        case 'b': bin_dir = optarg; break;
        case 'd': dot_dir = optarg; break;
        case 'k': kernel_tun = optarg; break;
        case 'r': recorded = optarg; break;
        default: usage(); return 2;
        }
    }
    if (optind == argc || !dot_dir || !!kernel_tun + !!recorded != 1) {
        usage();
        return 2;
    }
    if (choose_steps(&c, bin_dir, steps) < 0)
        return 2;
    if (read_requests(&c, argv + optind, argc - optind) < 0 || ask_kernel(&c, kernel_tun, recorded) < 0 ||
        ask_steps(&c) < 0)
        return 1;

    printf("not compared: the IP identification (each sender picks its own); header\n"
           "checksums only as ok/bad; the kernel's addresses are mapped back from\n"
           "198.51.100.x; timestamp values in options. * differs from the kernel.\n");
    build_rows();
    for (size_t r = 0; r < c.count; r++)
        print_request(&c, r);
    printf("\n");
    for (int s = 0; s < c.step_count; s++) {
        print_summary(&c, s);
        if (write_diagram(&c, s, dot_dir) < 0)
            return 1;
    }
    return 0;
}
