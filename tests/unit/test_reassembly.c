/*
 * Reassembly (common/reassembly.c) held to what the Linux kernel does.
 *
 * Each sequence of tests/fixtures/fragments/sequences.txt is one test here: its
 * fragments go through reassembly_add() and each outcome must be the one the
 * file names. The same file is measured against the kernel by
 * tests/docs/kernel_fragments.py (make test), so an outcome written there is
 * what Linux did with the same bytes, not what we think it does. The file
 * says how each line reads; the packets are built here the way the Python
 * script builds them (an echo request from 192.0.2.1 to 192.0.2.2 whose
 * data bytes are i % 256).
 *
 * The tests after the sequences check what the kernel cannot show from
 * outside: that memory is bounded and every byte charged is given back.
 */
#include <time.h>

#include "support.h"

#include "bytes.h"
#include "checksum.h"
#include "ipv4.h"
#include "reassembly.h"

/* Allocations can be made to fail: the Makefile links this test with
 * --wrap=malloc and --wrap=calloc, so that every malloc() and calloc() in
 * common/ and here comes through these. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);

static long fail_after = -1;    /* -1: none fails; n: the one after n more */

static int this_one_fails(void)
{
    return fail_after >= 0 && fail_after-- == 0;
}

void *__wrap_malloc(size_t size)
{
    return this_one_fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    return this_one_fails() ? NULL : __real_calloc(count, size);
}

enum { MAX_LINES = 128, MAX_SEQUENCES = 128, MAX_DATAGRAMS = 4, MAX_FIRSTS = 8 };

/* One sequence of the fixture: its name, message size and lines. */
struct sequence {
    char name[64];
    size_t size;
    int lines;
    int line_numbers[MAX_LINES];
    char *text[MAX_LINES];
};

static struct sequence sequences[MAX_SEQUENCES];
static int sequence_count;

/* What a running sequence has seen. */
struct run_state {
    struct reassembly *table;
    const struct sequence *seq;
    uint64_t now;
    int reassembled;
    int replies;                        /* whole echo requests Linux would answer */
    uint8_t *datagrams[MAX_DATAGRAMS];
    size_t datagram_lens[MAX_DATAGRAMS];
    uint8_t *firsts[MAX_FIRSTS];        /* first fragments as sent */
    size_t first_lens[MAX_FIRSTS];
    int first_count;
    int errors;
    size_t quotes[16];
};

static uint8_t packet[TEST_MAX_PACKET];
static uint8_t out[TEST_MAX_PACKET];
static uint8_t whole[2 * TEST_MAX_PACKET];

/* ---- building packets, as kernel_fragments.py does ---------------------- */

/* The ICMP echo request the fragments are cut from. */
static void build_message(uint8_t *message, size_t size, uint16_t ident)
{
    for (size_t i = 0; i < size; i++)
        message[i] = (uint8_t)(i % 256);
    memset(message, 0, 8);
    message[0] = 8;
    write_be16(message + 4, ident);
    write_be16(message + 6, 1);
    write_be16(message + 2, inet_checksum(message, size < 65515 ? size : 65515));
}

/* `opt`: three No Operation options and an End of Option List. */
static const uint8_t OPTIONS[4] = {1, 1, 1, 0};

/* Writes a header (20 bytes, or 24 with OPTIONS) and returns its length. */
static size_t build_header(uint8_t *h, size_t total, uint16_t ident, uint8_t tos,
                           uint16_t flags_offset, int options)
{
    static const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
    size_t len = options ? 24 : 20;
    memset(h, 0, 20);
    h[0] = (uint8_t)(0x40 | len / 4);
    h[1] = tos;
    write_be16(h + 2, (uint16_t)total);
    write_be16(h + 4, ident);
    write_be16(h + 6, flags_offset);
    h[8] = 64;
    h[9] = 1;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    if (options)
        memcpy(h + 20, OPTIONS, 4);
    write_be16(h + 10, inet_checksum(h, len));
    return len;
}

struct frag {
    size_t offset, len;
    int mf, df, restart, opt;
    unsigned tos, id;
    char outcome[48];
};

static size_t build_fragment(uint8_t *p, size_t size, const struct frag *f)
{
    build_message(whole, size, (uint16_t)f->id);
    for (size_t i = size; i < f->offset + f->len; i++)
        whole[i] = (uint8_t)(i % 256);         /* past the message: the pattern goes on */
    uint16_t flags = (uint16_t)((f->mf ? 0x2000 : 0) | (f->df ? 0x4000 : 0) | f->offset / 8);
    size_t h = build_header(p, (f->opt ? 24 : 20) + f->len, (uint16_t)f->id, (uint8_t)f->tos,
                            flags, f->opt);
    memcpy(p + h, whole + f->offset, f->len);
    return h + f->len;
}

/* ---- reading the fixture ---------------------------------------------------- */

static void load_sequences(void)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/fragments/sequences.txt", PROJECT_ROOT);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    int number = 0;
    while (fgets(line, sizeof line, in)) {
        number++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char kind[32];
        if (sscanf(line, "%31s", kind) != 1)
            continue;
        if (strcmp(kind, "sequence") == 0) {
            if (sequence_count == MAX_SEQUENCES) {
                fprintf(stderr, "%s:%d: more than %d sequences\n", path, number, MAX_SEQUENCES);
                exit(1);
            }
            struct sequence *s = &sequences[sequence_count++];
            if (sscanf(line, "%*s %63s %zu", s->name, &s->size) != 2) {
                fprintf(stderr, "%s:%d: sequence NAME SIZE\n", path, number);
                exit(1);
            }
            continue;
        }
        if (sequence_count == 0 || sequences[sequence_count - 1].lines == MAX_LINES) {
            fprintf(stderr, "%s:%d: a line outside a sequence, or too many\n", path, number);
            exit(1);
        }
        struct sequence *s = &sequences[sequence_count - 1];
        s->line_numbers[s->lines] = number;
        s->text[s->lines++] = strdup(line);
    }
    fclose(in);
}

static struct frag parse_frag(const char *text, int number)
{
    struct frag f = {.id = 1};
    char copy[512], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    strtok_r(copy, " \t\n", &save);             /* "frag" */
    char *offset = strtok_r(NULL, " \t\n", &save), *len = strtok_r(NULL, " \t\n", &save);
    if (offset == NULL || len == NULL)
        fail_msg("sequences.txt:%d: frag OFFSET LEN ...", number);
    f.offset = strtoul(offset, NULL, 0);
    f.len = strtoul(len, NULL, 0);
    for (char *word; (word = strtok_r(NULL, " \t\n", &save)) != NULL;) {
        if (strcmp(word, "mf") == 0)
            f.mf = 1;
        else if (strcmp(word, "df") == 0)
            f.df = 1;
        else if (strcmp(word, "restart") == 0)
            f.restart = 1;
        else if (strcmp(word, "opt") == 0)
            f.opt = 1;
        else if (strncmp(word, "tos=", 4) == 0)
            f.tos = (unsigned)strtoul(word + 4, NULL, 0);
        else if (strncmp(word, "id=", 3) == 0)
            f.id = (unsigned)strtoul(word + 3, NULL, 0);
        else
            snprintf(f.outcome, sizeof f.outcome, "%s", word);
    }
    if (f.offset == 0 && !f.mf)
        fail_msg("sequences.txt:%d: offset 0 without mf is no fragment", number);
    return f;
}

/* ---- running a sequence ---------------------------------------------------- */

static enum reassembly_outcome add(struct run_state *st, const struct frag *f, int number)
{
    size_t len = build_fragment(packet, st->seq->size, f);
    struct ipv4_view ip;
    assert_int_equal(ipv4_parse(packet, len, &ip), IPV4_OK);
    if (f->offset == 0 && st->first_count < MAX_FIRSTS) {
        st->firsts[st->first_count] = malloc(len);
        assert_non_null(st->firsts[st->first_count]);
        memcpy(st->firsts[st->first_count], packet, len);
        st->first_lens[st->first_count++] = len;
    }
    /* The packet in a heap block of its own size: a read past it fails
     * under AddressSanitizer. */
    uint8_t *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, packet, len);
    assert_int_equal(ipv4_parse(exact, len, &ip), IPV4_OK);
    size_t out_len = 12345;
    enum reassembly_outcome got = reassembly_add(st->table, exact, &ip, st->now++, out, &out_len);
    free(exact);
    if (got == REASSEMBLY_COMPLETE) {
        /* The kernel answers a whole datagram only if it is an echo
         * request whose checksum holds: a grown fragment can spoil it. */
        size_t hlen = (out[0] & 15u) * 4;
        st->replies += out[hlen] == 8 && inet_checksum_ok(out + hlen, out_len - hlen);
        if (st->reassembled < MAX_DATAGRAMS) {
            st->datagrams[st->reassembled] = malloc(out_len);
            assert_non_null(st->datagrams[st->reassembled]);
            memcpy(st->datagrams[st->reassembled], out, out_len);
            st->datagram_lens[st->reassembled] = out_len;
        }
        st->reassembled++;
    } else if (out_len != 0) {
        fail_msg("sequences.txt:%d: %s, but a datagram length of %zu", number,
                 reassembly_outcome_name(got), out_len);
    }
    return got;
}

static void step_frag(struct run_state *st, const char *text, int number)
{
    struct frag f = parse_frag(text, number);
    size_t count_before = reassembly_count(st->table);
    enum reassembly_outcome got = add(st, &f, number);
    if (strcmp(reassembly_outcome_name(got), f.outcome) != 0)
        fail_msg("sequences.txt:%d: fragment %zu+%zu%s: expected %s, got %s", number, f.offset,
                 f.len, f.mf ? " MF" : "", f.outcome, reassembly_outcome_name(got));
    if (f.restart && reassembly_count(st->table) != count_before)
        fail_msg("sequences.txt:%d: a restarted datagram is the same datagram", number);
}

static void step_others(struct run_state *st, const char *text, int number)
{
    unsigned n = 0;
    assert_int_equal(sscanf(text, "%*s %u", &n), 1);
    for (unsigned i = 0; i < n; i++) {
        struct frag f = {.offset = 0, .len = 8, .mf = 1, .id = 1000 + i};
        enum reassembly_outcome got = add(st, &f, number);
        if (got != REASSEMBLY_HELD)
            fail_msg("sequences.txt:%d: other fragment %u: %s", number, i,
                     reassembly_outcome_name(got));
    }
}

static void step_limit(struct run_state *st)
{
    struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    settings.high_thresh = reassembly_memory(st->table);
    reassembly_set_settings(st->table, &settings);
}

static void step_wait(struct run_state *st)
{
    const struct reassembly_settings linux_defaults = REASSEMBLY_LINUX_DEFAULTS;
    st->now += (uint64_t)linux_defaults.time_s * 1000;
    size_t first_len;
    while (reassembly_expire(st->table, st->now, out, &first_len)) {
        if (first_len == 0)
            continue;
        /* The quote must be a first fragment's first bytes as it came. */
        int found = 0;
        for (int i = 0; i < st->first_count; i++)
            found |= first_len <= st->first_lens[i] && memcmp(out, st->firsts[i], first_len) == 0;
        if (!found)
            fail_msg("%s: a timed-out datagram's first fragment is not one that was sent",
                     st->seq->name);
        if (st->errors < 16)
            st->quotes[st->errors] = first_len;
        st->errors++;
    }
    assert_int_equal(reassembly_count(st->table), 0);
    assert_int_equal(reassembly_memory(st->table), 0);
}

static void step_datagram(struct run_state *st, const char *text, int number)
{
    unsigned tos = 0, df = 0, id = 1, opt = 0;
    char copy[512], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    strtok_r(copy, " \t\n", &save);
    for (char *word; (word = strtok_r(NULL, " \t\n", &save)) != NULL;) {
        unsigned value = (unsigned)strtoul(strchr(word, '=') + 1, NULL, 0);
        if (strncmp(word, "tos=", 4) == 0)
            tos = value;
        else if (strncmp(word, "df=", 3) == 0)
            df = value;
        else if (strncmp(word, "id=", 3) == 0)
            id = value;
        else if (strncmp(word, "opt=", 4) == 0)
            opt = value;
    }
    size_t size = st->seq->size, hlen = opt ? 24 : 20;
    uint8_t *want = malloc(hlen + size);
    assert_non_null(want);
    build_header(want, hlen + size, (uint16_t)id, (uint8_t)tos, df ? 0x4000 : 0, (int)opt);
    build_message(want + hlen, size, (uint16_t)id);
    int found = 0;
    for (int i = 0; i < st->reassembled && i < MAX_DATAGRAMS; i++)
        if (read_be16(st->datagrams[i] + 4) == id) {
            found = 1;
            assert_int_equal(st->datagram_lens[i], hlen + size);
            if (memcmp(st->datagrams[i], want, hlen) != 0) {
                char got_hex[49], want_hex[49];
                for (size_t b = 0; b < hlen; b++) {
                    sprintf(got_hex + 2 * b, "%02x", st->datagrams[i][b]);
                    sprintf(want_hex + 2 * b, "%02x", want[b]);
                }
                fail_msg("sequences.txt:%d: header %s, the kernel's %s", number, got_hex,
                         want_hex);
            }
            assert_memory_equal(st->datagrams[i] + hlen, want + hlen, size);
        }
    free(want);
    if (!found)
        fail_msg("sequences.txt:%d: no datagram with identification %u was reassembled", number,
                 id);
}

static void step_count(struct run_state *st, const char *text, int number)
{
    char kind[16];
    int n = -1, quote = -1;
    const char *q = strstr(text, "quote=");
    assert_true(sscanf(text, "%15s %d", kind, &n) == 2);
    if (q != NULL)
        quote = atoi(q + 6);
    int got = strcmp(kind, "replies") == 0 ? st->replies : st->errors;
    if (got != n)
        fail_msg("sequences.txt:%d: %s %d, got %d", number, kind, n, got);
    for (int i = 0; quote >= 0 && i < st->errors && i < 16; i++)
        if (st->quotes[i] != (size_t)quote)
            fail_msg("sequences.txt:%d: a quote of %d bytes, got %zu", number, quote,
                     st->quotes[i]);
}

static void run_sequence(void **state)
{
    const struct sequence *seq = *state;
    const struct reassembly_settings linux_defaults = REASSEMBLY_LINUX_DEFAULTS;
    struct run_state st = {.seq = seq, .now = 1000};
    st.table = reassembly_new(&linux_defaults);
    assert_non_null(st.table);

    for (int i = 0; i < seq->lines; i++) {
        const char *text = seq->text[i];
        int number = seq->line_numbers[i];
        char kind[32];
        assert_int_equal(sscanf(text, "%31s", kind), 1);
        if (strcmp(kind, "frag") == 0)
            step_frag(&st, text, number);
        else if (strcmp(kind, "others") == 0)
            step_others(&st, text, number);
        else if (strcmp(kind, "limit") == 0)
            step_limit(&st);
        else if (strcmp(kind, "wait") == 0)
            step_wait(&st);
        else if (strcmp(kind, "datagram") == 0)
            step_datagram(&st, text, number);
        else if (strcmp(kind, "replies") == 0 || strcmp(kind, "errors") == 0)
            step_count(&st, text, number);
        else
            fail_msg("sequences.txt:%d: unknown line %s", number, kind);
    }
    /* Whatever is left times out, and every byte charged comes back. */
    size_t first_len;
    while (reassembly_expire(st.table, UINT64_MAX - 1, out, &first_len))
        ;
    assert_int_equal(reassembly_count(st.table), 0);
    assert_int_equal(reassembly_memory(st.table), 0);
    reassembly_free(st.table);
    for (int i = 0; i < st.reassembled && i < MAX_DATAGRAMS; i++)
        free(st.datagrams[i]);
    for (int i = 0; i < st.first_count; i++)
        free(st.firsts[i]);
}

/* ---- the cost of one fragment ------------------------------------------------ */

/* An 8-byte fragment of datagram 7 from 192.0.2.1 at `offset`, with More
 * Fragments, in `p` (28 bytes). */
static void tiny_fragment(uint8_t *p, size_t offset, struct ipv4_view *ip)
{
    memset(p, 0, 28);
    p[0] = 0x45;
    write_be16(p + 2, 28);
    write_be16(p + 4, 7);
    write_be16(p + 6, (uint16_t)(0x2000 | offset / 8));
    p[8] = 64;
    p[9] = 1;
    memcpy(p + 12, (const uint8_t[]){192, 0, 2, 1}, 4);
    memcpy(p + 16, (const uint8_t[]){192, 0, 2, 2}, 4);
    write_be16(p + 10, inet_checksum(p, 20));
    assert_int_equal(ipv4_parse(p, 28, ip), IPV4_OK);
}

/* A datagram that holds a piece at 65520 and `runs` pieces of 8 bytes
 * from 0 up, each a run of its own (they came after the one past them);
 * `p` and `ip` are left holding a copy of the last piece. */
static struct reassembly *held_in_runs(size_t runs, uint8_t p[28], struct ipv4_view *ip)
{
    struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    struct reassembly *table = reassembly_new(&settings);
    size_t out_len;

    tiny_fragment(p, 65520, ip);
    assert_int_equal(reassembly_add(table, p, ip, 0, out, &out_len), REASSEMBLY_HELD);
    for (size_t k = 0; k < runs; k++) {
        tiny_fragment(p, k * 8, ip);
        assert_int_equal(reassembly_add(table, p, ip, 0, out, &out_len), REASSEMBLY_HELD);
    }
    tiny_fragment(p, (runs - 1) * 8, ip);
    return table;
}

/* Seconds that `count` copies of that last piece take, once. */
static double seconds_for_duplicates(struct reassembly *table, const uint8_t p[28],
                                     const struct ipv4_view *ip, int count)
{
    struct timespec t0, t1;
    size_t out_len;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < count; i++)
        assert_int_equal(reassembly_add(table, p, ip, 0, out, &out_len), REASSEMBLY_DUPLICATE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* FragmentSmack (CVE-2018-5391), which the lesson tells: a datagram of
 * thousands of tiny pieces, and a fragment that must be compared with
 * each of them, cost Linux a CPU for a trickle of packets; its fix keeps
 * them in a tree, so that a fragment costs the logarithm of their number.
 * A duplicate costs no memory, so an attacker may send it for the whole
 * timeout: against 8000 runs it must cost a few times what it costs
 * against 16 (a tree: 13 steps against 4), not 500 times. The two are
 * timed in turn, five times, and each keeps its best: a busy moment of
 * the machine falls on both, and the best of five leaves it out. */
static void a_fragment_costs_little_more_among_thousands(void **unused)
{
    (void)unused;
    enum { COUNT = 20000 };
    uint8_t few_p[28], many_p[28];
    struct ipv4_view few_ip, many_ip;
    struct reassembly *few_table = held_in_runs(16, few_p, &few_ip);
    struct reassembly *many_table = held_in_runs(8000, many_p, &many_ip);
    double few = 1e9, many = 1e9;

    for (int round = 0; round < 5; round++) {
        double s = seconds_for_duplicates(few_table, few_p, &few_ip, COUNT) / COUNT;
        few = s < few ? s : few;
        s = seconds_for_duplicates(many_table, many_p, &many_ip, COUNT) / COUNT;
        many = s < many ? s : many;
    }
    reassembly_free(few_table);
    reassembly_free(many_table);
    printf("# a duplicate among 16 runs: %.3f us, among 8000: %.3f us (%.0f times)\n",
           few * 1e6, many * 1e6, many / few);
    assert_true(many < 10 * few);
}

/* ---- what the kernel cannot show from outside ------------------------------ */

static size_t lone_first_fragment(uint16_t id, uint8_t src_last, size_t len, struct ipv4_view *ip)
{
    struct frag f = {.offset = 0, .len = len, .mf = 1, .id = id};
    size_t n = build_fragment(packet, 1480, &f);
    packet[15] = src_last;                      /* another source */
    write_be16(packet + 10, 0);
    write_be16(packet + 10, inet_checksum(packet, 20));
    assert_int_equal(ipv4_parse(packet, n, ip), IPV4_OK);
    return n;
}

/* A flood of datagrams that never complete, from many sources: memory
 * passes high_thresh by one fragment at most, then every fragment is
 * refused; when they time out, all of it comes back. */
static void a_flood_is_bounded(void **unused)
{
    (void)unused;
    struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    settings.high_thresh = 1 << 20;
    struct reassembly *table = reassembly_new(&settings);
    assert_non_null(table);
    size_t out_len, most = 0, refused = 0;
    for (unsigned i = 0; i < 5000; i++) {
        struct ipv4_view ip;
        lone_first_fragment((uint16_t)i, (uint8_t)(i % 200 + 1), 1480, &ip);
        enum reassembly_outcome got = reassembly_add(table, packet, &ip, 1000, out, &out_len);
        assert_true(got == REASSEMBLY_HELD || got == REASSEMBLY_NO_MEMORY);
        refused += got == REASSEMBLY_NO_MEMORY;
        if (reassembly_memory(table) > most)
            most = reassembly_memory(table);
    }
    /* One fragment's charge: its bytes and our bookkeeping, well under 2000. */
    assert_true(most > settings.high_thresh);
    assert_true(most <= settings.high_thresh + 2000);
    assert_true(refused > 4000);
    assert_int_equal(reassembly_next_expiry(table), 1000 + 30 * 1000);
    size_t first_len, expired = 0;
    assert_int_equal(reassembly_expire(table, 30999, out, &first_len), 0);
    while (reassembly_expire(table, 31000, out, &first_len)) {
        assert_int_equal(first_len, 20 + 1480);
        expired++;
    }
    assert_int_equal(expired, 5000 - refused);
    assert_int_equal(reassembly_memory(table), 0);
    assert_int_equal(reassembly_next_expiry(table), UINT64_MAX);
    reassembly_free(table);
}

/* The timer starts with the first fragment and later ones do not push it
 * back (Linux: "RFC791 is wrong proposing to prolongate timer each fragment
 * arrival by TTL"); datagrams expire oldest first. */
static void the_timer_is_not_pushed_back(void **unused)
{
    (void)unused;
    const struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    struct reassembly *table = reassembly_new(&settings);
    assert_non_null(table);
    struct ipv4_view ip;
    size_t out_len, first_len;
    lone_first_fragment(1, 1, 512, &ip);
    assert_int_equal(reassembly_add(table, packet, &ip, 0, out, &out_len), REASSEMBLY_HELD);
    lone_first_fragment(2, 1, 512, &ip);
    assert_int_equal(reassembly_add(table, packet, &ip, 10000, out, &out_len), REASSEMBLY_HELD);
    struct frag f = {.offset = 512, .len = 512, .mf = 1, .id = 1};
    size_t n = build_fragment(packet, 1480, &f);
    assert_int_equal(ipv4_parse(packet, n, &ip), IPV4_OK);
    assert_int_equal(reassembly_add(table, packet, &ip, 20000, out, &out_len), REASSEMBLY_HELD);
    assert_int_equal(reassembly_next_expiry(table), 30000);
    assert_int_equal(reassembly_expire(table, 30000, out, &first_len), 1);
    assert_int_equal(read_be16(out + 4), 1);
    assert_int_equal(reassembly_next_expiry(table), 40000);
    assert_int_equal(reassembly_expire(table, 39999, out, &first_len), 0);
    assert_int_equal(reassembly_count(table), 1);
    reassembly_free(table);                     /* frees what it still holds */
}

/* A lower ipfrag_time applies to datagrams that start after the change,
 * and one of those may be due before older ones. */
static void a_lower_time_applies_to_new_datagrams(void **unused)
{
    (void)unused;
    struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    struct reassembly *table = reassembly_new(&settings);
    assert_non_null(table);
    struct ipv4_view ip;
    size_t out_len, first_len;
    lone_first_fragment(1, 1, 512, &ip);
    assert_int_equal(reassembly_add(table, packet, &ip, 0, out, &out_len), REASSEMBLY_HELD);
    settings.time_s = 1;
    reassembly_set_settings(table, &settings);
    lone_first_fragment(2, 1, 512, &ip);
    assert_int_equal(reassembly_add(table, packet, &ip, 1000, out, &out_len), REASSEMBLY_HELD);
    assert_int_equal(reassembly_next_expiry(table), 2000);
    assert_int_equal(reassembly_expire(table, 2000, out, &first_len), 1);
    assert_int_equal(read_be16(out + 4), 2);
    assert_int_equal(reassembly_expire(table, 2000, out, &first_len), 0);
    assert_int_equal(reassembly_next_expiry(table), 30000);
    reassembly_free(table);
}

/* Each allocation reassembly makes fails in turn, in a sequence that
 * makes every kind (a table, a datagram, a source, a piece, a run): the
 * fragment is refused as reassembly-memory-full (its datagram dropped with
 * it), nothing leaks (AddressSanitizer checks), every byte charged comes
 * back, and the table works on. */
static void every_failed_allocation_is_handled(void **unused)
{
    (void)unused;
    const struct reassembly_settings settings = REASSEMBLY_LINUX_DEFAULTS;
    fail_after = 0;
    assert_null(reassembly_new(&settings));
    static const struct frag steps[] = {
        {.offset = 0, .len = 512, .mf = 1, .id = 1},        /* datagram, source, piece, run */
        {.offset = 512, .len = 512, .mf = 1, .id = 1},      /* piece, same run */
        {.offset = 0, .len = 512, .mf = 1, .id = 2},        /* datagram, piece, run */
        {.offset = 1024, .len = 376, .id = 2},              /* piece, run of its own */
        {.offset = 1024, .len = 376, .id = 1},              /* whole */
        {.offset = 512, .len = 512, .mf = 1, .id = 2},      /* whole */
    };
    int failures = 0;
    for (long k = 0;; k++) {
        struct reassembly *table = reassembly_new(&settings);
        assert_non_null(table);
        fail_after = k;
        int refused = 0;
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            size_t n = build_fragment(packet, 1400, &steps[i]), out_len;
            struct ipv4_view ip;
            assert_int_equal(ipv4_parse(packet, n, &ip), IPV4_OK);
            enum reassembly_outcome got = reassembly_add(table, packet, &ip, 0, out, &out_len);
            assert_true(got == REASSEMBLY_HELD || got == REASSEMBLY_COMPLETE ||
                        got == REASSEMBLY_NO_MEMORY);
            refused += got == REASSEMBLY_NO_MEMORY;
        }
        int none_failed = fail_after >= 0;
        fail_after = -1;
        assert_int_equal(refused, none_failed ? 0 : 1);
        size_t first_len;
        while (reassembly_expire(table, UINT64_MAX - 1, out, &first_len))
            ;
        assert_int_equal(reassembly_memory(table), 0);
        reassembly_free(table);
        if (none_failed)
            break;
        failures++;
    }
    assert_true(failures >= 9);     /* every allocation the sequence makes */
}

static void every_outcome_has_a_name(void **unused)
{
    (void)unused;
    for (int o = REASSEMBLY_HELD; o <= REASSEMBLY_PARAMETER_PROBLEM; o++) {
        const char *name = reassembly_outcome_name((enum reassembly_outcome)o);
        assert_string_not_equal(name, "unknown");
        for (int other = REASSEMBLY_HELD; other < o; other++)
            assert_string_not_equal(name, reassembly_outcome_name((enum reassembly_outcome)other));
    }
    reassembly_free(NULL);
}

int main(void)
{
    load_sequences();
    static struct CMUnitTest tests[MAX_SEQUENCES + 6];
    int n = 0;
    for (int i = 0; i < sequence_count; i++)
        tests[n++] = (struct CMUnitTest){.name = sequences[i].name, .test_func = run_sequence,
                                         .initial_state = &sequences[i]};
    tests[n++] = (struct CMUnitTest){.name = "a_flood_is_bounded", .test_func = a_flood_is_bounded};
    tests[n++] = (struct CMUnitTest){.name = "the_timer_is_not_pushed_back",
                                     .test_func = the_timer_is_not_pushed_back};
    tests[n++] = (struct CMUnitTest){.name = "a_lower_time_applies_to_new_datagrams",
                                     .test_func = a_lower_time_applies_to_new_datagrams};
    tests[n++] = (struct CMUnitTest){.name = "every_failed_allocation_is_handled",
                                     .test_func = every_failed_allocation_is_handled};
    tests[n++] = (struct CMUnitTest){.name = "a_fragment_costs_little_more_among_thousands",
                                     .test_func = a_fragment_costs_little_more_among_thousands};
    tests[n++] = (struct CMUnitTest){.name = "every_outcome_has_a_name",
                                     .test_func = every_outcome_has_a_name};
    int failed = _cmocka_run_group_tests("reassembly", tests, (size_t)n, NULL, NULL);
    for (int i = 0; i < sequence_count; i++)
        for (int l = 0; l < sequences[i].lines; l++)
            free(sequences[i].text[l]);
    return failed;
}
