/* Step 08: step 07's packet function (copied, so tested again: the echo
 * cases, every rung of the ladder, its addresses, its counters under its
 * own name), and the one thing it adds, which happens before the first
 * packet: it asks the runner to drop root once the tun is open.
 * common/privileges.c has its own tests (tests/unit/test_privileges.c),
 * and tests/e2e/test_privileges.sh checks the running step's credentials. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#define step_run recorded_step_run      /* what main() hands the runner, kept */
#include "08-least-privilege/main.c"
#undef step_run
#undef main

static struct step recorded;
int recorded_step_run(const struct step *step, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    recorded = *step;
    return 0;
}

#define STEP_NAME "08-least-privilege"
#define STEP_READS_OPTIONS 1
#include "ladder_cases.h"

static void expected_icmp(uint8_t *icmp, size_t len)
{
    kernel_bytes_with_rfc1071_zero(icmp, len);
}

/* The step as main() hands it to the runner (recorded above instead of
 * run: the real runner would open a tun): root is dropped once the tun is
 * open, and the packet function is the one tested here. Step 07 hands over
 * the same with drops_privileges 0. */
static void it_drops_privileges(void **state)
{
    (void)state;
    char *argv[] = {"08-least-privilege", NULL};

    assert_int_equal(step_main(1, argv), 0);
    assert_int_equal(recorded.drops_privileges, 1);
    assert_string_equal(recorded.name, STEP_NAME);
    assert_ptr_equal(recorded.handle, handle_packet);
    assert_ptr_equal(recorded.host, &STEP_HOST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        LADDER_TESTS,
        cmocka_unit_test(it_drops_privileges),
    };
    return cmocka_run_group_tests_name("step " STEP_NAME, tests, lab_address, NULL);
}
