/* Reading and writing pcap captures with libpcap, so that Wireshark and
 * tshark can open what a step saw, and a step can replay what they saved. */
#ifndef ICMP_STEPS_PCAPFILE_H
#define ICMP_STEPS_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* A capture file being written, with link type LINKTYPE_RAW: each record is
 * one IP packet, exactly the bytes a tun read() or write() carries. */
struct pcap_writer;

struct pcap_writer *pcap_writer_open(const char *path, char *why, size_t why_len);
int pcap_writer_add(struct pcap_writer *writer, const struct timeval *when,
                    const uint8_t *packet, size_t len);
void pcap_writer_close(struct pcap_writer *writer);

/* Called once per packet by pcap_read_packets(); a non-zero return stops the
 * reading and becomes its return value. */
typedef int (*pcap_packet_fn)(void *context, const struct timeval *when,
                              const uint8_t *packet, size_t len);

/*
 * Calls `each` with the IP packet of every record in the capture at `path`.
 * Raw IP captures are read as they are; from Ethernet and Linux "cooked"
 * captures the link header is taken off first. Returns 0 at the end of the
 * file, -1 with one sentence in `why` if the file cannot be read.
 */
int pcap_read_packets(const char *path, pcap_packet_fn each, void *context,
                      char *why, size_t why_len);

/* Copies the first packet of the capture at `path` into `packet` (room for
 * `room` bytes, a longer one is cut) and returns its length; -1 with one
 * sentence in `why` if the file cannot be read or holds no packet. */
long pcap_read_first(const char *path, uint8_t *packet, size_t room, char *why, size_t why_len);

#endif
