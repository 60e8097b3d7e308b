/* What the test tools share: a packet socket bound to one interface, the
 * way tests reach a live step without going through the kernel's checks
 * (GUIDE: "Injecting any bytes at the responder"). Test tools only, so it
 * lives here, not in common/. */
#ifndef ICMP_STEPS_PACKET_SOCKET_H
#define ICMP_STEPS_PACKET_SOCKET_H

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An AF_PACKET/SOCK_DGRAM socket on `ifname` for `protocol` (ETH_P_IP to
 * send IP packets out of a tun into the program that reads it, ETH_P_ALL to
 * see what that program writes back); fills `link` for sendto(). */
static inline int open_packet_socket(const char *ifname, int protocol, struct sockaddr_ll *link)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM, htons(protocol));
    if (fd < 0)
        return -1;
    memset(link, 0, sizeof *link);
    link->sll_family = AF_PACKET;
    link->sll_protocol = htons(protocol);
    link->sll_ifindex = (int)if_nametoindex(ifname);
    if (link->sll_ifindex == 0 || bind(fd, (struct sockaddr *)link, sizeof *link) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

#endif
