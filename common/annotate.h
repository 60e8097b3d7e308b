/* The annotated packet view: every header field with its offset, bytes,
 * name and value, as the original post lays out its ICMP header
 * (`08 Type = Echo`, `492b Checksum`, `5514 Identifier = 21780`). */
#ifndef ICMP_STEPS_ANNOTATE_H
#define ICMP_STEPS_ANNOTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Prints the IPv4 header of `packet` and, for ICMP, the ICMP header and the
 * data, one field a line. What cannot be parsed is said in one line. */
void annotate_packet(FILE *out, const uint8_t *packet, size_t len);

#endif
