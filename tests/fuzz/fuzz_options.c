/* libFuzzer target: building an echo reply's options from any option bytes
 * (at most 40, as an IPv4 header can hold), and what step 09 learns of
 * them for its errors. */
#include <stddef.h>
#include <stdint.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t fixed_clock(void)
{
    return 12345678;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t self[4] = {192, 0, 2, 2};
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len = 0;
    char why[160];

    if (size > OPTIONS_MAX_LEN)
        return 0;
    if (ipv4_options_echo(data, size, self, fixed_clock, out, &out_len, why, sizeof why) == OPTIONS_OK
        && (out_len > size + 3 || out_len % 4 != 0))
        __builtin_trap();   /* never longer than what came in (padded), always whole words */

    /* ipv4_options_process (step 09): a parameter problem points inside
     * the options, its own options are whole words, and what an error
     * quotes is as long as what came in. */
    struct options_outcome outcome;
    enum options_status status = ipv4_options_process(data, size, self, self, fixed_clock, &outcome, why,
                                                      sizeof why);
    if (outcome.reply_len % 4 != 0 || outcome.reply_len > OPTIONS_MAX_LEN)
        __builtin_trap();
    if (status == OPTIONS_MALFORMED && outcome.malformed && outcome.problem >= size)
        __builtin_trap();
    if (status == OPTIONS_OK && (outcome.malformed || outcome.reply_impossible))
        __builtin_trap();
    return 0;
}
