#include "icmp.h"

#include <string.h>

#include "bytes.h"

int icmp_parse(const uint8_t *message, size_t len, struct icmp_view *view)
{
    memset(view, 0, sizeof *view);
    if (len < ICMP_ECHO_HEADER_LEN)
        return -1;

    view->type = message[0];
    view->code = message[1];
    view->checksum = read_be16(message + 2);
    view->identifier = read_be16(message + 4);
    view->sequence = read_be16(message + 6);
    view->data = message + ICMP_ECHO_HEADER_LEN;
    view->data_len = len - ICMP_ECHO_HEADER_LEN;
    return 0;
}

const char *icmp_type_name(uint8_t type)
{
    /* RFC 792, plus the types IANA still lists as current. */
    switch (type) {
    case 0:  return "echo reply";
    case 3:  return "destination unreachable";
    case 4:  return "source quench";
    case 5:  return "redirect";
    case 8:  return "echo request";
    case 9:  return "router advertisement";
    case 10: return "router solicitation";
    case 11: return "time exceeded";
    case 12: return "parameter problem";
    case 13: return "timestamp";
    case 14: return "timestamp reply";
    case 42: return "extended echo request";
    case 43: return "extended echo reply";
    default: return "unknown";
    }
}
