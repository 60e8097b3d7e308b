/* Putting fragments back together, as Linux 6.x does: see reassembly.h.
 *
 * The Linux functions this file follows, all in net/ipv4/ip_fragment.c and
 * net/ipv4/inet_fragment.c:
 *
 *   ip_defrag()               one fragment in: find its datagram, queue it
 *   inet_frag_find()          the memory limit, then find or create
 *   ip_frag_too_far()         ipfrag_max_dist, and ip_frag_reinit()
 *   ip_frag_queue()           where the fragment goes, and its consistency
 *   inet_frag_queue_insert()  duplicates and overlaps
 *   ip_frag_reasm()           the whole datagram, its header rewritten
 *   ip_expire()               the timer: time exceeded if the first came
 *
 * Linux keeps a datagram's fragments in a red-black tree of "runs" (a run is
 * fragments that arrived one after the other, each starting where the one
 * before ended). We keep the same runs in an array sorted by offset, and
 * find a fragment's place by binary search: like the tree, about log2(n)
 * comparisons, so that thousands of tiny runs cannot make every fragment
 * cost thousands of steps (FragmentSmack, CVE-2018-5391; a list walked from
 * its head did). What is a duplicate and what is an overlap depends on the
 * runs, so we keep them exactly as Linux does (see place_piece()).
 *
 * IPv6 (net/ipv6/reassembly.c: ipv6_frag_rcv(), ip6_frag_queue(),
 * ip6_frag_reasm(), ip6frag_expire_frag_queue()) shares all of it: the
 * runs, duplicates and overlaps, the timer, the memory limit. What differs
 * is said where it differs: its key, its parameter problems, where the
 * header of the whole packet comes from, and no ipfrag_max_dist.
 */
#include "reassembly.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bytes.h"
#include "checksum.h"

enum {
    /* Linux's net.ipv4.ipfrag_max_dist default: a datagram that waits while
     * more than this many fragments from the same source arrive is started
     * again (ip_frag_too_far), because its missing pieces are likely lost
     * and an identification that came round again would mix two datagrams. */
    REASSEMBLY_MAX_DIST = 64,
    /* What malloc keeps beside each block it hands out (glibc: 8 to 16
     * bytes), counted so that the charge is close to what memory costs. */
    MALLOC_OVERHEAD = 16,
    /* Hash buckets, for datagrams and for sources, at first. An index
     * doubles when it holds more than twice as many entries as buckets, so
     * that a lookup walks two entries or so however many are held (Linux's
     * rhashtable grows too): with a fixed 4096, a flood of tiny datagrams
     * under --ipfrag-high-thresh 256 MiB made 400 000 of them, and each
     * fragment walked about 100 to find its own (measured: 11.7 us a
     * fragment, against 50 ns at the 4 MiB default). */
    BUCKETS = 4096,
};

/* ECN (RFC 3168) codepoints, the low two bits of the TOS byte. */
enum { ECN_NOT_ECT = 0, ECN_ECT_1 = 1, ECN_ECT_0 = 2, ECN_CE = 3, ECN_MASK = 3 };

/* One fragment's bytes, payload only, except the first fragment (offset 0),
 * which also keeps its header: the whole datagram gets that header, and an
 * ICMP time exceeded quotes it. */
struct piece {
    struct piece *next;
    size_t offset;              /* where its payload starts in the datagram */
    size_t len;                 /* payload bytes held (end - offset) */
    size_t header_len;          /* 0 unless offset is 0 */
    uint8_t bytes[];            /* header (if any), then payload */
};

/* Pieces that arrived one after the other, each at the end of the one
 * before: Linux's "run" (FRAG_CB(skb)->frag_run_len). */
struct run {
    size_t start, end;
    struct piece *first, *last;
};

/* A source's count of fragments (Linux's inet_peer rid), for max_dist. */
struct source {
    struct source *next;        /* in its hash bucket */
    uint8_t address[4];
    unsigned fragments;         /* counts every fragment; wraps around */
    unsigned datagrams;         /* datagrams that point here; freed at 0 */
};

/* One fragment, whatever its version: what reassembly needs to know. */
struct incoming {
    const uint8_t *src, *dst;   /* its addresses, address_len bytes each */
    size_t address_len;         /* 4 or 16 */
    uint8_t protocol;           /* IPv4: part of the key; IPv6: 0, none */
    uint32_t identification;
    const uint8_t *packet;      /* its first byte */
    size_t header_len;          /* bytes before its data (IPv6: the Fragment
                                   header and all before it) */
    const uint8_t *data;
    size_t data_len;
    size_t offset;              /* of its data in the datagram's */
    int more_fragments;
    int dont_fragment;          /* IPv4 only */
    uint8_t ecn;                /* its ECN codepoint */
    size_t next_header_at;      /* IPv6: the byte that names the Fragment header */
};

/* A datagram being put together: Linux's struct ipq (IPv6: frag_queue).
 * Its size is charged to the table's memory, and lesson 10 quotes those
 * charges: the fields are laid out so that IPv6's longer addresses cost
 * IPv4 nothing (152 bytes on a 64-bit machine, as before IPv6 came). */
struct datagram {
    struct datagram *hash_next, *hash_prev;     /* same hash bucket */
    struct datagram *older, *newer;             /* by deadline */
    uint64_t deadline_ms;
    struct source *source;      /* IPv4 only (ipfrag_max_dist) */
    struct run **runs;          /* sorted by offset, never overlapping: the
                                   last one is Linux's q.last_run_head */
    uint32_t run_count;         /* runs in use */
    uint32_t run_room;          /* runs the array has room for */
    size_t charge;              /* what this datagram has charged */
    size_t len;                 /* q.len: the end as known so far */
    size_t meat;                /* q.meat: payload bytes held */
    uint8_t src[16], dst[16];   /* the key: 4 bytes each for IPv4 */
    uint32_t identification;    /* 16 bits for IPv4, 32 for IPv6 */
    uint32_t hash;              /* key_hash(): its bucket, whatever their number */
    uint32_t max_size;          /* largest fragment, header included */
    uint32_t max_df_size;       /* largest fragment that had DF set */
    unsigned rid;               /* source->fragments when ours last came */
    uint16_t next_header_at;    /* IPv6: fq->nhoffset, from the first fragment */
    uint8_t address_len;        /* 4 or 16 */
    uint8_t protocol;           /* IPv4: part of the key */
    uint8_t ecn;                /* the ECN codepoints seen, one bit each */
    uint8_t first_in, last_in;  /* INET_FRAG_FIRST_IN, INET_FRAG_LAST_IN */
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct datagram) == 152,
               "lesson 10's memory figures count 152 bytes a datagram");

struct reassembly {
    struct reassembly_settings settings;
    size_t memory;              /* Linux's frag_mem_limit() */
    size_t count;
    uint32_t seed;
    struct datagram **buckets;  /* bucket_count of them */
    struct source **sources;    /* source_bucket_count of them */
    size_t bucket_count, source_bucket_count;
    size_t source_count;
    struct datagram *oldest, *newest;           /* by deadline */
};

/* ---- the table ---------------------------------------------------------- */

struct reassembly *reassembly_new(const struct reassembly_settings *settings)
{
    struct reassembly *table = calloc(1, sizeof *table);
    if (table == NULL)
        return NULL;
    table->settings = *settings;
    /* Linux seeds its hash (rhashtable) with a random number, so that
     * nobody can choose keys that all land in one bucket; so do we. The
     * seed changes where a datagram is kept, never what happens to it. */
    if (getrandom(&table->seed, sizeof table->seed, GRND_NONBLOCK) != sizeof table->seed)
        table->seed = (uint32_t)time(NULL);
    table->buckets = calloc(BUCKETS, sizeof *table->buckets);
    table->sources = calloc(BUCKETS, sizeof *table->sources);
    if (table->buckets == NULL || table->sources == NULL) {
        free(table->buckets);
        free(table->sources);
        free(table);
        return NULL;
    }
    table->bucket_count = table->source_bucket_count = BUCKETS;
    return table;
}

void reassembly_set_settings(struct reassembly *table, const struct reassembly_settings *settings)
{
    table->settings = *settings;
}

static void free_pieces(struct datagram *d)
{
    for (uint32_t i = 0; i < d->run_count; i++) {
        struct piece *piece = d->runs[i]->first;
        while (piece != NULL) {
            struct piece *next = piece->next;
            free(piece);
            piece = next;
        }
        free(d->runs[i]);
    }
    free(d->runs);
    d->runs = NULL;
    d->run_count = d->run_room = 0;
}

/* The run that ends last (Linux's q.last_run_head), NULL if none. */
static struct run *last_run(const struct datagram *d)
{
    return d->run_count > 0 ? d->runs[d->run_count - 1] : NULL;
}

void reassembly_free(struct reassembly *table)
{
    if (table == NULL)
        return;
    struct datagram *d = table->oldest;
    while (d != NULL) {
        struct datagram *next = d->newer;
        free_pieces(d);
        free(d);
        d = next;
    }
    for (size_t i = 0; i < table->source_bucket_count; i++) {
        struct source *s = table->sources[i];
        while (s != NULL) {
            struct source *next = s->next;
            free(s);
            s = next;
        }
    }
    free(table->buckets);
    free(table->sources);
    free(table);
}

static void charge(struct reassembly *table, struct datagram *d, size_t bytes)
{
    table->memory += bytes;
    if (d != NULL)
        d->charge += bytes;
}

static void uncharge(struct reassembly *table, struct datagram *d, size_t bytes)
{
    table->memory -= bytes;
    if (d != NULL)
        d->charge -= bytes;
}

static uint32_t mix(uint32_t hash, uint32_t value)
{
    hash ^= value;
    hash *= 0x9e3779b1u;            /* Knuth's multiplicative hash */
    return hash ^ (hash >> 15);
}

/* A datagram's hash, kept in it (d->hash) so that a grown index can place
 * it again; its bucket is the hash modulo the number of buckets. */
static uint32_t key_hash(const struct reassembly *table, const struct incoming *in)
{
    uint32_t hash = table->seed;
    for (size_t i = 0; i < in->address_len; i += 4)
        hash = mix(mix(hash, read_be32(in->src + i)), read_be32(in->dst + i));
    hash = mix(hash, in->identification);
    return mix(hash, in->protocol);
}

static size_t source_bucket(const struct reassembly *table, const uint8_t address[4])
{
    return mix(table->seed ^ 0x5bd1e995u, read_be32(address)) % table->source_bucket_count;
}

/* ---- growing the indexes ------------------------------------------------ */

/* A new array of twice as many buckets, its growth charged: the limit
 * bounds the index too (at most 8 bytes a datagram or source held, since
 * it grows only past two of them a bucket). An index once grown stays, and
 * so does its charge. NULL if memory is short: the old index then serves
 * on, only slower. */
static void *doubled_index(struct reassembly *table, size_t count, size_t *new_count)
{
    void **index = calloc(count * 2, sizeof *index);
    if (index == NULL)
        return NULL;
    charge(table, NULL, count * sizeof *index);
    *new_count = count * 2;
    return index;
}

static void grow_datagram_index(struct reassembly *table)
{
    size_t count;
    if (table->count <= 2 * table->bucket_count)
        return;
    struct datagram **buckets = doubled_index(table, table->bucket_count, &count);
    if (buckets == NULL)
        return;
    for (size_t i = 0; i < table->bucket_count; i++)
        for (struct datagram *d = table->buckets[i], *next; d != NULL; d = next) {
            next = d->hash_next;
            struct datagram **head = &buckets[d->hash % count];
            d->hash_prev = NULL;
            d->hash_next = *head;
            if (*head != NULL)
                (*head)->hash_prev = d;
            *head = d;
        }
    free(table->buckets);
    table->buckets = buckets;
    table->bucket_count = count;
}

static void grow_source_index(struct reassembly *table)
{
    size_t count, old_count = table->source_bucket_count;
    if (table->source_count <= 2 * old_count)
        return;
    struct source **sources = doubled_index(table, old_count, &count), **old = table->sources;
    if (sources == NULL)
        return;
    table->sources = sources;
    table->source_bucket_count = count;
    for (size_t i = 0; i < old_count; i++)
        for (struct source *s = old[i], *next; s != NULL; s = next) {
            next = s->next;
            struct source **head = &sources[source_bucket(table, s->address)];
            s->next = *head;
            *head = s;
        }
    free(old);
}

/* ---- sources (ipfrag_max_dist) ------------------------------------------ */

static struct source *source_get(struct reassembly *table, const uint8_t address[4])
{
    struct source **head = &table->sources[source_bucket(table, address)];
    for (struct source *s = *head; s != NULL; s = s->next)
        if (memcmp(s->address, address, 4) == 0) {
            s->datagrams++;
            return s;
        }
    struct source *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    memcpy(s->address, address, 4);
    s->datagrams = 1;
    s->next = *head;
    *head = s;
    table->source_count++;
    grow_source_index(table);
    /* Linux's inet_peer is not charged to fragment memory; ours is, so that
     * the limit bounds everything reassembly holds. */
    charge(table, NULL, sizeof *s + MALLOC_OVERHEAD);
    return s;
}

static void source_put(struct reassembly *table, struct source *source)
{
    if (--source->datagrams > 0)
        return;
    struct source **link = &table->sources[source_bucket(table, source->address)];
    while (*link != source)
        link = &(*link)->next;
    *link = source->next;
    free(source);
    table->source_count--;
    uncharge(table, NULL, sizeof *source + MALLOC_OVERHEAD);
}

/* ---- datagrams ---------------------------------------------------------- */

/* IPv4's key: source, destination, protocol, identification (16 bits);
 * IPv6's: source, destination, identification (32 bits), no protocol
 * (Linux's frag_v6_compare_key). */
static int same_key(const struct datagram *d, const struct incoming *in)
{
    return d->address_len == in->address_len &&
           memcmp(d->src, in->src, in->address_len) == 0 &&
           memcmp(d->dst, in->dst, in->address_len) == 0 &&
           d->protocol == in->protocol && d->identification == in->identification;
}

static struct datagram *find_datagram(const struct reassembly *table, const struct incoming *in)
{
    for (struct datagram *d = table->buckets[key_hash(table, in) % table->bucket_count]; d != NULL;
         d = d->hash_next)
        if (same_key(d, in))
            return d;
    return NULL;
}

/* Puts `d` in the deadline list, oldest first. Every deadline is "now +
 * ipfrag_time", so it almost always goes last; searching from the end keeps
 * the order right when the time setting was lowered meanwhile. */
static void insert_by_deadline(struct reassembly *table, struct datagram *d)
{
    struct datagram *older = table->newest;
    while (older != NULL && older->deadline_ms > d->deadline_ms)
        older = older->older;
    d->older = older;
    d->newer = older != NULL ? older->newer : table->oldest;
    if (d->newer != NULL)
        d->newer->older = d;
    else
        table->newest = d;
    if (older != NULL)
        older->newer = d;
    else
        table->oldest = d;
}

static void remove_by_deadline(struct reassembly *table, struct datagram *d)
{
    if (d->older != NULL)
        d->older->newer = d->newer;
    else
        table->oldest = d->newer;
    if (d->newer != NULL)
        d->newer->older = d->older;
    else
        table->newest = d->older;
}

static uint64_t deadline_after(const struct reassembly *table, uint64_t now_ms)
{
    return now_ms + (uint64_t)table->settings.time_s * 1000;
}

/* inet_frag_create(): a new, empty datagram; its timer starts now and is
 * never pushed back by later fragments (Linux's comment: "RFC791 is wrong
 * proposing to prolongate timer each fragment arrival by TTL"). */
static struct datagram *create_datagram(struct reassembly *table, const struct incoming *in,
                                        uint64_t now_ms)
{
    struct datagram *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    /* ipfrag_max_dist is IPv4's alone: IPv6 has no such sysctl. */
    if (in->address_len == 4) {
        d->source = source_get(table, in->src);
        if (d->source == NULL) {
            free(d);
            return NULL;
        }
    }
    d->address_len = in->address_len;
    memcpy(d->src, in->src, in->address_len);
    memcpy(d->dst, in->dst, in->address_len);
    d->protocol = in->protocol;
    d->identification = in->identification;
    d->deadline_ms = deadline_after(table, now_ms);
    charge(table, d, sizeof *d + MALLOC_OVERHEAD);

    d->hash = key_hash(table, in);
    struct datagram **head = &table->buckets[d->hash % table->bucket_count];
    d->hash_next = *head;
    if (*head != NULL)
        (*head)->hash_prev = d;
    *head = d;
    insert_by_deadline(table, d);
    table->count++;
    grow_datagram_index(table);
    return d;
}

/* inet_frag_kill() and inet_frag_destroy(): forgets the datagram and frees
 * all it held. A later fragment with the same key starts a new one. */
static void destroy_datagram(struct reassembly *table, struct datagram *d)
{
    if (d->hash_prev != NULL)
        d->hash_prev->hash_next = d->hash_next;
    else
        table->buckets[d->hash % table->bucket_count] = d->hash_next;
    if (d->hash_next != NULL)
        d->hash_next->hash_prev = d->hash_prev;
    remove_by_deadline(table, d);
    free_pieces(d);
    if (d->source != NULL)
        source_put(table, d->source);
    table->memory -= d->charge;
    table->count--;
    free(d);
}

/* ip_frag_reinit(): throws away what the datagram held and starts its
 * timer again. Like Linux, it keeps max_size and max_df_size, which
 * decide DF on the whole datagram later (see build_datagram()). */
static void restart_datagram(struct reassembly *table, struct datagram *d, uint64_t now_ms)
{
    free_pieces(d);
    uncharge(table, d, d->charge - (sizeof *d + MALLOC_OVERHEAD));
    d->first_in = d->last_in = 0;
    d->len = d->meat = 0;
    d->ecn = 0;
    d->deadline_ms = deadline_after(table, now_ms);
    remove_by_deadline(table, d);
    insert_by_deadline(table, d);
}

/* ip_frag_too_far(): every fragment from a source counts; if more than
 * REASSEMBLY_MAX_DIST of them came since this datagram last got one, and
 * it holds something, its pieces are likely lost for good. */
static int too_far(struct datagram *d)
{
    if (d->source == NULL)
        return 0;               /* IPv6 */
    unsigned start = d->rid;
    unsigned end = ++d->source->fragments;
    d->rid = end;
    return d->run_count > 0 && end - start > REASSEMBLY_MAX_DIST;
}

/* ---- one fragment in ------------------------------------------------------ */

enum insert_result { INSERTED, DUPLICATE, OVERLAP };

/* Where the piece [offset, end) goes, as inet_frag_queue_insert() decides
 * (RFC 5722 section 4, amended by errata 3089, written for IPv6 and applied
 * by Linux to IPv4 since 4.19, after FragmentSmack, CVE-2018-5391): bytes
 * that lie wholly inside one run are a duplicate, dropped while the datagram
 * waits on; any other overlap ends the datagram, because choosing whose
 * bytes win is how overlapping fragments used to slip past firewalls (RFC
 * 1858) and crash stacks (teardrop). Only the run decides, so [0, 16) after
 * [8, 16) then [0, 8) overlaps: they are two runs, as in Linux. */
static enum insert_result place_piece(const struct datagram *d, size_t offset, size_t end,
                                      uint32_t *at)
{
    const struct run *last = last_run(d);
    *at = d->run_count;
    if (last != NULL && last->end < end)
        /* The usual case: the piece goes past everything held. */
        return offset < last->end ? OVERLAP : INSERTED;
    /* Binary search for the first run that ends after `offset` (runs never
     * overlap, so their ends are sorted as their starts are). The runs
     * before it lie wholly before the piece; that run alone decides. */
    uint32_t low = 0, high = d->run_count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (d->runs[middle]->end <= offset)
            low = middle + 1;
        else
            high = middle;
    }
    *at = low;
    if (low == d->run_count || end <= d->runs[low]->start)
        return INSERTED;        /* in the gap before that run */
    const struct run *run = d->runs[low];
    return offset >= run->start && end <= run->end ? DUPLICATE : OVERLAP;
}

static struct piece *new_piece(const struct incoming *in, size_t offset, size_t end)
{
    size_t header_len = offset == 0 ? in->header_len : 0;
    struct piece *piece = malloc(sizeof *piece + header_len + (end - offset));
    if (piece == NULL)
        return NULL;
    piece->next = NULL;
    piece->offset = offset;
    piece->len = end - offset;
    piece->header_len = header_len;
    memcpy(piece->bytes, in->packet, header_len);
    memcpy(piece->bytes + header_len, in->data, end - offset);
    return piece;
}

/* Makes room for one more run in the array, doubling it when full (one
 * place at first: most datagrams never have more than one run). Every
 * place is charged, used or not, and the array's own block once, so that
 * the charge is what the array costs (a flood of one-fragment datagrams
 * once grew the resident set past the limit by the places it did not
 * charge: make bench, part 5). */
static int room_for_run(struct reassembly *table, struct datagram *d)
{
    if (d->run_count < d->run_room)
        return 1;
    uint32_t room = d->run_room != 0 ? d->run_room * 2 : 1;
    struct run **runs = realloc(d->runs, room * sizeof *runs);
    if (runs == NULL)
        return 0;
    charge(table, d, (room - d->run_room) * sizeof *runs +
                     (d->run_room == 0 ? MALLOC_OVERHEAD : 0));
    d->runs = runs;
    d->run_room = room;
    return 1;
}

/* Links `piece` in where place_piece() said: at the end of the last run if
 * it starts where that run ends (fragrun_append_to_last), else as a run of
 * its own (fragrun_create) at index `at`. A new run in the middle moves the
 * runs after it up one place (memmove): a datagram ends at 65535 bytes at
 * most, so it has at most 8192 runs of 8 bytes or more, and the move is at
 * most 64 KiB of pointers (measured: 0.5 us among 4095 runs; Linux's tree
 * inserts in log2(n) steps, but the array is easier to read). The run and
 * the array's places are charged (room_for_run()).
 * Returns 0 if memory is short. */
static int link_piece(struct reassembly *table, struct datagram *d, struct piece *piece,
                      uint32_t at)
{
    size_t end = piece->offset + piece->len;
    struct run *last = last_run(d);
    if (last != NULL && last->end < end && last->end == piece->offset) {
        last->last->next = piece;
        last->last = piece;
        last->end = end;
        return 1;
    }
    struct run *run = malloc(sizeof *run);
    if (run == NULL || !room_for_run(table, d)) {
        free(run);
        return 0;
    }
    charge(table, d, sizeof *run + MALLOC_OVERHEAD);
    run->start = piece->offset;
    run->end = end;
    run->first = run->last = piece;
    memmove(d->runs + at + 1, d->runs + at, (d->run_count - at) * sizeof *d->runs);
    d->runs[at] = run;
    d->run_count++;
    return 1;
}

/* The ECN codepoints of all fragments together, RFC 3168 section 5.3, as
 * Linux's ip_frag_ecn_table: CE on any fragment with ECT on the others
 * makes the whole datagram CE; Not-ECT mixed with anything else is
 * invalid (-1: drop it); anything else leaves the first fragment's bits. */
static int ecn_to_add(uint8_t seen)
{
    const uint8_t not_ect = 1 << ECN_NOT_ECT, ce = 1 << ECN_CE;
    if ((seen & not_ect) && seen != not_ect)
        return -1;
    if ((seen & ce) && seen != ce)
        return ECN_CE;
    return 0;
}

/* Every piece's data, in place after `header_len` bytes of `out`. */
static void copy_data(const struct datagram *d, uint8_t *out, size_t header_len)
{
    for (uint32_t i = 0; i < d->run_count; i++)
        for (const struct piece *p = d->runs[i]->first; p != NULL; p = p->next)
            memcpy(out + header_len + p->offset, p->bytes + p->header_len, p->len);
}

/* ip6_frag_reasm(): the first fragment's headers without its Fragment
 * header (the last 8 of its header bytes), whose next header goes into the
 * byte that named it; the payload length new; the ECN bits of the traffic
 * class as the mix says. Returns the length, 0 if the payload would pass
 * 65535, -1 for a bad ECN mix. */
static long build_packet6(const struct datagram *d, uint8_t *out)
{
    const struct piece *first = d->runs[0]->first;
    size_t header_len = first->header_len - 8;
    size_t payload_len = header_len - IPV6_HEADER_LEN + d->len;
    if (payload_len > 65535)
        return 0;
    int ecn = ecn_to_add(d->ecn);
    if (ecn < 0)
        return -1;
    memcpy(out, first->bytes, header_len);
    out[d->next_header_at] = first->bytes[header_len];     /* the Fragment header's */
    copy_data(d, out, header_len);
    write_be16(out + 4, (uint16_t)payload_len);
    out[1] |= (uint8_t)(ecn << 4);     /* traffic class: byte 0's low 4 bits, byte 1's top 4 */
    return (long)(header_len + d->len);
}

/* ip_frag_reasm(): writes the whole datagram. The header is the first
 * fragment's, options and all, with total length, ECN, flags and
 * checksum new. Returns its length, 0 past 65535, -1 for a bad ECN mix. */
static long build_datagram(const struct datagram *d, uint8_t *out)
{
    if (d->address_len == 16)
        return build_packet6(d, out);
    int ecn = ecn_to_add(d->ecn);
    if (ecn < 0)
        return -1;
    const struct piece *first = d->runs[0]->first;
    size_t len = first->header_len + d->len;
    if (len > IPV4_MAX_PACKET_LEN)
        return 0;               /* "Oversized IP packet": the ping of death */
    memcpy(out, first->bytes, first->header_len);
    copy_data(d, out, first->header_len);
    write_be16(out + 2, (uint16_t)len);
    out[1] |= (uint8_t)ecn;
    /* DF on the whole only if the largest fragment had DF, so that a
     * router forwarding it cuts it no smaller than the sender did (Linux:
     * "We only set DF/IPSKB_FRAG_PMTU if such DF fragment was the largest
     * frag seen"). Offset and MF are gone either way. */
    write_be16(out + 6, d->max_df_size == d->max_size ? 0x4000 : 0);
    write_be16(out + 10, 0);
    write_be16(out + 10, inet_checksum(out, first->header_len));
    return (long)len;
}

/* ip_frag_queue()'s checks on where the fragment ends, in its order. Sets
 * *end; returns 0 if the datagram must be dropped. Like Linux it records
 * the end before knowing whether the fragment is a duplicate. */
static int fragment_end_consistent(struct datagram *d, const struct incoming *in, size_t *end)
{
    size_t offset = in->offset;
    *end = offset + in->data_len;
    if (!in->more_fragments) {
        /* The last fragment: nothing held may lie past it, and a second
         * last fragment must end where the first did. */
        if (*end < d->len || (d->last_in && *end != d->len))
            return 0;
        d->last_in = 1;
        d->len = *end;
    } else {
        /* Every fragment but the last carries a multiple of 8 bytes (RFC
         * 791: offsets count 8-byte units); Linux keeps the whole 8s and
         * ignores the rest. (IPv6 sent a parameter problem instead, before
         * coming here.) */
        *end &= ~(size_t)7;
        if (*end > d->len) {
            if (d->last_in)
                return 0;       /* past the end a last fragment set */
            d->len = *end;
        }
    }
    return *end != offset;      /* an empty fragment is dropped, and its datagram */
}

/* Records what the fragment tells about the whole: Linux does it only for
 * fragments it keeps. */
static void note_fragment(struct datagram *d, const struct incoming *in, size_t offset,
                          size_t end)
{
    size_t fragsize = (end - offset) + in->header_len;
    d->meat += end - offset;
    d->ecn |= (uint8_t)(1 << (in->ecn & ECN_MASK));
    if (offset == 0) {
        d->first_in = 1;
        d->next_header_at = in->next_header_at;
    }
    if (fragsize > d->max_size)
        d->max_size = fragsize;
    if (in->dont_fragment && fragsize > d->max_df_size)
        d->max_df_size = fragsize;
}

static enum reassembly_outcome queue_fragment(struct reassembly *table, struct datagram *d,
                                              const struct incoming *in, uint64_t now_ms,
                                              uint8_t *datagram, size_t *datagram_len)
{
    if (too_far(d))
        restart_datagram(table, d, now_ms);

    size_t offset = in->offset, end;
    if (!fragment_end_consistent(d, in, &end)) {
        destroy_datagram(table, d);
        return REASSEMBLY_INCONSISTENT;
    }
    uint32_t at;
    enum insert_result where = place_piece(d, offset, end, &at);
    if (where == DUPLICATE)
        return REASSEMBLY_DUPLICATE;
    if (where == OVERLAP) {
        destroy_datagram(table, d);
        return REASSEMBLY_OVERLAP;
    }
    struct piece *piece = new_piece(in, offset, end);
    if (piece == NULL || !link_piece(table, d, piece, at)) {
        /* Linux, out of memory here, drops the datagram too. */
        free(piece);
        destroy_datagram(table, d);
        return REASSEMBLY_NO_MEMORY;
    }
    charge(table, d, sizeof *piece + piece->header_len + piece->len + MALLOC_OVERHEAD);
    note_fragment(d, in, offset, end);

    if (!(d->first_in && d->last_in && d->meat == d->len))
        return REASSEMBLY_HELD;
    long len = build_datagram(d, datagram);
    destroy_datagram(table, d);
    if (len < 0)
        return REASSEMBLY_INCONSISTENT;
    if (len == 0)
        return REASSEMBLY_TOO_LONG;
    *datagram_len = (size_t)len;
    return REASSEMBLY_COMPLETE;
}

/* inet_frag_find(): past the limit, no fragment is taken, not even one
 * that would complete a datagram; memory comes back only as datagrams
 * complete, fail or time out. Linux 6.x has no evictor (since 4.17), and
 * checks before adding: the charge may pass the limit by one fragment,
 * never more. NULL: REASSEMBLY_NO_MEMORY. */
static struct datagram *find_or_create(struct reassembly *table, const struct incoming *in,
                                       uint64_t now_ms)
{
    if (table->settings.high_thresh == 0 || table->memory > table->settings.high_thresh)
        return NULL;
    struct datagram *d = find_datagram(table, in);
    return d != NULL ? d : create_datagram(table, in, now_ms);
}

enum reassembly_outcome reassembly_add(struct reassembly *table, const uint8_t *packet,
                                       const struct ipv4_view *ip, uint64_t now_ms,
                                       uint8_t *datagram, size_t *datagram_len)
{
    *datagram_len = 0;
    struct incoming in = {
        .src = ip->src, .dst = ip->dst, .address_len = 4,
        .protocol = ip->protocol, .identification = ip->identification,
        .packet = packet, .header_len = ip->header_len,
        .data = ip->payload, .data_len = ip->payload_len,
        .offset = ip->fragment_offset, .more_fragments = ip->more_fragments,
        .dont_fragment = ip->dont_fragment, .ecn = ip->tos & ECN_MASK,
    };
    struct datagram *d = find_or_create(table, &in, now_ms);
    if (d == NULL)
        return REASSEMBLY_NO_MEMORY;
    return queue_fragment(table, d, &in, now_ms, datagram, datagram_len);
}

/* ---- IPv6 ------------------------------------------------------------------ */

enum { NEXT_AUTHENTICATION = 51 };  /* IPsec AH: its length counts 4-byte units */

/* The fewest bytes of an upper-layer header that a first fragment must
 * hold (Linux's ipv6frag_thdr_truncated(): a whole TCP or UDP header, an
 * ICMPv6 header's 8 bytes, one byte of anything else). */
static size_t upper_layer_minimum(uint8_t protocol)
{
    switch (protocol) {
    case IPV6_NEXT_TCP: return 20;
    case IPV6_NEXT_UDP: return 8;
    case IPV6_NEXT_ICMPV6: return 8;
    default: return 1;
    }
}

/* RFC 8200 4.5 (from RFC 7112): a first fragment must hold every header up
 * to and including the upper-layer header. Walks on from the header after
 * the Fragment header (`next` at `at`) as Linux's ipv6_skip_exthdr() does;
 * a header cut short, or "no next header", ends the walk without a verdict
 * (Linux then queues the fragment, and so do we). Returns 1 if the
 * fragment is to be refused. */
static int first_fragment_incomplete(const uint8_t *packet, size_t len, size_t at,
                                     uint8_t next)
{
    for (;;) {
        size_t header_len;
        switch (next) {
        case IPV6_NEXT_HOP_BY_HOP:
        case IPV6_NEXT_ROUTING:
        case IPV6_NEXT_DESTINATION:
        case NEXT_AUTHENTICATION:
            if (at + 2 > len)
                return 0;
            header_len = next == NEXT_AUTHENTICATION ? ((size_t)packet[at + 1] + 2) * 4
                                                     : ((size_t)packet[at + 1] + 1) * 8;
            break;
        case IPV6_NEXT_FRAGMENT:
            if (at + 4 > len || (read_be16(packet + at + 2) & 0xfff8) != 0)
                return 0;               /* cut short, or not a first fragment */
            header_len = 8;
            break;
        case IPV6_NEXT_NONE:
            return 0;
        default:
            return at + upper_layer_minimum(next) > len;
        }
        next = packet[at];
        at += header_len;
    }
}

static enum reassembly_outcome problem_at(struct reassembly_problem *problem, uint8_t code,
                                          uint32_t pointer)
{
    problem->code = code;
    problem->pointer = pointer;
    return REASSEMBLY_PARAMETER_PROBLEM;
}

enum reassembly_outcome reassembly_add6(struct reassembly *table, const uint8_t *packet,
                                        const struct ipv6_view *ip, const struct ipv6_walk *walk,
                                        uint64_t now_ms, uint8_t *datagram, size_t *datagram_len,
                                        struct reassembly_problem *problem)
{
    *datagram_len = 0;
    size_t len = IPV6_HEADER_LEN + ip->payload_bytes;
    size_t data_at = walk->offset + 8;      /* past the Fragment header */
    struct incoming in = {
        .src = ip->src, .dst = ip->dst, .address_len = 16,
        .identification = walk->fragment.identification,
        .packet = packet, .header_len = data_at,
        .data = packet + data_at, .data_len = len - data_at,
        .offset = walk->fragment.offset, .more_fragments = walk->fragment.more_fragments,
        .ecn = ip->traffic_class & ECN_MASK, .next_header_at = walk->next_header_at,
    };

    /* ipv6_frag_rcv(): before looking for its datagram. */
    if (in.offset == 0 &&
        first_fragment_incomplete(packet, len, data_at, walk->fragment.next_header))
        return problem_at(problem, IPV6_PARAMETER_FIRST_FRAGMENT_INCOMPLETE_CHAIN, 0);

    struct datagram *d = find_or_create(table, &in, now_ms);
    if (d == NULL)
        return REASSEMBLY_NO_MEMORY;

    /* ip6_frag_queue(): its datagram now exists (and stays, even empty,
     * until its time is up, as in Linux) but the fragment is refused. The
     * end counts the fragmentable part only: what follows the Fragment
     * header, which can say no more than 65535. */
    size_t end = in.offset + in.data_len;
    if (end > 65535)
        return problem_at(problem, IPV6_PARAMETER_ERRONEOUS_FIELD, (uint32_t)walk->offset + 2);
    /* RFC 8200 4.5: every fragment but the last holds a multiple of 8
     * bytes; Linux ("RFC2460 says always send parameter problem in this
     * case. -DaveM") points at the payload length. */
    if (in.more_fragments && (end & 7) != 0)
        return problem_at(problem, IPV6_PARAMETER_ERRONEOUS_FIELD, 4);
    return queue_fragment(table, d, &in, now_ms, datagram, datagram_len);
}

/* ---- time ----------------------------------------------------------------- */

int reassembly_expire(struct reassembly *table, uint64_t now_ms, uint8_t *first,
                      size_t *first_len)
{
    *first_len = 0;
    struct datagram *d = table->oldest;
    if (d == NULL || d->deadline_ms > now_ms)
        return 0;
    /* ip_expire(): only a datagram whose first fragment came gets its
     * time exceeded, quoting that fragment (RFC 792: "if fragment zero is
     * not available then no time exceeded need be sent at all"). Linux
     * quotes what it kept of it: the header as it came, and the payload
     * cut to a multiple of 8 bytes. */
    if (d->first_in) {
        const struct piece *p = d->runs[0]->first;
        memcpy(first, p->bytes, p->header_len + p->len);
        *first_len = p->header_len + p->len;
    }
    destroy_datagram(table, d);
    return 1;
}

uint64_t reassembly_next_expiry(const struct reassembly *table)
{
    return table->oldest != NULL ? table->oldest->deadline_ms : UINT64_MAX;
}

size_t reassembly_memory(const struct reassembly *table)
{
    return table->memory;
}

size_t reassembly_count(const struct reassembly *table)
{
    return table->count;
}

const char *reassembly_outcome_name(enum reassembly_outcome outcome)
{
    switch (outcome) {
    case REASSEMBLY_HELD: return "fragment-held";
    case REASSEMBLY_COMPLETE: return "reassembled";
    case REASSEMBLY_DUPLICATE: return "fragment-duplicate";
    case REASSEMBLY_OVERLAP: return "fragments-overlap";
    case REASSEMBLY_TOO_LONG: return "datagram-too-long";
    case REASSEMBLY_INCONSISTENT: return "fragments-inconsistent";
    case REASSEMBLY_NO_MEMORY: return "reassembly-memory-full";
    case REASSEMBLY_PARAMETER_PROBLEM: return "fragment-parameter-problem";
    }
    return "unknown";
}
