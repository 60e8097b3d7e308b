/* A hex dump in the format of `hexdump -C`, so a learner can compare our
 * output with the tool they already know. */
#ifndef ICMP_STEPS_HEXDUMP_H
#define ICMP_STEPS_HEXDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes `data` to `out` exactly as `hexdump -C` would: 16 bytes a line with
 * the offset, the bytes in hex and as ASCII; a run of identical lines shows
 * as one `*`; the last line is the length. Nothing at all for 0 bytes. */
void hexdump(FILE *out, const uint8_t *data, size_t len);

#endif
