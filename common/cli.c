#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { IFNAME_MAX = 15 };           /* IFNAMSIZ - 1: the kernel keeps a final NUL */

/* Linux's own rule for interface names (dev_valid_name() in
 * net/core/dev.c): 1 to 15 bytes, not "." or "..", and no '/', ':' or
 * white space, since the name becomes a directory in /sys/class/net. We
 * also refuse '%': "tun%d" asks the kernel to choose the number, and then
 * nobody knows which device to configure. */
static int check_ifname(const char *name, char *why, size_t why_len)
{
    if (strchr(name, '%')) {
        snprintf(why, why_len, "'%s' asks the kernel to choose the device's name, and then you "
                 "could not tell which to configure: give the whole name, for example -i tun0.",
                 name);
        return -1;
    }
    int valid = name[0] != '\0' && strlen(name) <= IFNAME_MAX && strcmp(name, ".") != 0 &&
                strcmp(name, "..") != 0;
    for (const char *c = name; valid && *c; c++)
        valid = *c != '/' && *c != ':' && !isspace((unsigned char)*c);
    if (!valid) {
        snprintf(why, why_len, "'%s' is not a valid interface name: use 1 to %d characters, "
                 "without '/', ':' or spaces, and not '.' or '..', for example -i tun0.",
                 name, IFNAME_MAX);
        return -1;
    }
    return 0;
}

/* The name of the option getopt just stumbled on, as the user typed it:
 * "--pcap" for a long one, "-i" for a short one even inside "-hi". */
static void option_name(char *name, size_t room, const char *arg, int short_option)
{
    if (strncmp(arg, "--", 2) == 0)
        snprintf(name, room, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(name, room, "-%c", short_option);
}

/* An empty value is no value: --pcap '' would reach open() and come back
 * as "No such file or directory", about a name nobody sees. */
static int check_not_empty(char **argv, int option, char *why, size_t why_len,
                           const char *program)
{
    char name[64];

    if (optarg[0] != '\0')
        return 0;
    /* The option is the argument before its value (--pcap ''), or the one
     * that holds it (--pcap=). */
    const char *typed = optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
    option_name(name, sizeof name, typed, option);
    snprintf(why, why_len, "option '%s' needs a value, and it is empty: run '%s -h' for usage.",
             name, program);
    return -1;
}

/* A rate limit's value: a whole number from 0 to 1000000 (a million a
 * second, or a thousand seconds: more is not a limit anyone means). */
static int parse_limit(const char *name, const char *text, unsigned *value, char *why,
                       size_t why_len)
{
    char *end;

    errno = 0;
    long number = strtol(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != '\0' || errno == ERANGE || number > 1000000) {
        snprintf(why, why_len, "%s '%s' is not a whole number from 0 to 1000000: give one, "
                 "for example %s 1000 (0 turns the limit off).", name, text, name);
        return -1;
    }
    *value = (unsigned)number;
    return 0;
}

/* Step 10's bounds on reassembly, with Linux's defaults (net.ipv4.ipfrag_time
 * and ipfrag_high_thresh). A datagram gets from 1 second to an hour (Linux
 * takes any number of seconds; more than an hour holds memory for nobody).
 * The memory limit is at least 65536 bytes, room for the largest datagram
 * there is, and at most 1 GiB. */
enum { IPFRAG_TIME_DEFAULT = 30, IPFRAG_TIME_MAX = 3600 };
#define IPFRAG_HIGH_THRESH_DEFAULT 4194304UL
#define IPFRAG_HIGH_THRESH_MIN 65536UL
#define IPFRAG_HIGH_THRESH_MAX 1073741824UL

static int parse_ipfrag(int option, const char *text, struct step_options *options, char *why,
                        size_t why_len)
{
    unsigned long min = option == 'T' ? 1 : IPFRAG_HIGH_THRESH_MIN;
    unsigned long max = option == 'T' ? IPFRAG_TIME_MAX : IPFRAG_HIGH_THRESH_MAX;
    const char *name = option == 'T' ? "--ipfrag-time" : "--ipfrag-high-thresh";
    char *end;

    errno = 0;
    unsigned long number = strtoul(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != '\0' || errno == ERANGE || number < min ||
        number > max) {
        snprintf(why, why_len, "%s '%s' is not a whole number from %lu to %lu: give one, for "
                 "example %s %lu (Linux's default).", name, text, min, max, name,
                 option == 'T' ? (unsigned long)IPFRAG_TIME_DEFAULT : IPFRAG_HIGH_THRESH_DEFAULT);
        return -1;
    }
    if (option == 'T')
        options->ipfrag_time_s = (unsigned)number;
    else
        options->ipfrag_high_thresh = number;
    options->ipfrag_given = 1;
    return 0;
}

/* Options that take a value may be given once: a second one would silently
 * replace the first. Flags (-v, -h) may repeat, they say the same thing. */
static int given_twice(int option, const char **seen, char *why, size_t why_len,
                       const char *program)
{
    static const char *const names[] = {['i'] = "-i/--interface", ['p'] = "--pcap",
                                        ['r'] = "--replay", ['u'] = "--user",
                                        ['R'] = "--icmp-ratelimit",
                                        ['M'] = "--icmp-msgs-per-sec",
                                        ['B'] = "--icmp-msgs-burst",
                                        ['T'] = "--ipfrag-time",
                                        ['H'] = "--ipfrag-high-thresh"};

    if (!*seen) {
        *seen = names[option];
        return 0;
    }
    snprintf(why, why_len, "%s is given twice: give it once (run '%s -h' for usage).",
             names[option], program);
    return -1;
}

/* Options that make no sense together, and --pcap -, which would mix the
 * capture with the text log on standard output. */
static int check_combination(const struct step_options *options, int ifname_given,
                             char *why, size_t why_len)
{
    if (options->replay_path && ifname_given) {
        snprintf(why, why_len, "--replay reads a capture instead of a tun device: leave out -i.");
        return -1;
    }
    if (options->replay_path && options->user) {
        snprintf(why, why_len, "--replay opens no tun device and gives up no privileges: "
                 "leave out --user.");
        return -1;
    }
    if (options->pcap_path && strcmp(options->pcap_path, "-") == 0) {
        snprintf(why, why_len, "--pcap - would mix the capture with the log on standard output: "
                 "give a file name (a pipe made with mkfifo gives Wireshark a live view).");
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct step_options *options,
                         char *why, size_t why_len)
{
    static const struct option long_options[] = {
        {"interface", required_argument, NULL, 'i'},
        {"pcap", required_argument, NULL, 'p'},
        {"replay", required_argument, NULL, 'r'},
        {"user", required_argument, NULL, 'u'},
        {"address", required_argument, NULL, 'a'},
        {"icmp-ratelimit", required_argument, NULL, 'R'},
        {"icmp-msgs-per-sec", required_argument, NULL, 'M'},
        {"icmp-msgs-burst", required_argument, NULL, 'B'},
        {"ipfrag-time", required_argument, NULL, 'T'},
        {"ipfrag-high-thresh", required_argument, NULL, 'H'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *program = argc > 0 ? argv[0] : "step";
    const char *seen['v'] = {NULL};  /* indexed by the options' letters */
    const struct ratelimit_settings linux_defaults = RATELIMIT_LINUX_DEFAULTS;
    char name[64];
    int option;

    memset(options, 0, sizeof *options);
    options->ifname = "tun0";
    options->ratelimit = linux_defaults;
    options->ipfrag_time_s = IPFRAG_TIME_DEFAULT;
    options->ipfrag_high_thresh = IPFRAG_HIGH_THRESH_DEFAULT;

    opterr = 0;                     /* we explain mistakes ourselves */
    optind = 0;                     /* glibc: start afresh, even after a parse
                                       stopped inside a cluster like -xv (tests
                                       call us many times) */
    while ((option = getopt_long(argc, argv, ":i:vh", long_options, NULL)) != -1) {
        switch (option) {
        case 'i':
        case 'p':
        case 'r':
        case 'u':
            if (given_twice(option, &seen[option], why, why_len, program) < 0)
                return -1;
            if (check_not_empty(argv, option, why, why_len, program) < 0)
                return -1;
            if (option == 'i' && check_ifname(optarg, why, why_len) < 0)
                return -1;
            if (option == 'i')
                options->ifname = optarg;
            else if (option == 'p')
                options->pcap_path = optarg;
            else if (option == 'r')
                options->replay_path = optarg;
            else
                options->user = optarg;
            break;
        case 'R':
        case 'M':
        case 'B':
            if (given_twice(option, &seen[option], why, why_len, program) < 0)
                return -1;
            if (parse_limit(seen[option], optarg, option == 'R' ? &options->ratelimit.ratelimit_ms
                            : option == 'M' ? &options->ratelimit.msgs_per_sec
                            : &options->ratelimit.msgs_burst, why, why_len) < 0)
                return -1;
            /* One flag for both families' per-destination limit, as the
             * lesson explains; left out, each has Linux's default. */
            if (option == 'R')
                options->ratelimit.ratelimit6_ms = options->ratelimit.ratelimit_ms;
            if (option == 'B' && options->ratelimit.msgs_burst == 0) {
                snprintf(why, why_len, "--icmp-msgs-burst 0 would let no error out at all: give "
                         "1 or more (--icmp-msgs-per-sec 0 turns the global limit off).");
                return -1;
            }
            options->ratelimit_given = 1;
            break;
        case 'T':
        case 'H':
            if (given_twice(option, &seen[option], why, why_len, program) < 0)
                return -1;
            if (parse_ipfrag(option, optarg, options, why, why_len) < 0)
                return -1;
            break;
        case 'a':
            /* The one option that may repeat: a host can have several. */
            if (check_not_empty(argv, option, why, why_len, program) < 0)
                return -1;
            /* An IPv6 address has colons (RFC 4291 2.2); an IPv4 one never. */
            if ((strchr(optarg, ':') ? host_add_address6(&options->host, optarg, why, why_len)
                 : host_add_address(&options->host, optarg, why, why_len)) < 0)
                return -1;
            break;
        case 'v': options->verbose = 1; break;
        case 'h': options->help = 1; break;
        case ':':
            option_name(name, sizeof name, argv[optind - 1], optopt);
            snprintf(why, why_len, "option '%s' needs a value: run '%s -h' for usage.",
                     name, program);
            return -1;
        default:
            /* An unknown short option is in optopt, wherever it stood in a
             * cluster like -vx; an unknown long one leaves optopt at 0. A
             * long flag given a value (--help=x) leaves its own letter
             * there, which no short option can: getopt takes -h and -v. */
            if (optopt == 'h' || optopt == 'v') {
                option_name(name, sizeof name, argv[optind - 1], optopt);
                snprintf(why, why_len, "option '%s' takes no value: run '%s -h' for usage.",
                         name, program);
                return -1;
            }
            if (optopt)
                snprintf(name, sizeof name, "-%c", optopt);
            else
                option_name(name, sizeof name, argv[optind - 1], 0);
            snprintf(why, why_len, "unknown option '%s': run '%s -h' for usage.", name, program);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(why, why_len, "unexpected argument '%s': run '%s -h' for usage.",
                 argv[optind], program);
        return -1;
    }
    return check_combination(options, seen['i'] != NULL, why, why_len);
}

/* A refusal quotes what was typed, and what was typed can hold a newline
 * (-i $'a\nb') or an escape sequence: shown as '?', so the message stays
 * one line and cannot write to the terminal's controls. */
static void make_printable(char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || *text == 0x7f)
            *text = '?';
}

int cli_parse(int argc, char **argv, struct step_options *options,
              char *why, size_t why_len)
{
    int status = parse_options(argc, argv, options, why, why_len);

    if (status < 0)
        make_printable(why);
    return status;
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
            "                          (pcap, raw IP: open it in Wireshark); never through\n"
            "                          a link, never the --replay capture\n"
            "      --replay FILE.pcap  read packets from a capture instead of a tun device;\n"
            "                          needs no privileges\n"
            "      --address A.B.C.D/N step 06 on: an address of the host's own, with its\n"
            "                          subnet (default " HOST_DEFAULT_ADDRESS "; repeat it for more)\n"
            "      --address X:X::X/N  step 11 on: an IPv6 address of its own, beside them\n"
            "                          (default " HOST_DEFAULT_ADDRESS6 " too)\n"
            "      --user NAME         step 08 on: whom to become once the tun is open,\n"
            "                          when started as root (default nobody)\n"
            "      --icmp-ratelimit MS step 09 on: one error per MS milliseconds to each\n"
            "                          destination, 6 at once (default 1000, and 100 for\n"
            "                          ICMPv6 from step 11 on, as Linux; 0: no limit)\n"
            "      --icmp-msgs-per-sec N\n"
            "                          step 09 on: N errors a second to all (default 1000;\n"
            "                          0: no limit, where Linux's sysctl 0 sends none)\n"
            "      --icmp-msgs-burst N step 09 on: of which N at once (default 50)\n"
            "      --ipfrag-time SECONDS\n"
            "                          step 10 on: how long a datagram's fragments are kept\n"
            "                          waiting for the rest (default 30, 1 to 3600;\n"
            "                          step 11: IPv6's too, whose default is 60)\n"
            "      --ipfrag-high-thresh BYTES\n"
            "                          step 10 on: the most all those fragments may hold\n"
            "                          (default 4194304, 65536 to 1073741824; step 11:\n"
            "                          IPv4's and IPv6's each)\n"
            "  -h, --help              show this help\n"
            "\n"
            "It prints one line per packet and runs until Ctrl-C (SIGINT) or SIGTERM.\n");
}
