#include "hexdump.h"

#include <string.h>

enum { BYTES_PER_LINE = 16 };

static void hexdump_line(FILE *out, size_t offset, const uint8_t *line, size_t n)
{
    fprintf(out, "%08zx ", offset);
    for (size_t i = 0; i < BYTES_PER_LINE; i++) {
        if (i == 8)
            fputc(' ', out);             /* the gap between the two halves */
        if (i < n)
            fprintf(out, " %02x", line[i]);
        else
            fputs("   ", out);            /* pad a short last line */
    }
    fputs("  |", out);
    for (size_t i = 0; i < n; i++)
        fputc(line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '.', out);  /* printable ASCII */
    fputs("|\n", out);
}

void hexdump(FILE *out, const uint8_t *data, size_t len)
{
    const uint8_t *previous = NULL;
    int starred = 0;

    if (len == 0)
        return;

    for (size_t offset = 0; offset < len; offset += BYTES_PER_LINE) {
        const uint8_t *line = data + offset;
        size_t n = len - offset < BYTES_PER_LINE ? len - offset : BYTES_PER_LINE;

        /* Like hexdump -C: a full line equal to the one before becomes a
         * single `*`, however many of them follow. */
        if (previous && n == BYTES_PER_LINE &&
            memcmp(line, previous, BYTES_PER_LINE) == 0) {
            if (!starred)
                fputs("*\n", out);
            starred = 1;
            continue;
        }
        starred = 0;
        previous = n == BYTES_PER_LINE ? line : NULL;
        hexdump_line(out, offset, line, n);
    }
    fprintf(out, "%08zx\n", len);
}
