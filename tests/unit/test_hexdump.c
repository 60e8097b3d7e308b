/* Our hex dump against the real `hexdump -C`, byte for byte. */
#include "support.h"

#include "hexdump.h"

static char *our_dump(const uint8_t *data, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    hexdump(out, data, len);
    fclose(out);
    return text;
}

static void assert_same_as_hexdump_c(const uint8_t *data, size_t len)
{
    char *ours = our_dump(data, len);
    char *theirs = run_tool("hexdump -C", data, len);

    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);
}

static void empty_input_prints_nothing(void **state)
{
    (void)state;
    char *ours = our_dump((const uint8_t *)"", 0);

    assert_string_equal(ours, "");
    free(ours);
}

/* The layout, written out: offset, two groups of 8, ASCII, final offset. */
static void layout_of_a_short_line(void **state)
{
    (void)state;
    char *ours = our_dump((const uint8_t *)"abc", 3);

    assert_string_equal(ours,
        "00000000  61 62 63                                          |abc|\n"
        "00000003\n");
    free(ours);
}

static void partial_lines_and_every_byte_value(void **state)
{
    (void)state;
    uint8_t all[256];

    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (uint8_t)i;
    for (size_t len = 1; len <= 40; len++)
        assert_same_as_hexdump_c(all, len);
    assert_same_as_hexdump_c(all, sizeof all);
}

/* hexdump -C folds a run of identical full lines into one `*`. */
static void repeated_lines_become_a_star(void **state)
{
    (void)state;
    uint8_t data[100] = {0};

    assert_same_as_hexdump_c(data, 64);
    assert_same_as_hexdump_c(data, 40);
    memset(data, 'A', 16);
    memset(data + 80, 'B', 20);
    assert_same_as_hexdump_c(data, sizeof data);
}

/* Real packets, as step 01 shows them. */
static void real_packets(void **state)
{
    (void)state;
    static const char *names[] = {
        "requests/default.pcap", "requests/s1472.pcap", "requests/ipv6-router-solicitation.pcap",
        "kernel-replies/all-zero.pcap",
    };
    static uint8_t packet[TEST_MAX_PACKET];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = load_fixture(names[i], packet);
        assert_same_as_hexdump_c(packet, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_input_prints_nothing),
        cmocka_unit_test(layout_of_a_short_line),
        cmocka_unit_test(partial_lines_and_every_byte_value),
        cmocka_unit_test(repeated_lines_become_a_star),
        cmocka_unit_test(real_packets),
    };
    return cmocka_run_group_tests_name("hexdump", tests, NULL, NULL);
}
