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

/* Creates or empties the file at `path`, but never through a symbolic link
 * (anywhere in the path), into a disk, a hard link, or a file or pipe
 * someone else left in a shared directory like /tmp (the step opens it as
 * root). Returns NULL with one sentence in `why`. */
struct pcap_writer *pcap_writer_open(const char *path, char *why, size_t why_len);

/* Adds one record (cut to 65535 bytes, keeping its true length). Returns 0,
 * or -1 once writing has failed: nothing more is written after that. */
int pcap_writer_add(struct pcap_writer *writer, const struct timeval *when,
                    const uint8_t *packet, size_t len);

/* For a live step: when the capture is a named pipe (a live view,
 * `wireshark -k -i pipe`), a reader that falls behind must never stop the
 * step answering. Records are then cut to fit one PIPE_BUF write, and those
 * the pipe has no room for are left out and counted (pcap_writer_close()
 * says how many). Without this, the writer waits for the reader, and the
 * capture is whole. */
void pcap_writer_never_wait(struct pcap_writer *writer);

/* The first write that failed, as one sentence, or NULL. */
const char *pcap_writer_failure(const struct pcap_writer *writer);

/* Closes the capture (NULL: nothing to do). Returns 0 if every record reached
 * the file, or -1 with the first failure in `why` (which may be NULL). */
int pcap_writer_close(struct pcap_writer *writer, char *why, size_t why_len);

/* 1 if both paths name the same file (after links: device and inode). */
int pcap_same_file(const char *a, const char *b);

/* Called once per packet by pcap_read_packets(); a non-zero return stops the
 * reading and becomes its return value. */
typedef int (*pcap_packet_fn)(void *context, const struct timeval *when,
                              const uint8_t *packet, size_t len);

/* Called by pcap_read_ip_packets() for a record that holds no IP packet:
 * `record` counts from 1, `what` says what it holds ("a Linux cooked frame
 * of type 0x0806 (ARP), not IP"). */
typedef void (*pcap_skip_fn)(void *context, unsigned long record, const char *what);

/*
 * Calls `each` with the IP packet of every record in the capture at `path`.
 * Raw IP captures are read as they are; from Ethernet (VLAN tags included)
 * and Linux "cooked" captures the link header is taken off first, and a
 * record whose EtherType is not IPv4 or IPv6 is handed to `skipped` (NULL:
 * skipped without a word). Returns 0 at the end of the file, -1 with one
 * sentence in `why` if the file cannot be read.
 */
int pcap_read_ip_packets(const char *path, pcap_packet_fn each, pcap_skip_fn skipped,
                         void *context, char *why, size_t why_len);

/* pcap_read_ip_packets() with no word about skipped records. */
int pcap_read_packets(const char *path, pcap_packet_fn each, void *context,
                      char *why, size_t why_len);

/* Copies the first packet of the capture at `path` into `packet` (room for
 * `room` bytes, a longer one is cut) and returns its length; -1 with one
 * sentence in `why` if the file cannot be read or holds no packet. */
long pcap_read_first(const char *path, uint8_t *packet, size_t room, char *why, size_t why_len);

#endif
