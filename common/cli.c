#include "cli.h"

#include <getopt.h>
#include <string.h>

int cli_parse(int argc, char **argv, struct step_options *options,
              char *why, size_t why_len)
{
    static const struct option long_options[] = {
        {"interface", required_argument, NULL, 'i'},
        {"pcap", required_argument, NULL, 'p'},
        {"replay", required_argument, NULL, 'r'},
        {"user", required_argument, NULL, 'u'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *program = argc > 0 ? argv[0] : "step";
    int option;

    memset(options, 0, sizeof *options);
    options->ifname = "tun0";

    opterr = 0;                     /* we explain mistakes ourselves */
    optind = 1;                     /* so that tests may call us twice */
    while ((option = getopt_long(argc, argv, ":i:vh", long_options, NULL)) != -1) {
        switch (option) {
        case 'i': options->ifname = optarg; break;
        case 'p': options->pcap_path = optarg; break;
        case 'r': options->replay_path = optarg; break;
        case 'u': options->user = optarg; break;
        case 'v': options->verbose = 1; break;
        case 'h': options->help = 1; break;
        case ':':
            snprintf(why, why_len, "option '%s' needs a value: run '%s -h' for usage.",
                     argv[optind - 1], program);
            return -1;
        default:
            snprintf(why, why_len, "unknown option '%s': run '%s -h' for usage.",
                     argv[optind - 1], program);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(why, why_len, "unexpected argument '%s': run '%s -h' for usage.",
                 argv[optind], program);
        return -1;
    }
    return 0;
}

/* Prints `text` folded at spaces into lines of at most `width` characters. */
static void print_folded(FILE *out, const char *text, size_t width)
{
    while (strlen(text) > width) {
        size_t cut = width;
        while (cut > 0 && text[cut] != ' ')
            cut--;
        if (cut == 0)
            break;                  /* one very long word: print it whole */
        fprintf(out, "%.*s\n", (int)cut, text);
        text += cut + 1;
    }
    fprintf(out, "%s\n", text);
}

void cli_usage(FILE *out, const char *program, const char *summary)
{
    fprintf(out, "usage: %s [-i IFNAME] [-v] [--pcap FILE] [--replay FILE.pcap]\n\n", program);
    print_folded(out, summary, 76);
    fprintf(out,
            "\n"
            "  -i, --interface IFNAME  the tun device to create or attach to (default tun0)\n"
            "  -v, --verbose           also print every packet and reply field by field\n"
            "      --pcap FILE         also write every packet read and written to FILE\n"
            "                          (pcap, raw IP: open it in Wireshark)\n"
            "      --replay FILE.pcap  read packets from a capture instead of a tun device;\n"
            "                          needs no privileges\n"
            "      --user NAME         step 06 on: whom to become once the tun is open,\n"
            "                          when started as root (default nobody)\n"
            "  -h, --help              show this help\n"
            "\n"
            "It prints one line per packet and runs until Ctrl-C (SIGINT) or SIGTERM.\n");
}
