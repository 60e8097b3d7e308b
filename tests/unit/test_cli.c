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
                           "--replay", "in.pcap", NULL), 0);
    assert_string_equal(o.ifname, "tun7");
    assert_string_equal(o.pcap_path, "out.pcap");
    assert_string_equal(o.replay_path, "in.pcap");
    assert_int_equal(parse(&o, why, sizeof why, "step", "--interface=lab0", "-h", NULL), 0);
    assert_string_equal(o.ifname, "lab0");
    assert_true(o.help);
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

    cli_usage(out, "bin/06-host-requirements",
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
        cmocka_unit_test(usage_names_every_option),
        cmocka_unit_test(usage_fits_a_terminal),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
