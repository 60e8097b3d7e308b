#include "pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bytes.h"

/* Link types, as numbered by libpcap's DLT_ constants. */
enum {
    LINK_ETHERNET = DLT_EN10MB,
    LINK_RAW = DLT_RAW,
    LINK_IPV4 = DLT_IPV4,
    LINK_IPV6 = DLT_IPV6,
    LINK_LINUX_SLL = DLT_LINUX_SLL,
    LINK_LINUX_SLL2 = DLT_LINUX_SLL2,
};

/* The largest IP packet there is (the total length field has 16 bits), and
 * so the snapshot length our captures declare. */
enum { SNAPSHOT_LENGTH = 65535 };

/* A record's header in the file: seconds, microseconds, kept and true
 * length, 4 bytes each. */
enum { RECORD_HEADER_LEN = 16 };

struct pcap_writer {
    pcap_t *handle;
    pcap_dumper_t *dumper;
    char path[256];                 /* for messages */
    int pipe;                       /* a named pipe (mkfifo) */
    int never_wait;                 /* on a pipe: leave records out rather than wait */
    unsigned long written;          /* records that reached the file */
    unsigned long left_out;         /* records a pipe had no room for */
    off_t whole;                    /* its size after the last whole record */
    char failure[512];              /* the first write that failed, or "" */
};

/* In a directory everyone may write to and only owners may delete from
 * (/tmp: mode 1777), a file we did not create and do not own may have been
 * put there for us to write through: a regular file, or a named pipe whose
 * reader would get the capture. The kernel's fs.protected_regular and
 * fs.protected_fifos refuse that too, where they are on (they are off on
 * many systems). */
static int planted(const char *path, const struct stat *file)
{
    char *copy = strdup(path);
    struct stat dir;
    int shared = copy && stat(dirname(copy), &dir) == 0 &&
                 (dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH);

    free(copy);
    return shared && file->st_uid != geteuid();
}

/* Why the file we opened must not take the capture, or NULL. */
static const char *refusal(const char *path, const struct stat *file)
{
    if (S_ISBLK(file->st_mode))
        return "is a disk (a block device), which the capture would overwrite";
    if (S_ISREG(file->st_mode) && file->st_nlink > 1)
        return "has another name (a hard link), which would change too";
    if (planted(path, file))
        return "belongs to someone else in a directory anyone may write to";
    return NULL;
}

/* open(), following no symbolic link anywhere in `path`: O_NOFOLLOW looks
 * at the last name only, and /tmp/dir/out.pcap, with /tmp/dir a link that
 * someone planted to /etc, would create or empty /etc/out.pcap. */
static int open_without_links(const char *path, int flags, mode_t mode)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
                           .resolve = RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);

    if (fd < 0 && errno == ENOSYS)  /* Linux before 5.6: the last name only */
        fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    return fd;
}

/*
 * Opens `path` for writing without ever writing through someone else's
 * file. The step opens its capture while still root (before giving up root,
 * so that `sudo bin/06-... --pcap out.pcap` can write in the user's own
 * directory, which `nobody` cannot: tcpdump -Z opens after the drop and so
 * fails there). Root may write anywhere, so: never through a symbolic link
 * (one planted in /tmp could name /etc/shadow), never into a disk, a file
 * with a second name (a hard link), or one planted in /tmp, and truncate
 * only after these checks, never with O_TRUNC. Character devices and pipes
 * (/dev/null, mkfifo) are written as they are.
 */
static int open_output(const char *path, char *why, size_t why_len)
{
    int fd = open_without_links(path, O_WRONLY | O_CREAT, 0644);
    struct stat file;

    if (fd < 0 && errno == ELOOP) {
        snprintf(why, why_len, "%s is or goes through a symbolic link, which the step does not "
                 "follow (as root, a link someone planted could point anywhere): give a path "
                 "without links (realpath prints one).", path);
        return -1;
    }
    if (fd < 0 || fstat(fd, &file) < 0) {
        snprintf(why, why_len, "cannot write the capture %s (%s).", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const char *refused = refusal(path, &file);
    if (refused) {
        snprintf(why, why_len, "%s %s: remove it, or choose another name.", path, refused);
        close(fd);
        return -1;
    }
    if (S_ISREG(file.st_mode) && ftruncate(fd, 0) < 0) {
        snprintf(why, why_len, "cannot write the capture %s (%s).", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

struct pcap_writer *pcap_writer_open(const char *path, char *why, size_t why_len)
{
    struct pcap_writer *writer = calloc(1, sizeof *writer);
    if (!writer) {
        snprintf(why, why_len, "out of memory opening %s.", path);
        return NULL;
    }
    snprintf(writer->path, sizeof writer->path, "%s", path);
    int fd = open_output(path, why, why_len);
    FILE *file = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !file) {
        snprintf(why, why_len, "cannot write the capture %s (%s).", path, strerror(errno));
        close(fd);
    }
    struct stat kind;
    writer->pipe = file && fstat(fd, &kind) == 0 && S_ISFIFO(kind.st_mode);
    if (writer->pipe)               /* room for a whole record: one write() each */
        setvbuf(file, NULL, _IOFBF, 2 * PIPE_BUF);
    writer->handle = file ? pcap_open_dead(LINK_RAW, SNAPSHOT_LENGTH) : NULL;
    writer->dumper = writer->handle ? pcap_dump_fopen(writer->handle, file) : NULL;
    if (file && !writer->dumper) {
        snprintf(why, why_len, "cannot write the capture %s: %s.", path,
                 writer->handle ? pcap_geterr(writer->handle) : "libpcap failed");
        fclose(file);
    }
    /* Write the file header now: /dev/full or /proc/version fail here, with
     * one sentence, rather than at the first packet. */
    if (writer->dumper && pcap_dump_flush(writer->dumper) < 0) {
        snprintf(why, why_len, "cannot write the capture %s (%s).", path, strerror(errno));
        __fpurge(pcap_dump_file(writer->dumper));
    } else if (writer->dumper) {
        writer->whole = ftello(file);
        return writer;
    }
    pcap_writer_close(writer, NULL, 0);
    return NULL;
}

/* After a failed write, the file may end in part of a record, which every
 * reader would call damaged. Forget what is still buffered (it would be
 * written when the file is closed) and cut the file back to its last whole
 * record, so that what it holds can be read. Pipes and devices cannot be
 * cut (whole is -1 there): they keep what they got. */
static void keep_whole_records(struct pcap_writer *writer)
{
    FILE *file = pcap_dump_file(writer->dumper);

    __fpurge(file);
    if (writer->whole > 0 && ftruncate(fileno(file), writer->whole) < 0)
        writer->whole = -1;         /* nothing more we can do: the message stands */
}

/* Would a record of up to PIPE_BUF bytes go into the pipe without waiting?
 * poll() calls a pipe writable when it has a free page, and a write() of
 * PIPE_BUF bytes or fewer is never split. A reader that has gone away also
 * says yes here, so that the write() fails with EPIPE and is reported. */
static int pipe_has_room(const struct pcap_writer *writer)
{
    struct pollfd out = {.fd = fileno(pcap_dump_file(writer->dumper)), .events = POLLOUT};

    return poll(&out, 1, 0) != 0;
}

int pcap_writer_add(struct pcap_writer *writer, const struct timeval *when,
                    const uint8_t *packet, size_t len)
{
    /* A record longer than the snapshot length is cut to it, as a capture
     * with that snaplen would have been, and keeps its true length in `len`;
     * Wireshark then shows it as "packet size limited during capture". */
    size_t kept = len < SNAPSHOT_LENGTH ? len : SNAPSHOT_LENGTH;

    if (writer->failure[0])
        return -1;                  /* after a failure, a record would only be torn */
    /* Cut to fit one PIPE_BUF write with its header, and left out, counted,
     * when the pipe has no room for it: see pcap_writer_never_wait(). */
    if (writer->never_wait) {
        size_t fits = PIPE_BUF - RECORD_HEADER_LEN;
        kept = kept < fits ? kept : fits;
        if (!pipe_has_room(writer)) {
            writer->left_out++;
            return 0;
        }
    }
    struct pcap_pkthdr header = {.ts = *when, .caplen = (bpf_u_int32)kept, .len = (bpf_u_int32)len};
    pcap_dump((u_char *)writer->dumper, &header, packet);
    /* Flush per packet: Wireshark may read the file while we still run, and
     * a Ctrl-C must not lose the last packets. It is also where a full disk
     * or a file that takes no writes shows. */
    if (pcap_dump_flush(writer->dumper) < 0) {
        snprintf(writer->failure, sizeof writer->failure, "writing the capture %s failed after "
                 "%lu records (%s): it holds no more, and the step will exit with status 1.",
                 writer->path, writer->written, strerror(errno));
        keep_whole_records(writer);
        return -1;
    }
    writer->written++;
    writer->whole = ftello(pcap_dump_file(writer->dumper));
    return 0;
}

void pcap_writer_never_wait(struct pcap_writer *writer)
{
    writer->never_wait = writer->pipe;
}

const char *pcap_writer_failure(const struct pcap_writer *writer)
{
    return writer->failure[0] ? writer->failure : NULL;
}

int pcap_writer_close(struct pcap_writer *writer, char *why, size_t why_len)
{
    int status = 0;

    if (!writer)
        return 0;
    if (writer->dumper) {
        if (!writer->failure[0] && pcap_dump_flush(writer->dumper) < 0)
            snprintf(writer->failure, sizeof writer->failure, "writing the capture %s failed "
                     "(%s).", writer->path, strerror(errno));
        pcap_dump_close(writer->dumper);
    }
    if (!writer->failure[0] && writer->left_out > 0)
        snprintf(writer->failure, sizeof writer->failure, "%lu of %lu records were left out of "
                 "the pipe %s, whose reader did not keep up.", writer->left_out,
                 writer->left_out + writer->written, writer->path);
    if (writer->failure[0]) {
        if (why)
            snprintf(why, why_len, "%s", writer->failure);
        status = -1;
    }
    if (writer->handle)
        pcap_close(writer->handle);
    free(writer);
    return status;
}

int pcap_same_file(const char *a, const char *b)
{
    struct stat one, other;

    return stat(a, &one) == 0 && stat(b, &other) == 0 && one.st_dev == other.st_dev &&
           one.st_ino == other.st_ino;
}

/* How the IP packet sits in a record of each link type: after a link
 * header of `header_len` bytes, whose protocol field (an EtherType: 0x0800
 * IPv4, 0x86dd IPv6) is at `type_at`; -1 where the record is the packet. */
struct link {
    int type;
    size_t header_len;
    long type_at;
};

static const struct link LINKS[] = {
    {LINK_RAW, 0, -1},
    {LINK_IPV4, 0, -1},
    {LINK_IPV6, 0, -1},
    {LINK_ETHERNET, 14, 12},        /* destination, source, EtherType */
    {LINK_LINUX_SLL, 16, 14},       /* tcpdump -i any: ..., protocol */
    {LINK_LINUX_SLL2, 20, 0},       /* protocol first */
};

enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_ARP = 0x0806,
    ETHERTYPE_VLAN = 0x8100,        /* IEEE 802.1Q */
    ETHERTYPE_QINQ = 0x88a8,        /* IEEE 802.1ad */
    ETHERTYPE_IPV6 = 0x86dd,
};

static const struct link *find_link(int link_type)
{
    for (size_t i = 0; i < sizeof LINKS / sizeof LINKS[0]; i++)
        if (LINKS[i].type == link_type)
            return &LINKS[i];
    return NULL;
}

/*
 * Where the IP packet starts in one record. Returns its offset, or -1 with
 * what the record holds instead in `what`: an ARP frame, say, whose bytes
 * could look like IPv4 to a step that only checks the version nibble. A
 * record too short for its link header gives an empty packet, so that the
 * step says it is too short.
 */
static long ip_offset(const struct link *link, const uint8_t *data, size_t caplen,
                      char *what, size_t what_len)
{
    if (link->type_at < 0)
        return 0;
    if (caplen < link->header_len)
        return (long)caplen;
    size_t header_len = link->header_len;
    size_t type_at = (size_t)link->type_at;
    uint16_t type = read_be16(data + type_at);
    /* VLAN tags (4 bytes each, perhaps two: 802.1ad outside 802.1Q) sit
     * before the EtherType of the frame they carry: step over them. */
    while (link->type == LINK_ETHERNET && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) &&
           caplen >= header_len + 4) {
        header_len += 4;
        type_at += 4;
        type = read_be16(data + type_at);
    }
    const char *frame = link->type == LINK_ETHERNET ? "an Ethernet" : "a Linux cooked";
    if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6) {
        snprintf(what, what_len, "%s frame of type 0x%04x%s, not IP", frame, type,
                 type == ETHERTYPE_ARP ? " (ARP)" : "");
        return -1;
    }
    /* The link says which IP version it carries; bytes that claim another
     * are not that packet (an IPv6 frame with IPv4-looking bytes in it). */
    unsigned want = type == ETHERTYPE_IPV4 ? 4 : 6;
    if (caplen > header_len && data[header_len] >> 4 != want) {
        snprintf(what, what_len, "%s frame of type 0x%04x (IPv%u) whose packet says version %u",
                 frame, type, want, data[header_len] >> 4);
        return -1;
    }
    return (long)header_len;
}

struct first_packet {
    uint8_t *packet;
    size_t room, len;
    int found;
};

static int keep_first(void *context, const struct timeval *when, const uint8_t *packet, size_t len)
{
    struct first_packet *first = context;

    (void)when;
    first->len = len < first->room ? len : first->room;
    memcpy(first->packet, packet, first->len);
    first->found = 1;
    return 1;                       /* one is enough: stop reading */
}

long pcap_read_first(const char *path, uint8_t *packet, size_t room, char *why, size_t why_len)
{
    struct first_packet first = {.packet = packet, .room = room};

    if (pcap_read_packets(path, keep_first, &first, why, why_len) < 0)
        return -1;
    if (!first.found) {
        snprintf(why, why_len, "%s holds no packet.", path);
        return -1;
    }
    return (long)first.len;
}

/* Opens the capture ourselves, so that a missing file is said once:
 * libpcap's own message repeats the path ("x.pcap: No such file ..."). */
static pcap_t *open_capture(const char *path, char *why, size_t why_len)
{
    char error[PCAP_ERRBUF_SIZE] = "";
    FILE *file = fopen(path, "rbe");

    if (!file) {
        snprintf(why, why_len, "cannot read the capture %s (%s).", path, strerror(errno));
        return NULL;
    }
    pcap_t *handle = pcap_fopen_offline(file, error);
    if (!handle) {
        snprintf(why, why_len, "cannot read the capture %s: %s.", path, error);
        fclose(file);               /* pcap_close() would, had it opened */
    }
    return handle;
}

int pcap_read_ip_packets(const char *path, pcap_packet_fn each, pcap_skip_fn skipped,
                         void *context, char *why, size_t why_len)
{
    pcap_t *handle = open_capture(path, why, why_len);
    struct pcap_pkthdr *header;
    const u_char *data;
    unsigned long record = 0;
    char what[128];
    int status, result = 0;

    if (!handle)
        return -1;
    const struct link *link = find_link(pcap_datalink(handle));
    if (!link) {
        snprintf(why, why_len, "%s has link type %s, which we cannot read: capture on a "
                 "tun device or save as raw IP.", path,
                 pcap_datalink_val_to_name(pcap_datalink(handle)));
        pcap_close(handle);
        return -1;
    }

    while ((status = pcap_next_ex(handle, &header, &data)) == 1) {
        long at = ip_offset(link, data, header->caplen, what, sizeof what);
        record++;
        if (at < 0) {
            if (skipped)
                skipped(context, record, what);
            continue;
        }
        result = each(context, &header->ts, data + at, header->caplen - (size_t)at);
        if (result != 0)
            break;
    }
    if (status == PCAP_ERROR) {
        snprintf(why, why_len, "%s is damaged: %s.", path, pcap_geterr(handle));
        result = -1;
    }
    pcap_close(handle);
    return result;
}

int pcap_read_packets(const char *path, pcap_packet_fn each, void *context,
                      char *why, size_t why_len)
{
    return pcap_read_ip_packets(path, each, NULL, context, why, why_len);
}
