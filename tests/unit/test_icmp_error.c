/*
 * The error builder (common/icmp_error.c) against the Linux kernel's own
 * errors (tests/fixtures/kernel-replies, step 09's fixtures), seen from
 * the kernel's side: given the datagram exactly as the kernel held it (the
 * request as kernel-oracle wrote it, from 198.51.100.2 to 198.51.100.1),
 * the kernel's error options and its identification (Linux's hashed
 * counter, which no one can predict), the builder must write the kernel's
 * error byte for byte: TOS, flags, TTL, length, the 576-byte cut, both
 * checksums.
 */
#include "support.h"

#include "bytes.h"
#include "checksum.h"
#include "icmp_error.h"
#include "ipv4.h"

static uint8_t request[TEST_MAX_PACKET], kernel[TEST_MAX_PACKET], out[TEST_MAX_PACKET];
static const uint8_t KERNEL[4] = {198, 51, 100, 1}, ORACLE_PEER[4] = {198, 51, 100, 2};

/* A UDP checksum over the pseudo-header (RFC 768), computed here. */
static uint16_t udp_checksum(const uint8_t *ip, const uint8_t *udp, size_t len)
{
    uint32_t sum = 17 + (uint32_t)len;

    for (int i = 12; i < 20; i += 2)
        sum += read_be16(ip + i);
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)udp[i] << 8 | (i + 1 < len ? udp[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* requests/NAME as kernel-oracle wrote it: its addresses, so its header
 * and UDP checksums (a UDP one of 0, none, stays 0). */
static size_t as_the_kernel_got_it(const char *name)
{
    char path[128];

    snprintf(path, sizeof path, "requests/%s.pcap", name);
    size_t len = load_fixture(path, request);
    size_t header_len = (size_t)(request[0] & 0x0f) * 4;
    memcpy(request + 12, ORACLE_PEER, 4);
    memcpy(request + 16, KERNEL, 4);
    write_be16(request + 10, 0);
    write_be16(request + 10, inet_checksum(request, header_len));
    uint8_t *udp = request + header_len;
    if (request[9] == 17 && read_be16(udp + 6) != 0) {
        write_be16(udp + 6, 0);
        uint16_t sum = udp_checksum(request, udp, read_be16(udp + 4));
        write_be16(udp + 6, sum ? sum : 0xffff);
    }
    return len;
}

/* The builder's error about `quote_len` bytes of the request, with the
 * kernel's options and identification, equals the kernel's. */
static void assert_kernel_error(const char *name, size_t quote_len, uint8_t type, uint8_t code,
                                uint32_t info)
{
    char path[128];
    struct ipv4_view ip;

    snprintf(path, sizeof path, "kernel-replies/%s.pcap", name);
    size_t kernel_len = load_fixture(path, kernel);
    size_t kernel_header = (size_t)(kernel[0] & 0x0f) * 4;
    assert_int_equal(ipv4_parse(request, quote_len, &ip), IPV4_OK);
    struct icmp_error error = {
        .type = type, .code = code, .info = info, .ttl = 64,
        .options = kernel + 20, .options_len = kernel_header - 20,
        .identification = read_be16(kernel + 4),
    };
    size_t len = icmp_error_write(out, &ip, request, quote_len, &error);
    print_message("%s: %zu bytes, the kernel's %zu\n", name, len, kernel_len);
    assert_int_equal(len, kernel_len);
    assert_memory_equal(out, kernel, kernel_len);
}

static void port_unreachable_as_the_kernel(void **state)
{
    (void)state;
    size_t len = as_the_kernel_got_it("udp-closed");
    assert_kernel_error("udp-closed", len, 3, 3, 0);
    len = as_the_kernel_got_it("tos-error");
    assert_kernel_error("tos-error", len, 3, 3, 0);
}

/* 1028 bytes in, 576 out: 20 + 8 + 548 of the datagram. */
static void cut_at_576_as_the_kernel(void **state)
{
    (void)state;
    size_t len = as_the_kernel_got_it("udp-large");
    assert_int_equal(len, 1028);
    assert_kernel_error("udp-large", len, 3, 3, 0);
    assert_int_equal(read_be16(out + 2), 576);
}

/* With 40 bytes of options the error still ends at 576: 508 quoted. */
static void options_leave_less_room(void **state)
{
    (void)state;
    struct ipv4_view ip;
    uint8_t options[40];

    size_t len = as_the_kernel_got_it("udp-large");
    memset(options, 1, sizeof options);     /* No Operation, 40 times */
    assert_int_equal(ipv4_parse(request, len, &ip), IPV4_OK);
    struct icmp_error error = {.type = 3, .code = 3, .ttl = 64, .options = options,
                               .options_len = 40};
    assert_int_equal(icmp_error_write(out, &ip, request, len, &error), 576);
    assert_int_equal(out[0], 0x4f);
    assert_memory_equal(out + 60 + 8, request, 576 - 60 - 8);
    assert_true(inet_checksum_ok(out, 60));
    assert_true(inet_checksum_ok(out + 60, 576 - 60));
}

static void protocol_unreachable_as_the_kernel(void **state)
{
    (void)state;
    size_t len = as_the_kernel_got_it("protocol-unknown");
    assert_kernel_error("protocol-unknown", len, 3, 2, 0);
}

/* The parameter problem's pointer is the high byte of "info". */
static void parameter_problem_as_the_kernel(void **state)
{
    (void)state;
    size_t len = as_the_kernel_got_it("bad-option-pointer");
    assert_kernel_error("bad-option-pointer", len, 12, 0, 22u << 24);
}

/* Linux's rule, measured for 0xbb (tos-error: 0xda) and 0x00: the bits
 * of IPTOS_TOS_MASK (0x1e) kept under precedence 6, the rest dropped.
 * That mask is older than ECN (RFC 3168), and holds ECN's 0x02 bit, which
 * survives: 0xbb's ECN CE (0x03) leaves 0x02 in 0xda, and ECT(0) alone
 * gives 0xc2. */
static void tos_of_an_error(void **state)
{
    (void)state;
    assert_int_equal(icmp_error_tos(0x00), 0xc0);
    assert_int_equal(icmp_error_tos(0xbb), 0xda);
    assert_int_equal(icmp_error_tos(0xff), 0xde);
    assert_int_equal(icmp_error_tos(0x03), 0xc2);
    assert_int_equal(icmp_error_tos(0x02), 0xc2);
    assert_int_equal(icmp_error_tos(0x01), 0xc0);
    assert_int_equal(icmp_error_tos(0x10), 0xd0);
}

/* RFC 1122 3.2.2 lists the errors; Linux takes unknown types (above 18,
 * NR_ICMP_TYPES) for errors too. */
static void which_types_are_errors(void **state)
{
    (void)state;
    const uint8_t errors[] = {3, 4, 5, 11, 12, 19, 42, 200, 255};
    const uint8_t others[] = {0, 1, 2, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 18};

    for (size_t i = 0; i < sizeof errors; i++)
        assert_true(icmp_type_is_error(errors[i]));
    for (size_t i = 0; i < sizeof others; i++)
        assert_false(icmp_type_is_error(others[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(port_unreachable_as_the_kernel),
        cmocka_unit_test(cut_at_576_as_the_kernel),
        cmocka_unit_test(options_leave_less_room),
        cmocka_unit_test(protocol_unreachable_as_the_kernel),
        cmocka_unit_test(parameter_problem_as_the_kernel),
        cmocka_unit_test(tos_of_an_error),
        cmocka_unit_test(which_types_are_errors),
    };
    return cmocka_run_group_tests_name("icmp_error", tests, NULL, NULL);
}
