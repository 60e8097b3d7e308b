/* The command line every step shares. */
#include "support.h"

#include "cli.h"

static int parse(struct step_options *options, char *why, size_t why_len, ...)
{
    char *argv[16];
    int argc = 0;
    va_list args;

    va_start(args, why_len);
    for (char *arg; (arg = va_arg(args, char *)) != NULL;)
        argv[argc++] = arg;
    va_end(args);
    argv[argc] = NULL;
    return cli_parse(argc, argv, options, why, why_len);
}

static void defaults(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "bin/05-checksum", NULL), 0);
    assert_string_equal(o.ifname, "tun0");
    assert_null(o.pcap_path);
    assert_null(o.replay_path);
    assert_false(o.help);
}

static void every_option(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun7", "--pcap", "out.pcap",
                           "--user", "nobody", NULL), 0);
    assert_string_equal(o.ifname, "tun7");
    assert_string_equal(o.pcap_path, "out.pcap");
    assert_string_equal(o.user, "nobody");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--replay", "in.pcap", "--pcap",
                           "out.pcap", NULL), 0);
    assert_string_equal(o.replay_path, "in.pcap");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--interface=lab0", "-h", NULL), 0);
    assert_string_equal(o.ifname, "lab0");
    assert_true(o.help);
}

/* Found by fuzzing the command line: the argument is quoted as typed. */
static void a_refusal_is_one_printable_line(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "a\nb", NULL), -1);
    assert_null(strchr(why, '\n'));
    assert_non_null(strstr(why, "'a?b' is not a valid interface name"));
    assert_int_equal(parse(&o, why, sizeof why, "step", "--bogus\x1b[2J", NULL), -1);
    assert_string_equal(why, "unknown option '--bogus?[2J': run 'step -h' for usage.");
}

static void mistakes_get_one_sentence(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "bin/03-naive-reply", "-x", NULL), -1);
    assert_string_equal(why, "unknown option '-x': run 'bin/03-naive-reply -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--frobnicate", NULL), -1);
    assert_string_equal(why, "unknown option '--frobnicate': run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", NULL), -1);
    assert_string_equal(why, "option '-i' needs a value: run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "tun0", NULL), -1);
    assert_string_equal(why, "unexpected argument 'tun0': run 'step -h' for usage.");
}

/* Linux's rule for names (dev_valid_name() in net/core/dev.c): 1 to 15
 * bytes (IFNAMSIZ 16 with the final NUL), not "." or "..", no '/', ':' or
 * white space. And no '%', which makes the kernel choose the name. */
static void interface_names_as_linux_allows(void **state)
{
    (void)state;
    static const char *const invalid[] = {"a b", "a/b", "..", ".", "a:b", "tab\t",
                                          "sixteen-chars-xx"};
    /* As the message shows them: a control character is a '?'. */
    static const char *const shown[] = {"a b", "a/b", "..", ".", "a:b", "tab?",
                                        "sixteen-chars-xx"};
    struct step_options o;
    char why[256], want[256];

    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(parse(&o, why, sizeof why, "step", "-i", invalid[i], NULL), -1);
        snprintf(want, sizeof want, "'%s' is not a valid interface name: use 1 to 15 "
                 "characters, without '/', ':' or spaces, and not '.' or '..', for example "
                 "-i tun0.", shown[i]);
        assert_string_equal(why, want);
    }
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "fifteen-chars-x", NULL), 0);
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun.lab-0_1", NULL), 0);
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun%d", NULL), -1);
    assert_string_equal(why, "'tun%d' asks the kernel to choose the device's name, and then you "
                             "could not tell which to configure: give the whole name, for "
                             "example -i tun0.");
}

/* The option named is the one at fault, as typed: not the whole cluster. */
static void the_faulty_option_is_named(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "-hi", NULL), -1);
    assert_string_equal(why, "option '-i' needs a value: run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--pcap", NULL), -1);
    assert_string_equal(why, "option '--pcap' needs a value: run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "-vx", NULL), -1);
    assert_string_equal(why, "unknown option '-x': run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun1", "-xv", NULL), -1);
    assert_string_equal(why, "unknown option '-x': run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--frob=1", NULL), -1);
    assert_string_equal(why, "unknown option '--frob': run 'step -h' for usage.");
    /* A flag given a value: not "unknown option '-h'", which nobody typed. */
    assert_int_equal(parse(&o, why, sizeof why, "step", "--help=x", NULL), -1);
    assert_string_equal(why, "option '--help' takes no value: run 'step -h' for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun1", "--verb=1", NULL), -1);
    assert_string_equal(why, "option '--verb' takes no value: run 'step -h' for usage.");
}

/* An empty value is no value: it would reach open() or getpwnam() and come
 * back as a message about a name nobody sees. */
static void empty_values_are_refused(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "--pcap", "", NULL), -1);
    assert_string_equal(why, "option '--pcap' needs a value, and it is empty: run 'step -h' for "
                             "usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--replay=", NULL), -1);
    assert_string_equal(why, "option '--replay' needs a value, and it is empty: run 'step -h' "
                             "for usage.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--user", "", NULL), -1);
    assert_non_null(strstr(why, "option '--user' needs a value, and it is empty"));
    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "", NULL), -1);
    assert_non_null(strstr(why, "option '-i' needs a value, and it is empty"));
}

/* --address with a colon is an IPv6 address (step 11 on; the runner
 * refuses it for earlier steps), and mixes with IPv4 ones. */
static void ipv6_addresses(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];
    static const uint8_t TWO[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

    assert_int_equal(parse(&o, why, sizeof why, "step", "--address", "2001:db8::2/64",
                           "--address", "192.0.2.2/24", NULL), 0);
    assert_int_equal(o.host.count, 1);
    assert_int_equal(o.host.count6, 1);
    assert_memory_equal(o.host.addresses6[0].address, TWO, 16);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--address", "ff02::1/64", NULL), -1);
    assert_non_null(strstr(why, "which no host may have"));
    assert_int_equal(parse(&o, why, sizeof why, "step", "--address", "2001:db8::g/64", NULL), -1);
    assert_non_null(strstr(why, "is not an IPv6 address"));
}

/* A value given twice would silently replace the first; a flag may repeat. */
static void repeated_options(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "-i", "tun1", "-i", "tun2", NULL), -1);
    assert_string_equal(why, "-i/--interface is given twice: give it once (run 'step -h' for usage).");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--interface=tun1", "-i", "tun1", NULL), -1);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--pcap", "a", "--pcap=b", NULL), -1);
    assert_string_equal(why, "--pcap is given twice: give it once (run 'step -h' for usage).");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--replay", "a", "--replay", "a", NULL), -1);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--user", "a", "--user", "b", NULL), -1);
    assert_int_equal(parse(&o, why, sizeof why, "step", "-v", "-vv", "-h", "--help", NULL), 0);
    assert_true(o.verbose);
}

static void options_that_do_not_go_together(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", "--replay", "in.pcap", "-i", "tun1", NULL), -1);
    assert_string_equal(why, "--replay reads a capture instead of a tun device: leave out -i.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--replay", "in.pcap", "--user", "nobody",
                           NULL), -1);
    assert_string_equal(why, "--replay opens no tun device and gives up no privileges: "
                             "leave out --user.");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--pcap", "-", NULL), -1);
    assert_string_equal(why, "--pcap - would mix the capture with the log on standard output: "
                             "give a file name (a pipe made with mkfifo gives Wireshark a live "
                             "view).");
}

/* Step 09's rate limits: Linux's defaults unless given, whole numbers from
 * 0 to a million, each once; the runner refuses them before step 09. */
static void rate_limits(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", NULL), 0);
    assert_false(o.ratelimit_given);
    assert_int_equal(o.ratelimit.ratelimit_ms, 1000);
    assert_int_equal(o.ratelimit.msgs_per_sec, 1000);
    assert_int_equal(o.ratelimit.msgs_burst, 50);
    assert_int_equal(o.ratelimit.ratelimit6_ms, 100);      /* net.ipv6.icmp.ratelimit */
    assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-ratelimit", "0",
                           "--icmp-msgs-per-sec=250", "--icmp-msgs-burst", "7", NULL), 0);
    assert_true(o.ratelimit_given);
    assert_int_equal(o.ratelimit.ratelimit_ms, 0);
    assert_int_equal(o.ratelimit.ratelimit6_ms, 0);        /* the flag sets both */
    assert_int_equal(o.ratelimit.msgs_per_sec, 250);
    assert_int_equal(o.ratelimit.msgs_burst, 7);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-ratelimit", "1000000", NULL), 0);

    const char *bad[] = {"-1", "1e3", "12ms", " 5", "1000001", "99999999999999999999", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-msgs-burst", bad[i], NULL),
                         -1);
        assert_non_null(strstr(why, "--icmp-msgs-burst '"));
        assert_non_null(strstr(why, "is not a whole number from 0 to 1000000"));
    }
    /* A burst of 0: Linux's bucket could then never hold a credit. */
    assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-msgs-burst", "0", NULL), -1);
    assert_string_equal(why, "--icmp-msgs-burst 0 would let no error out at all: give 1 or more "
                        "(--icmp-msgs-per-sec 0 turns the global limit off).");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-ratelimit", "5",
                           "--icmp-ratelimit", "6", NULL), -1);
    assert_string_equal(why, "--icmp-ratelimit is given twice: give it once (run 'step -h' for "
                             "usage).");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--icmp-msgs-per-sec", NULL), -1);
    assert_string_equal(why, "option '--icmp-msgs-per-sec' needs a value: run 'step -h' for "
                             "usage.");
}

/* Step 10's bounds on reassembly: Linux's defaults unless given (30 s,
 * 4194304 bytes), whole numbers in their ranges, each once; the runner
 * refuses them before step 10. */
static void reassembly_bounds(void **state)
{
    (void)state;
    struct step_options o;
    char why[256];

    assert_int_equal(parse(&o, why, sizeof why, "step", NULL), 0);
    assert_false(o.ipfrag_given);
    assert_int_equal(o.ipfrag_time_s, 30);
    assert_int_equal(o.ipfrag_high_thresh, 4194304);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-time", "2",
                           "--ipfrag-high-thresh=65536", NULL), 0);
    assert_true(o.ipfrag_given);
    assert_int_equal(o.ipfrag_time_s, 2);
    assert_int_equal(o.ipfrag_high_thresh, 65536);
    assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-time", "3600",
                           "--ipfrag-high-thresh", "1073741824", NULL), 0);

    const char *bad_time[] = {"0", "-1", "3601", "30s", " 5", "1e3", "99999999999999999999", ""};
    for (size_t i = 0; i < sizeof bad_time / sizeof bad_time[0]; i++) {
        assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-time", bad_time[i], NULL),
                         -1);
        assert_non_null(strstr(why, "--ipfrag-time '"));
    }
    assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-time", "0", NULL), -1);
    assert_string_equal(why, "--ipfrag-time '0' is not a whole number from 1 to 3600: give one, "
                             "for example --ipfrag-time 30 (Linux's default).");
    const char *bad_thresh[] = {"65535", "0", "1073741825", "4M", "-65536"};
    for (size_t i = 0; i < sizeof bad_thresh / sizeof bad_thresh[0]; i++) {
        assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-high-thresh",
                               bad_thresh[i], NULL), -1);
        assert_non_null(strstr(why, "is not a whole number from 65536 to 1073741824: give one, "
                                    "for example --ipfrag-high-thresh 4194304 (Linux's "
                                    "default)."));
    }
    assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-time", "5",
                           "--ipfrag-time", "6", NULL), -1);
    assert_string_equal(why, "--ipfrag-time is given twice: give it once (run 'step -h' for "
                             "usage).");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--ipfrag-high-thresh", NULL), -1);
    assert_string_equal(why, "option '--ipfrag-high-thresh' needs a value: run 'step -h' for "
                             "usage.");
}

static void usage_names_every_option(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    cli_usage(out, "bin/01-open-tun", "Step 01.");
    fclose(out);
    assert_non_null(strstr(text, "usage: bin/01-open-tun [-i IFNAME]"));
    assert_non_null(strstr(text, "--pcap FILE"));
    assert_non_null(strstr(text, "--replay FILE.pcap"));
    assert_non_null(strstr(text, "Step 01."));
    assert_non_null(strstr(text, "--ipfrag-time SECONDS"));
    assert_non_null(strstr(text, "--ipfrag-high-thresh BYTES"));
    free(text);
}

/* A long summary is folded at spaces: no line of the help is wider than 80
 * (but the first, which holds the program's path, whatever its length). */
static void usage_fits_a_terminal(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    cli_usage(out, "bin/08-least-privilege",
              "Step 06: answers ICMP echo requests as RFC 1122 asks of a host: every check, "
              "counters (SIGUSR1), options, and no root once the tun is open.");
    fclose(out);
    assert_non_null(strstr(text, "\nStep 06: answers ICMP echo requests as RFC 1122 asks of a "
                                 "host: every check,\ncounters (SIGUSR1), options, and no root "
                                 "once the tun is open.\n"));
    strtok(text, "\n");
    for (char *line = strtok(NULL, "\n"); line; line = strtok(NULL, "\n"))
        assert_true(strlen(line) <= 80);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_option),
        cmocka_unit_test(mistakes_get_one_sentence),
        cmocka_unit_test(interface_names_as_linux_allows),
        cmocka_unit_test(the_faulty_option_is_named),
        cmocka_unit_test(empty_values_are_refused),
        cmocka_unit_test(repeated_options),
        cmocka_unit_test(options_that_do_not_go_together),
        cmocka_unit_test(usage_names_every_option),
        cmocka_unit_test(a_refusal_is_one_printable_line),
        cmocka_unit_test(usage_fits_a_terminal),
        cmocka_unit_test(rate_limits),
        cmocka_unit_test(reassembly_bounds),
        cmocka_unit_test(ipv6_addresses),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
