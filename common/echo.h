/* Which packets a responder answers, and the line it logs for a reply:
 * shared by every step that sends echo replies (03 onwards). */
#ifndef ICMP_STEPS_ECHO_H
#define ICMP_STEPS_ECHO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "icmp.h"
#include "ipv4.h"

/*
 * Returns 1 when `packet` is an ICMP echo request we may answer, with its
 * IPv4 and ICMP views filled in. Otherwise logs one line saying why the
 * packet is ignored and returns 0. Reads no byte past packet[len - 1].
 */
int echo_request_parse(const uint8_t *packet, size_t len,
                       struct ipv4_view *ip, struct icmp_view *icmp, FILE *log);

/* Logs the line for the reply to `request`: who asked, and the ICMP
 * checksum that went out in `reply` (`reply_len` bytes, 0 for none). */
void echo_log_reply(FILE *log, const struct ipv4_view *ip, const struct icmp_view *request,
                    const uint8_t *reply, size_t reply_len);

#endif
