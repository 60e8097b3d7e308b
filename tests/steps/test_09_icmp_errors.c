/*
 * Step 09: every error, timestamp reply and reset it sends, byte for byte
 * against the Linux kernel's own answer to the same datagram; the errors
 * it must never send; its rate limits (all in error_cases.h, which steps
 * 10 and 11 run too); and everything step 08 does (the echo cases, the
 * ladder, the counters under its own name).
 */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#define step_run recorded_step_run      /* what main() hands the runner, kept */
#include "09-icmp-errors/main.c"
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

#define STEP_NAME "09-icmp-errors"
#define STEP_READS_OPTIONS 1
#define STEP_SENDS_ERRORS 1
#include "ladder_cases.h"

#include "error_cases.h"

/* The step as main() hands it to the runner: the rate limits' settings
 * are the step's own, for the runner to fill from the command line. */
static void it_hands_its_rate_limits_to_the_runner(void **state)
{
    (void)state;
    char *argv[] = {"09-icmp-errors", NULL};

    assert_int_equal(step_main(1, argv), 0);
    assert_string_equal(recorded.name, STEP_NAME);
    assert_ptr_equal(recorded.handle, handle_packet);
    assert_ptr_equal(recorded.host, &STEP_HOST);
    assert_ptr_equal(recorded.ratelimit, &STEP_RATELIMIT);
    assert_int_equal(recorded.drops_privileges, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        LADDER_TESTS,
        ERROR_TESTS,
        cmocka_unit_test(it_hands_its_rate_limits_to_the_runner),
    };
    return cmocka_run_group_tests_name("step " STEP_NAME, tests, limits_off, NULL);
}
