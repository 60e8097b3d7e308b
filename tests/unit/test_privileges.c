/* The check after giving up privileges: it reads /proc/self/status as the
 * kernel writes it (proc(5): Uid and Gid with the real, effective, saved and
 * filesystem ids; capability sets as 16 hex digits) and names every field
 * that still shows privilege. */
#include "support.h"

#include "privileges.h"

/* A status as Linux 6.x prints it for a process that became nobody (trimmed
 * to the lines the check reads, and a few it must skip). */
static const char NOBODY[] =
    "Name:\t06-host-requirem\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Uid:\t65534\t65534\t65534\t65534\n"
    "Gid:\t65534\t65534\t65534\t65534\n"
    "FDSize:\t64\n"
    "Groups:\t \n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\n"
    "CapBnd:\t0000000000000000\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t0\n";

/* NOBODY with one line replaced: `field` is the line's start, up to ':'. */
static char *with_line(const char *field, const char *line)
{
    static char text[sizeof NOBODY + 128];
    const char *at = strstr(NOBODY, field);
    const char *end = strchr(at, '\n') + 1;

    snprintf(text, sizeof text, "%.*s%s\n%s", (int)(at - NOBODY), NOBODY, line, end);
    return text;
}

static const struct privileges_expect FROM_ROOT = {.empty_bounding_set = 1, .no_groups = 1};

static void nothing_left_passes(void **state)
{
    (void)state;
    char why[512] = "";

    assert_int_equal(privileges_check_status(NOBODY, &FROM_ROOT, why, sizeof why), 0);
    assert_string_equal(why, "");
}

static void each_remainder_is_named(void **state)
{
    (void)state;
    static const struct {
        const char *field, *line, *named;
    } cases[] = {
        {"Uid:", "Uid:\t0\t65534\t65534\t65534", "Uid 0 65534 65534 65534"},
        {"Uid:", "Uid:\t65534\t65534\t0\t65534", "Uid 65534 65534 0 65534"},
        {"Gid:", "Gid:\t65534\t65534\t65534\t0", "Gid 65534 65534 65534 0"},
        {"Groups:", "Groups:\t27 0 ", "supplementary group 0"},
        {"Groups:", "Groups:\t27 ", "supplementary groups"},
        {"CapInh:", "CapInh:\t0000000000001000", "CapInh 0000000000001000"},
        {"CapPrm:", "CapPrm:\t000001ffffffffff", "CapPrm 000001ffffffffff"},
        {"CapEff:", "CapEff:\t0000000000000001", "CapEff 0000000000000001"},
        {"CapAmb:", "CapAmb:\t0000000000001000", "CapAmb 0000000000001000"},
        {"CapBnd:", "CapBnd:\t000001ffffffffff", "CapBnd 000001ffffffffff"},
        {"NoNewPrivs:", "NoNewPrivs:\t0", "NoNewPrivs not 1"},
        {"CapAmb:", "", "no readable CapAmb line"},
    };
    char why[512], want[256];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(privileges_check_status(with_line(cases[i].field, cases[i].line),
                                                 &FROM_ROOT, why, sizeof why), -1);
        snprintf(want, sizeof want, "after giving up privileges the kernel still shows %s: "
                 "not running.", cases[i].named);
        assert_string_equal(why, want);
    }
}

/* Several at once: all are named, in one sentence. */
static void all_remainders_in_one_sentence(void **state)
{
    (void)state;
    char why[512];
    const char *root =
        "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0000000000000000\n"
        "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"
        "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\n";

    assert_int_equal(privileges_check_status(root, &FROM_ROOT, why, sizeof why), -1);
    assert_string_equal(why, "after giving up privileges the kernel still shows Uid 0 0 0 0, "
                             "Gid 0 0 0 0, CapEff 000001ffffffffff, CapPrm 000001ffffffffff, "
                             "CapBnd 000001ffffffffff, NoNewPrivs not 1: not running.");
}

/* What each way of starting may keep: a user's own groups and bounding set
 * (it may change neither), and uid 0 of a user namespace that maps it to
 * someone else outside. */
static void what_may_stay(void **state)
{
    (void)state;
    char why[512];
    struct privileges_expect user = {0}, user_namespace = {.uid0_is_unprivileged = 1};

    assert_int_equal(privileges_check_status(with_line("Groups:", "Groups:\t27 100 "), &user,
                                             why, sizeof why), 0);
    assert_int_equal(privileges_check_status(with_line("CapBnd:", "CapBnd:\t000001ffffffffff"),
                                             &user, why, sizeof why), 0);
    assert_int_equal(privileges_check_status(with_line("Uid:", "Uid:\t0\t0\t0\t0"), &user_namespace,
                                             why, sizeof why), 0);
    assert_int_equal(privileges_check_status(with_line("Uid:", "Uid:\t0\t0\t0\t0"), &user,
                                             why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_left_passes),
        cmocka_unit_test(each_remainder_is_named),
        cmocka_unit_test(all_remainders_in_one_sentence),
        cmocka_unit_test(what_may_stay),
    };
    return cmocka_run_group_tests_name("privileges", tests, NULL, NULL);
}
