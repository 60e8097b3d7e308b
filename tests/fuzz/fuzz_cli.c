/* libFuzzer target: the command line every step shares. The input is the
 * arguments, separated by NUL bytes; whatever they are, cli_parse() must
 * accept them or say why, and never read past them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 32 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    char *copy = malloc(size + 1), *argv[MAX_ARGS + 2];
    int argc = 0;
    struct step_options options;
    char why[512] = "";

    if (!sink)
        sink = fopen("/dev/null", "w");
    memcpy(copy, data, size);
    copy[size] = '\0';
    argv[argc++] = "08-least-privilege";
    for (char *arg = copy; arg <= copy + size && argc <= MAX_ARGS; arg += strlen(arg) + 1)
        argv[argc++] = arg;
    argv[argc] = NULL;
    memset(&options, 0, sizeof options);
    /* A refusal says why. (It quotes the argument as given, newlines and
     * all: cli.c's to decide, so not checked here.) */
    if (cli_parse(argc, argv, &options, why, sizeof why) < 0 && why[0] == '\0')
        __builtin_trap();
    cli_usage(sink, argv[0], argc > 1 ? argv[1] : "");
    free(copy);
    return 0;
}
