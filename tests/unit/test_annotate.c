/* The annotated packet view of real packets. Every value below is also what
 * `tshark -V` reads in the same capture (requests/default.pcap: Identification
 * 0xc697 (50839), Flags 0x2 Don't fragment, Header Checksum 0xf00d, ICMP
 * Checksum 0xf2e0, Identifier (BE) 3198, Sequence Number (BE) 1). */
#include "support.h"

#include "annotate.h"

static uint8_t packet[TEST_MAX_PACKET];

static char *annotate(const uint8_t *bytes, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    annotate_packet(out, bytes, len);
    fclose(out);
    return text;
}

static void a_real_ping_request(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/default.pcap", packet);
    char *text = annotate(packet, len);

    assert_string_equal(text,
        "  IPv4 header, 20 bytes\n"
        "  0       45            Version          4\n"
        "  0       45            IHL              5 words = 20 bytes\n"
        "  1       00            TOS              0x00 (0)\n"
        "  2-3     00 54         Total Length     84\n"
        "  4-5     c6 97         Identification   0xc697 (50839)\n"
        "  6       40            Flags            DF\n"
        "  6-7     40 00         Fragment Offset  0\n"
        "  8       40            TTL              64\n"
        "  9       01            Protocol         1 = ICMP\n"
        "  10-11   f0 0d         Header Checksum  0xf00d (verifies)\n"
        "  12-15   c0 00 02 01   Source           192.0.2.1\n"
        "  16-19   c0 00 02 02   Destination      192.0.2.2\n"
        "  ICMP echo request, 64 bytes\n"
        "  20      08            Type             8 = echo request\n"
        "  21      00            Code             0\n"
        "  22-23   f2 e0         Checksum         0xf2e0 (verifies)\n"
        "  24-25   0c 7e         Identifier       3198\n"
        "  26-27   00 01         Sequence Number  1\n"
        "  28-83   (56 bytes)    Data             22 5e 0a 6b 00 00 00 00 07 04 06 00 ...\n");
    free(text);
}

/* A wrong checksum is called out; so is a non-echo ICMP type, whose bytes
 * 4-7 are not an identifier and sequence. */
static void wrong_checksum_and_other_types(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/s0.pcap", packet);

    packet[22] ^= 0xff;
    char *text = annotate(packet, len);
    assert_non_null(strstr(text, "  22-23   14 7f         Checksum         0x147f (WRONG)\n"));
    free(text);

    packet[20] = 3;
    text = annotate(packet, len);
    assert_non_null(strstr(text, "  ICMP destination unreachable, 8 bytes\n"));
    assert_non_null(strstr(text, "  24-27   0c 7f 00 01   Rest of header   \n"));
    assert_null(strstr(text, "Identifier"));
    free(text);
}

static void what_cannot_be_parsed_is_one_line(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);
    char *text = annotate(packet, len);

    assert_string_equal(text, "ignored: IPv6 packet (48 bytes), this step speaks IPv4 only\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_real_ping_request),
        cmocka_unit_test(wrong_checksum_and_other_types),
        cmocka_unit_test(what_cannot_be_parsed_is_one_line),
    };
    return cmocka_run_group_tests_name("annotate", tests, NULL, NULL);
}
