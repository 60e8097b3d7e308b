/* Captures written by us and read by tshark, and the other way round. */
#include "support.h"

#include "pcapfile.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

struct collected {
    uint8_t packets[4][64];
    size_t lens[4];
    int count;
};

static int collect(void *context, const struct timeval *when, const uint8_t *packet, size_t len)
{
    struct collected *c = context;
    (void)when;
    if (c->count == 4 || len > 64)
        return -1;
    memcpy(c->packets[c->count], packet, len);
    c->lens[c->count++] = len;
    return 0;
}

static void write_then_read_back(void **state)
{
    (void)state;
    char path[] = "/tmp/icmp-steps-pcap-XXXXXX";
    char why[256];
    const uint8_t one[] = {0x45, 0x00, 0x00, 0x14}, two[] = {0x60, 0x01};
    struct timeval when = {.tv_sec = 1700000000, .tv_usec = 5};
    struct collected got = {0};

    close(mkstemp(path));
    struct pcap_writer *w = pcap_writer_open(path, why, sizeof why);
    assert_non_null(w);
    assert_int_equal(pcap_writer_add(w, &when, one, sizeof one), 0);
    assert_int_equal(pcap_writer_add(w, &when, two, sizeof two), 0);
    assert_int_equal(pcap_writer_close(w, why, sizeof why), 0);

    assert_int_equal(pcap_read_packets(path, collect, &got, why, sizeof why), 0);
    assert_int_equal(got.count, 2);
    assert_int_equal(got.lens[0], sizeof one);
    assert_memory_equal(got.packets[0], one, sizeof one);
    assert_memory_equal(got.packets[1], two, sizeof two);

    /* Wireshark's own reading of the file: raw IP link type, two records. */
    char command[512];
    snprintf(command, sizeof command, "capinfos -c -E -T %s 2>/dev/null | tail -n 1", path);
    char *info = run_tool(command, (const uint8_t *)"", 0);
    assert_non_null(strstr(info, "\trawip\t2\n"));
    free(info);
    unlink(path);
}

/* The first packet only, cut to the room given; a capture with none says so. */
static void first_packet(void **state)
{
    (void)state;
    char path[] = "/tmp/icmp-steps-pcap-XXXXXX", why[256];
    const uint8_t one[] = {0x45, 0x00, 0x00, 0x14, 0xaa}, two[] = {0x60, 0x01};
    struct timeval when = {0};
    uint8_t got[8];

    close(mkstemp(path));
    struct pcap_writer *w = pcap_writer_open(path, why, sizeof why);
    assert_int_equal(pcap_writer_close(w, why, sizeof why), 0);
    assert_int_equal(pcap_read_first(path, got, sizeof got, why, sizeof why), -1);
    assert_non_null(strstr(why, "holds no packet."));

    w = pcap_writer_open(path, why, sizeof why);
    pcap_writer_add(w, &when, one, sizeof one);
    pcap_writer_add(w, &when, two, sizeof two);
    assert_int_equal(pcap_writer_close(w, why, sizeof why), 0);
    assert_int_equal(pcap_read_first(path, got, sizeof got, why, sizeof why), 5);
    assert_memory_equal(got, one, 5);
    assert_int_equal(pcap_read_first(path, got, 3, why, sizeof why), 3);
    unlink(path);
}

static void missing_file_says_so(void **state)
{
    (void)state;
    char why[512];
    struct collected got = {0};

    assert_int_equal(pcap_read_packets("/nonexistent/x.pcap", collect, &got, why, sizeof why), -1);
    assert_string_equal(why, "cannot read the capture /nonexistent/x.pcap (No such file or "
                             "directory).");     /* the path once, not twice */
}

static void not_a_capture_says_so(void **state)
{
    (void)state;
    char why[512];
    struct collected got = {0};
    char path[512];

    snprintf(path, sizeof path, "%s/tests/fixtures/requests/all-zero.txt", PROJECT_ROOT);
    assert_int_equal(pcap_read_packets(path, collect, &got, why, sizeof why), -1);
    assert_non_null(strstr(why, "cannot read the capture"));
}

static void unwritable_path_says_so(void **state)
{
    (void)state;
    char why[512];

    assert_null(pcap_writer_open("/nonexistent/dir/out.pcap", why, sizeof why));
    assert_non_null(strstr(why, "cannot write the capture /nonexistent/dir/out.pcap"));
}

/* /dev/full takes no byte: the file header already fails, at open. */
static void a_file_that_takes_no_writes_fails_at_open(void **state)
{
    (void)state;
    char why[512];

    assert_null(pcap_writer_open("/dev/full", why, sizeof why));
    assert_string_equal(why, "cannot write the capture /dev/full (No space left on device).");
}

/* Never through a symbolic link: the file it names is left as it was. */
static void a_symbolic_link_is_not_followed(void **state)
{
    (void)state;
    char dir[] = "/tmp/icmp-steps-pcap-XXXXXX", target[64], link[64], why[512];
    struct stat st;

    assert_non_null(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link.pcap", dir);
    FILE *f = fopen(target, "w");
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    assert_null(pcap_writer_open(link, why, sizeof why));
    assert_non_null(strstr(why, "link.pcap is or goes through a symbolic link, which the step does not follow"));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 8);
    unlink(link);
    unlink(target);
    rmdir(dir);
}

/* A record longer than the 65535-byte snaplen is cut to it; libpcap reads
 * back 65535 bytes and the true length. */
static void long_records_are_cut_to_the_snaplen(void **state)
{
    (void)state;
    char path[] = "/tmp/icmp-steps-pcap-XXXXXX", why[256], error[PCAP_ERRBUF_SIZE];
    static uint8_t big[70000];
    struct timeval when = {0};
    struct pcap_pkthdr *header;
    const u_char *data;

    close(mkstemp(path));
    struct pcap_writer *w = pcap_writer_open(path, why, sizeof why);
    assert_non_null(w);
    assert_int_equal(pcap_writer_add(w, &when, big, sizeof big), 0);
    assert_int_equal(pcap_writer_close(w, why, sizeof why), 0);
    pcap_t *handle = pcap_open_offline(path, error);
    assert_non_null(handle);
    assert_int_equal(pcap_snapshot(handle), 65535);
    assert_int_equal(pcap_next_ex(handle, &header, &data), 1);
    assert_int_equal(header->caplen, 65535);
    assert_int_equal(header->len, 70000);
    pcap_close(handle);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read_back),
        cmocka_unit_test(first_packet),
        cmocka_unit_test(missing_file_says_so),
        cmocka_unit_test(not_a_capture_says_so),
        cmocka_unit_test(unwritable_path_says_so),
        cmocka_unit_test(a_file_that_takes_no_writes_fails_at_open),
        cmocka_unit_test(a_symbolic_link_is_not_followed),
        cmocka_unit_test(long_records_are_cut_to_the_snaplen),
    };
    return cmocka_run_group_tests_name("pcapfile", tests, NULL, NULL);
}
