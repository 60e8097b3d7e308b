/*
 * IPv6 reassembly (reassembly_add6() in common/reassembly.c) held to what
 * the Linux kernel does.
 *
 * Each sequence of tests/fixtures/fragments/sequences6.txt is one test here:
 * its fragments are walked (ipv6_walk_headers()) and go through
 * reassembly_add6(), and each outcome must be the one the file names, with
 * the parameter problem's code and pointer. The same file is measured against
 * the kernel by tests/docs/kernel_fragments6.py (test_kernel_fragments.sh),
 * so an outcome written there is what Linux did with the same bytes. The
 * packets are built here as the Python script builds them. A reassembled
 * packet must be the echo request as it was before it was cut (RFC 8200
 * 4.5: the unfragmentable headers, the Fragment header gone, its next header
 * in the header before it): built here from the message, not from our code.
 */
#include <time.h>

#include "support.h"

#include "bytes.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "reassembly.h"

enum { MAX_LINES = 64, MAX_SEQUENCES = 64, MAX_FIRSTS = 8, DSTOPTS_LEN = 8,
       FRAGMENT_HEADER_LEN = 8 };

static const uint8_t PEER[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ME[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
/* `dst`: a destination options header (next header ICMPv6, PadN of 4). */
static const uint8_t DSTOPTS[DSTOPTS_LEN] = {58, 0, 1, 4, 0, 0, 0, 0};

struct sequence {
    char name[80];
    size_t size;
    int dst;
    int lines;
    int line_numbers[MAX_LINES];
    char *text[MAX_LINES];
};

static struct sequence sequences[MAX_SEQUENCES];
static int sequence_count;

struct run_state {
    struct reassembly *table;
    const struct sequence *seq;
    uint64_t now;
    int replies;                        /* whole echo requests Linux would answer */
    int errors;
    size_t quotes[8];
    uint8_t *firsts[MAX_FIRSTS];
    size_t first_lens[MAX_FIRSTS];
    int first_count;
};

static uint8_t part[2 * TEST_MAX_PACKET];        /* the fragmentable part */
static uint8_t packet[TEST_MAX_PACKET + 64];
static uint8_t out[TEST_MAX_PACKET + 64];
static uint8_t original[TEST_MAX_PACKET + 64];

/* ---- building packets, as kernel_fragments6.py does ----------------------- */

/* The fragmentable part: [DSTOPTS,] an ICMPv6 echo request of `size` bytes.
 * Returns its length. */
static size_t build_part(size_t size, int dst, uint32_t id)
{
    uint8_t *message = part + (dst ? DSTOPTS_LEN : 0);
    for (size_t i = 0; i < size; i++)
        message[i] = (uint8_t)(i % 256);
    memset(message, 0, 8);
    message[0] = 128;
    write_be16(message + 4, (uint16_t)id);
    write_be16(message + 6, 1);
    write_be16(message + 2, icmpv6_checksum(PEER, ME, message, size));
    if (dst)
        memcpy(part, DSTOPTS, DSTOPTS_LEN);
    return size + (dst ? DSTOPTS_LEN : 0);
}

static size_t build_ipv6_header(uint8_t *h, uint8_t next_header, size_t payload_len)
{
    memset(h, 0, 40);
    h[0] = 0x60;
    write_be16(h + 4, (uint16_t)payload_len);
    h[6] = next_header;
    h[7] = 64;
    memcpy(h + 8, PEER, 16);
    memcpy(h + 24, ME, 16);
    return 40;
}

struct frag {
    size_t offset, len;
    int mf;
    uint32_t id;
    int code, ptr;
    char outcome[48];
};

static size_t build_fragment(uint8_t *p, const struct sequence *seq, const struct frag *f)
{
    size_t part_len = build_part(seq->size, seq->dst, f->id);
    for (size_t i = part_len; i < f->offset + f->len; i++)
        part[i] = (uint8_t)(i % 256);           /* past its end: the pattern goes on */
    size_t at = build_ipv6_header(p, IPV6_NEXT_FRAGMENT, FRAGMENT_HEADER_LEN + f->len);
    p[at] = seq->dst ? IPV6_NEXT_DESTINATION : IPV6_NEXT_ICMPV6;
    p[at + 1] = 0;
    write_be16(p + at + 2, (uint16_t)(f->offset | (f->mf ? 1 : 0)));
    write_be32(p + at + 4, f->id);
    memcpy(p + at + FRAGMENT_HEADER_LEN, part + f->offset, f->len);
    return at + FRAGMENT_HEADER_LEN + f->len;
}

/* ---- reading the fixture ---------------------------------------------------- */

static void load_sequences(void)
{
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/fragments/sequences6.txt", PROJECT_ROOT);
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
        char kind[32], flag[16] = "";
        if (sscanf(line, "%31s", kind) != 1)
            continue;
        if (strcmp(kind, "sequence") == 0) {
            if (sequence_count == MAX_SEQUENCES) {
                fprintf(stderr, "%s:%d: more than %d sequences\n", path, number, MAX_SEQUENCES);
                exit(1);
            }
            struct sequence *s = &sequences[sequence_count++];
            if (sscanf(line, "%*s %79s %zu %15s", s->name, &s->size, flag) < 2) {
                fprintf(stderr, "%s:%d: sequence NAME SIZE [dst]\n", path, number);
                exit(1);
            }
            s->dst = strcmp(flag, "dst") == 0;
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
    struct frag f = {.id = 1, .code = -1, .ptr = -1};
    char copy[512], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    strtok_r(copy, " \t\n", &save);             /* "frag" */
    char *offset = strtok_r(NULL, " \t\n", &save), *len = strtok_r(NULL, " \t\n", &save);
    if (offset == NULL || len == NULL)
        fail_msg("sequences6.txt:%d: frag OFFSET LEN ...", number);
    f.offset = strtoul(offset, NULL, 0);
    f.len = strtoul(len, NULL, 0);
    for (char *word; (word = strtok_r(NULL, " \t\n", &save)) != NULL;) {
        if (strcmp(word, "mf") == 0)
            f.mf = 1;
        else if (strncmp(word, "id=", 3) == 0)
            f.id = (uint32_t)strtoul(word + 3, NULL, 0);
        else if (strncmp(word, "code=", 5) == 0)
            f.code = (int)strtol(word + 5, NULL, 0);
        else if (strncmp(word, "ptr=", 4) == 0)
            f.ptr = (int)strtol(word + 4, NULL, 0);
        else
            snprintf(f.outcome, sizeof f.outcome, "%s", word);
    }
    return f;
}

/* ---- running a sequence ---------------------------------------------------- */

/* A whole echo request the kernel would answer: the checksum holds. */
static int is_echo_request(const uint8_t *p, size_t len, size_t upper)
{
    return upper < len && p[upper] == 128 &&
           icmpv6_checksum_ok(p + 8, p + 24, p + upper, len - upper);
}

/* The request as it was before it was cut: what the kernel rebuilds. */
static size_t original_packet(const struct sequence *seq, uint32_t id)
{
    size_t part_len = build_part(seq->size, seq->dst, id);
    size_t at = build_ipv6_header(original, seq->dst ? IPV6_NEXT_DESTINATION : IPV6_NEXT_ICMPV6,
                                  part_len);
    memcpy(original + at, part, part_len);
    return at + part_len;
}

static void step_atomic(struct run_state *st, const struct ipv6_view *ip, int number)
{
    /* RFC 6946: the walk passes an atomic fragment's header; it never
     * reaches the table. */
    struct ipv6_walk walk;
    if (ipv6_walk_headers(ip, &walk) != IPV6_WALK_UPPER || !walk.atomic_fragment)
        fail_msg("sequences6.txt:%d: an atomic fragment is not walked past", number);
    const uint8_t *p = ip->payload - IPV6_HEADER_LEN;
    st->replies += is_echo_request(p, IPV6_HEADER_LEN + ip->payload_bytes, walk.offset);
}

static void step_frag(struct run_state *st, const char *text, int number)
{
    struct frag f = parse_frag(text, number);
    size_t len = build_fragment(packet, st->seq, &f);
    /* The packet in a heap block of its own size: a read past it fails
     * under AddressSanitizer. */
    uint8_t *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, packet, len);
    struct ipv6_view ip;
    assert_int_equal(ipv6_parse(exact, len, &ip), IPV6_OK);
    int kept = f.offset == 0 && st->first_count < MAX_FIRSTS;   /* freed at the end */
    if (kept) {
        st->firsts[st->first_count] = exact;
        st->first_lens[st->first_count++] = len;
    }
    if (strcmp(f.outcome, "atomic") == 0) {
        size_t count = reassembly_count(st->table), memory = reassembly_memory(st->table);
        step_atomic(st, &ip, number);
        assert_int_equal(reassembly_count(st->table), count);
        assert_int_equal(reassembly_memory(st->table), memory);
        if (!kept)
            free(exact);
        return;
    }
    struct ipv6_walk walk;
    if (ipv6_walk_headers(&ip, &walk) != IPV6_WALK_FRAGMENT)
        fail_msg("sequences6.txt:%d: the walk does not stop at the fragment header", number);
    size_t out_len = 12345;
    struct reassembly_problem problem = {0};
    enum reassembly_outcome got = reassembly_add6(st->table, exact, &ip, &walk, st->now++, out,
                                                  &out_len, &problem);
    if (!kept)
        free(exact);
    if (strcmp(reassembly_outcome_name(got), f.outcome) != 0)
        fail_msg("sequences6.txt:%d: fragment %zu+%zu%s: expected %s, got %s", number, f.offset,
                 f.len, f.mf ? " M" : "", f.outcome, reassembly_outcome_name(got));
    if (got == REASSEMBLY_PARAMETER_PROBLEM &&
        (problem.code != f.code || problem.pointer != (uint32_t)f.ptr))
        fail_msg("sequences6.txt:%d: parameter problem code %d pointer %d, got code %u pointer %u",
                 number, f.code, f.ptr, problem.code, problem.pointer);
    if (got != REASSEMBLY_COMPLETE) {
        if (out_len != 0)
            fail_msg("sequences6.txt:%d: %s, but a packet length of %zu", number,
                     reassembly_outcome_name(got), out_len);
        return;
    }
    size_t want_len = original_packet(st->seq, f.id);
    if (out_len != want_len || memcmp(out, original, want_len) != 0)
        fail_msg("sequences6.txt:%d: the reassembled packet (%zu bytes) is not the request "
                 "before it was cut (%zu bytes)", number, out_len, want_len);
    st->replies += is_echo_request(out, out_len, want_len - st->seq->size);
}

/* ip6frag_time passes: every datagram times out; one whose first fragment
 * came gets time exceeded 3/1, quoting that fragment as it came, cut where
 * an ICMPv6 error stops (1280 bytes in all, RFC 4443 2.4 (c)). */
static void step_wait(struct run_state *st, int number)
{
    size_t first_len;
    st->now += 60 * 1000;
    while (reassembly_expire(st->table, st->now, out, &first_len)) {
        if (first_len == 0)
            continue;
        int known = 0;
        for (int i = 0; i < st->first_count; i++)
            known |= st->first_lens[i] == first_len && memcmp(st->firsts[i], out, first_len) == 0;
        if (!known)
            fail_msg("sequences6.txt:%d: what time exceeded quotes is no first fragment as it "
                     "came", number);
        size_t room = IPV6_MIN_MTU - IPV6_HEADER_LEN - 8;
        if (st->errors < 8)
            st->quotes[st->errors] = first_len < room ? first_len : room;
        st->errors++;
    }
    assert_int_equal(reassembly_count(st->table), 0);
}

static void step_count(struct run_state *st, const char *text, int number)
{
    char kind[32];
    int n, quote = -1;
    if (sscanf(text, "%31s %d quote=%d", kind, &n, &quote) < 2)
        fail_msg("sequences6.txt:%d: %s N", number, text);
    int got = strcmp(kind, "replies") == 0 ? st->replies : st->errors;
    if (got != n)
        fail_msg("sequences6.txt:%d: %s %d, got %d", number, kind, n, got);
    for (int i = 0; quote >= 0 && i < st->errors && i < 8; i++)
        if (st->quotes[i] != (size_t)quote)
            fail_msg("sequences6.txt:%d: a quote of %d bytes, got %zu", number, quote,
                     st->quotes[i]);
}

static void run_sequence(void **state)
{
    const struct sequence *seq = *state;
    const struct reassembly_settings linux_defaults = REASSEMBLY6_LINUX_DEFAULTS;
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
        else if (strcmp(kind, "wait") == 0)
            step_wait(&st, number);
        else if (strcmp(kind, "replies") == 0 || strcmp(kind, "errors") == 0)
            step_count(&st, text, number);
        else
            fail_msg("sequences6.txt:%d: unknown line %s", number, kind);
    }
    /* Whatever is left times out, and every byte charged comes back. */
    size_t first_len;
    while (reassembly_expire(st.table, UINT64_MAX - 1, out, &first_len))
        ;
    assert_int_equal(reassembly_count(st.table), 0);
    assert_int_equal(reassembly_memory(st.table), 0);
    reassembly_free(st.table);
    for (int i = 0; i < st.first_count; i++)
        free(st.firsts[i]);
}

/* ---- what the fixture does not show ---------------------------------------- */

/* Linux's ip6frag_time default is 60 s, not IPv4's 30: a datagram held at
 * t is due at t + 60 s, not before. */
static void the_timeout_is_60_seconds(void **unused)
{
    (void)unused;
    const struct reassembly_settings linux_defaults = REASSEMBLY6_LINUX_DEFAULTS;
    struct reassembly *table = reassembly_new(&linux_defaults);
    assert_non_null(table);
    struct sequence seq = {.size = 1400};
    struct frag f = {.offset = 512, .len = 512, .mf = 1, .id = 7};
    size_t len = build_fragment(packet, &seq, &f);
    struct ipv6_view ip;
    struct ipv6_walk walk;
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_FRAGMENT);
    size_t out_len;
    struct reassembly_problem problem;
    assert_int_equal(reassembly_add6(table, packet, &ip, &walk, 5000, out, &out_len, &problem),
                     REASSEMBLY_HELD);
    assert_true(reassembly_next_expiry(table) == 65000);
    size_t first_len;
    assert_int_equal(reassembly_expire(table, 64999, out, &first_len), 0);
    assert_int_equal(reassembly_expire(table, 65000, out, &first_len), 1);
    assert_int_equal(first_len, 0);
    reassembly_free(table);
}

/* One tiny fragment, offset 8, 8 bytes, more to come, of datagram `id`. */
static size_t tiny_fragment(uint32_t id, struct ipv6_view *ip, struct ipv6_walk *walk)
{
    size_t len = build_ipv6_header(packet, 44, 16);
    uint8_t *f = packet + len;
    f[0] = 58;
    f[1] = 0;
    write_be16(f + 2, 8 | 1);
    write_be32(f + 4, id);
    memset(f + 8, 0, 8);
    len += 16;
    assert_int_equal(ipv6_parse(packet, len, ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(ip, walk), IPV6_WALK_FRAGMENT);
    return len;
}

/* A table holding `held` tiny datagrams. */
static struct reassembly *holding(uint32_t held)
{
    const struct reassembly_settings big = {.time_s = 60, .high_thresh = 256u << 20};
    struct reassembly *table = reassembly_new(&big);
    struct ipv6_view ip;
    struct ipv6_walk walk;
    struct reassembly_problem problem;
    size_t out_len;
    assert_non_null(table);
    for (uint32_t id = 0; id < held; id++) {
        tiny_fragment(id, &ip, &walk);
        assert_int_equal(reassembly_add6(table, packet, &ip, &walk, 0, out, &out_len, &problem),
                         REASSEMBLY_HELD);
    }
    return table;
}

/* Nanoseconds a fragment takes to find its datagram (sent again: a
 * duplicate) among the `held` in `table`, once. */
static double ns_to_find_among(struct reassembly *table, uint32_t held)
{
    enum { LOOKUPS = 50000 };
    struct ipv6_view ip;
    struct ipv6_walk walk;
    struct reassembly_problem problem;
    size_t out_len;
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (uint32_t i = 0; i < LOOKUPS; i++) {
        tiny_fragment((uint32_t)(((uint64_t)i * 7919) % held), &ip, &walk);
        assert_int_equal(reassembly_add6(table, packet, &ip, &walk, 0, out, &out_len,
                                         &problem), REASSEMBLY_DUPLICATE);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / LOOKUPS;
}

/* Under a high --ipfrag-high-thresh a flood of tiny datagrams fills the
 * table with many: finding a fragment's own must not cost more the more
 * are held, or the flood costs CPU instead of memory. In the old fixed
 * 4096 buckets, 32768 datagrams are 8 a bucket and 262144 are 64, and a
 * fragment took 8.5 to 18 times as long among the many (measured: 286
 * to 562 ns, then 4767 to 5267); the growing index keeps two or so a
 * bucket, and only the caches make the large table slower (measured: 1.8
 * to 3.8 times, 117 to 406 ns, then 418 to 726). The two tables are timed
 * in turn, five times, each keeping its best: a busy moment of the
 * machine falls on both, and the best of five leaves it out. */
static void finding_a_datagram_does_not_slow_with_how_many_are_held(void **unused)
{
    (void)unused;
    enum { FEW = 32768, MANY = 262144 };
    struct reassembly *few_table = holding(FEW), *many_table = holding(MANY);
    double few = 1e30, many = 1e30;

    for (int round = 0; round < 5; round++) {
        double ns = ns_to_find_among(few_table, FEW);
        few = ns < few ? ns : few;
        ns = ns_to_find_among(many_table, MANY);
        many = ns < many ? ns : many;
    }
    reassembly_free(few_table);
    reassembly_free(many_table);
    print_message("%.0f ns a fragment among 32768 datagrams, %.0f ns among 262144\n", few, many);
    assert_true(many < 6 * few);
}

int main(void)
{
    load_sequences();
    static struct CMUnitTest tests[MAX_SEQUENCES + 2];
    int n = 0;
    for (int i = 0; i < sequence_count; i++)
        tests[n++] = (struct CMUnitTest){.name = sequences[i].name, .test_func = run_sequence,
                                         .initial_state = &sequences[i]};
    tests[n++] = (struct CMUnitTest){.name = "the_timeout_is_60_seconds",
                                     .test_func = the_timeout_is_60_seconds};
    tests[n++] = (struct CMUnitTest){
        .name = "finding_a_datagram_does_not_slow_with_how_many_are_held",
        .test_func = finding_a_datagram_does_not_slow_with_how_many_are_held};
    int failed = _cmocka_run_group_tests("reassembly6", tests, (size_t)n, NULL, NULL);
    for (int i = 0; i < sequence_count; i++)
        for (int l = 0; l < sequences[i].lines; l++)
            free(sequences[i].text[l]);
    return failed;
}
