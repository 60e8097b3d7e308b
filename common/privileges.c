#include "privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The three capability sets a process can change itself, 64 bits each.
 * glibc has no wrapper for capget()/capset(), and libcap would be one more
 * dependency. */
struct capabilities {
    uint64_t effective, permitted, inheritable;
};

static int get_capabilities(struct capabilities *caps)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    if (syscall(SYS_capget, &header, data) < 0)
        return -1;
    caps->effective = data[0].effective | (uint64_t)data[1].effective << 32;
    caps->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
    caps->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
    return 0;
}

static int set_capabilities(const struct capabilities *caps)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
        {(uint32_t)caps->effective, (uint32_t)caps->permitted, (uint32_t)caps->inheritable},
        {(uint32_t)(caps->effective >> 32), (uint32_t)(caps->permitted >> 32),
         (uint32_t)(caps->inheritable >> 32)},
    };
    return (int)syscall(SYS_capset, &header, data);
}

/* The bounding set limits what any later execve() could grant. Emptying it
 * takes CAP_SETPCAP; PR_CAPBSET_READ fails past the last capability this
 * kernel knows. */
static void empty_bounding_set(void)
{
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
}

/* Is id 0 of this user namespace someone other than root outside it? The
 * map file has lines "inside outside count"; the initial namespace's is
 * "0 0 4294967295", and `unshare -Ur` run by uid 1000 writes "0 1000 1". */
static int zero_maps_elsewhere(const char *map_path)
{
    FILE *map = fopen(map_path, "re");
    unsigned long inside, outside, count;
    int elsewhere = 0;

    if (!map)
        return 0;
    while (fscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3)
        if (inside == 0 && count > 0)
            elsewhere = outside != 0;
    fclose(map);
    return elsewhere;
}

static int ids_zero_are_unprivileged(void)
{
    return zero_maps_elsewhere("/proc/self/uid_map") && zero_maps_elsewhere("/proc/self/gid_map");
}

/* Root becomes `user`: groups first, since once we are no longer root we
 * may not change them; all three gids, then all three uids. */
static int become_user(const char *user, struct privileges_expect *expect,
                       char *done, size_t done_len, char *why, size_t why_len)
{
    errno = 0;
    struct passwd *account = getpwnam(user);
    if (!account) {
        snprintf(why, why_len, "there is no user '%s' to run as: name one with --user.", user);
        return -1;
    }
    uid_t uid = account->pw_uid;
    gid_t gid = account->pw_gid;
    if (uid == 0 || gid == 0) {
        snprintf(why, why_len, "user '%s' has uid %u and gid %u, and an id 0 would keep what "
                 "belongs to root: name another with --user.", user, (unsigned)uid, (unsigned)gid);
        return -1;
    }
    if (uid == (uid_t)-1 || gid == (gid_t)-1) {
        /* setresuid() reads -1 as "leave this id as it is", which is 0. */
        snprintf(why, why_len, "user '%s' has uid %u and gid %u, and id %u means 'unchanged' "
                 "to the kernel, which would keep root's: name another with --user.", user,
                 (unsigned)uid, (unsigned)gid, (unsigned)-1);
        return -1;
    }

    /* [exercise 08: give up root for good: empty the supplementary groups (setgroups), then set the real, effective and saved gid (setresgid), then the three uids (setresuid), in that order, since once no uid is 0 the kernel lets us change neither; set refused to the name of the call the kernel refused, for example "setresgid()": make check reads /proc/PID/status while the step runs] */
    const char *refused = NULL;
    if (setgroups(0, NULL) < 0)
        refused = "setgroups()";
    else if (setresgid(gid, gid, gid) < 0)
        refused = "setresgid()";
    else if (setresuid(uid, uid, uid) < 0)
        refused = "setresuid()";
    /* [starter] const char *refused = NULL; */
    /* [end exercise] */
    if (!refused) {
        expect->no_groups = 1;
        snprintf(done, done_len, "now running as %s (uid %u, gid %u), with no capabilities",
                 user, (unsigned)uid, (unsigned)gid);
        return 0;
    }
    int error = errno;
    if (ids_zero_are_unprivileged()) {
        /* `unshare -Ur`: `user` is not mapped here (EINVAL), nor may groups
         * change (EPERM). Our uid 0 is the user who made the namespace. */
        expect->uid0_is_unprivileged = 1;
        snprintf(done, done_len, "%s does not exist in this user namespace: kept uid 0 "
                 "here, which is not root outside, with no capabilities", user);
        return 0;
    }
    snprintf(why, why_len, "cannot give up root: %s was refused (%s); give the step "
             "CAP_SETUID and CAP_SETGID (a systemd CapabilityBoundingSet= must list them), or "
             "start it as the user it should be.", refused, strerror(error));
    return -1;
}

/* Standard input, whatever it is, becomes /dev/null: the step never reads
 * it, and a file opened by whoever started us (`< /etc/shadow`) would
 * outlive the drop, as any inherited descriptor would. */
static int no_standard_input(char *why, size_t why_len)
{
    int null = open("/dev/null", O_RDONLY);

    if (null < 0 || dup2(null, 0) < 0) {
        snprintf(why, why_len, "cannot put /dev/null on standard input (%s): not running.",
                 strerror(errno));
        return -1;
    }
    if (null != 0)
        close(null);
    return 0;
}

/*
 * A terminal is a way in too. Linux lets a process push bytes into the
 * input of its controlling terminal as if they were typed (ioctl TIOCSTI,
 * where the kernel still allows it), and whoever holds a terminal open for
 * reading reads what is typed there. Kept after the drop, root's terminal
 * would let `nobody` type commands into the shell that started us. We only
 * ever write to it: output and error are opened again for writing only (the
 * terminal's owner or root may, so this comes before the drop).
 */
static int write_only_terminal(char *why, size_t why_len)
{
    for (int fd = 1; fd <= 2; fd++) {
        if (!isatty(fd) || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY)
            continue;
        char self[32];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        int again = open(self, O_WRONLY | O_NOCTTY);
        int moved = again >= 0 ? dup2(again, fd) : -1;
        int error = errno;
        if (again >= 0)
            close(again);
        if (moved < 0) {
            snprintf(why, why_len, "cannot open the terminal on fd %d again for writing only "
                     "(%s): redirect it (| cat), or run from a terminal of your own.",
                     fd, strerror(error));
            return -1;
        }
    }
    return 0;
}

/* Then the terminal stops being our controlling terminal (TIOCNOTTY), so
 * TIOCSTI is refused. Ctrl-C still stops us: the terminal signals its
 * foreground process group, and we stay in it. A session leader keeps its
 * terminal: letting go would hang up its whole session, and no shell of
 * another session reads that terminal. */
static void leave_terminal(void)
{
    int tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);

    if (tty < 0)
        return;                     /* ENXIO: we have none */
    if (getsid(0) != getpid())
        ioctl(tty, TIOCNOTTY);
    close(tty);
}

/* What the kernel still gives us of a terminal, or NULL. */
static const char *terminal_left(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (isatty(fd) && (fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY)
            return "a terminal open for reading";
    int tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (tty < 0)
        return NULL;
    close(tty);
    return getsid(0) == getpid() ? NULL : "a controlling terminal";
}

/* Reads /proc/self/status whole: the kernel's view of who we are. */
static int read_status(char *status, size_t room)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    ssize_t n = 1;

    if (fd < 0)
        return -1;
    while (len + 1 < room && (n = read(fd, status + len, room - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    status[len] = '\0';
    return n < 0 ? -1 : 0;
}

/* After the drop, believe only the kernel: /proc/self/status for the ids
 * and capabilities, /dev/tty for a controlling terminal. */
static int verify_dropped(const struct privileges_expect *expect, char *why, size_t why_len)
{
    /* [exercise 08: believe only the kernel: read /proc/self/status (read_status), and return -1 with why filled in when privileges_check_status() finds an id, a group or a capability left, or terminal_left() a terminal; 0 when nothing is left] */
    char status[16384];

    if (read_status(status, sizeof status) < 0) {
        snprintf(why, why_len, "cannot read /proc/self/status to check that no privilege is "
                 "left (%s): not running.", strerror(errno));
        return -1;
    }
    if (privileges_check_status(status, expect, why, why_len) < 0)
        return -1;
    const char *terminal = terminal_left();
    if (terminal) {
        snprintf(why, why_len, "after giving up privileges we still have %s: not running.",
                 terminal);
        return -1;
    }
    return 0;
    /* [starter] (void)expect; (void)why; (void)why_len; (void)read_status; (void)terminal_left; */
    /* [starter] return 0; */
    /* [end exercise] */
}

int privileges_drop(const char *user, char *done, size_t done_len, char *why, size_t why_len)
{
    struct privileges_expect expect = {0};
    struct capabilities held, none = {0};
    uid_t ruid, euid, suid;

    if (getresuid(&ruid, &euid, &suid) < 0 || get_capabilities(&held) < 0) {
        snprintf(why, why_len, "cannot tell what privileges we hold (%s): not running.",
                 strerror(errno));
        return -1;
    }
    if (no_standard_input(why, why_len) < 0 || write_only_terminal(why, why_len) < 0)
        return -1;
    leave_terminal();
    /* What we hold, we may use to give it up: a process with euid 65534 but
     * real uid 0 keeps CAP_SETUID in its permitted set only. */
    struct capabilities usable = held;
    usable.effective = held.permitted;
    set_capabilities(&usable);
    expect.empty_bounding_set = (held.permitted >> CAP_SETPCAP) & 1;
    empty_bounding_set();
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

    if (ruid == 0 || euid == 0 || suid == 0) {
        if (become_user(user, &expect, done, done_len, why, why_len) < 0)
            return -1;
    } else if (held.permitted | held.inheritable) {
        snprintf(done, done_len, "not root (uid %u): gave up the capabilities it held "
                 "(permitted %016" PRIx64 ")", (unsigned)ruid, held.permitted);
    } else {
        snprintf(done, done_len, "not root (uid %u): nothing to give up", (unsigned)ruid);
    }
    /* setuid() away from 0 clears the capabilities, unless securebits told
     * the kernel to keep them: so empty them ourselves, and forbid gaining
     * new ones through execve() (no_new_privs). */
    set_capabilities(&none);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);

    return verify_dropped(&expect, why, why_len);
}

/* The text after "Name:\t" on its line in `status`, or NULL. */
static const char *status_field(const char *status, const char *name)
{
    size_t name_len = strlen(name);

    for (const char *line = status; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, name, name_len) == 0 && line[name_len] == ':')
            return line + name_len + 1;
    return NULL;
}

/* Adds "what" to the list of what remains. */
static void remains(char *list, size_t room, const char *what)
{
    size_t used = strlen(list);
    snprintf(list + used, room - used, "%s%s", used ? ", " : "", what);
}

/* Uid: or Gid: with its four ids (real, effective, saved, filesystem). */
static void check_ids(const char *status, const char *name, int zero_allowed,
                      char *left, size_t room)
{
    const char *text = status_field(status, name);
    unsigned long id[4];
    char what[96];

    if (!text || sscanf(text, "%lu %lu %lu %lu", &id[0], &id[1], &id[2], &id[3]) != 4) {
        snprintf(what, sizeof what, "no readable %s line", name);
        remains(left, room, what);
        return;
    }
    if (!zero_allowed && (id[0] == 0 || id[1] == 0 || id[2] == 0 || id[3] == 0)) {
        snprintf(what, sizeof what, "%s %lu %lu %lu %lu", name, id[0], id[1], id[2], id[3]);
        remains(left, room, what);
    }
}

/* One of the capability masks: it must be all zeros. */
static void check_empty_mask(const char *status, const char *name, char *left, size_t room)
{
    const char *text = status_field(status, name);
    unsigned long long mask;
    char what[96];

    if (!text || sscanf(text, "%llx", &mask) != 1) {
        snprintf(what, sizeof what, "no readable %s line", name);
        remains(left, room, what);
    } else if (mask != 0) {
        snprintf(what, sizeof what, "%s %016llx", name, mask);
        remains(left, room, what);
    }
}

/* Groups: no group 0, and none at all once setgroups() emptied them. */
static void check_groups(const char *status, const struct privileges_expect *expect,
                         char *left, size_t room)
{
    const char *text = status_field(status, "Groups");
    int count = 0, has_zero = 0;
    char *end;

    if (!text) {
        remains(left, room, "no readable Groups line");
        return;
    }
    for (unsigned long group = strtoul(text, &end, 10); end != text;
         text = end, group = strtoul(text, &end, 10)) {
        count++;
        has_zero |= group == 0;
    }
    if (has_zero && !expect->uid0_is_unprivileged)
        remains(left, room, "supplementary group 0");
    else if (count > 0 && expect->no_groups)
        remains(left, room, "supplementary groups");
}

int privileges_check_status(const char *status, const struct privileges_expect *expect,
                            char *why, size_t why_len)
{
    char left[512] = "";

    check_ids(status, "Uid", expect->uid0_is_unprivileged, left, sizeof left);
    check_ids(status, "Gid", expect->uid0_is_unprivileged, left, sizeof left);
    check_groups(status, expect, left, sizeof left);
    check_empty_mask(status, "CapEff", left, sizeof left);
    check_empty_mask(status, "CapPrm", left, sizeof left);
    check_empty_mask(status, "CapInh", left, sizeof left);
    check_empty_mask(status, "CapAmb", left, sizeof left);
    if (expect->empty_bounding_set)
        check_empty_mask(status, "CapBnd", left, sizeof left);
    const char *nnp = status_field(status, "NoNewPrivs");
    if (!nnp || strtol(nnp, NULL, 10) != 1)
        remains(left, sizeof left, "NoNewPrivs not 1");

    if (left[0] == '\0')
        return 0;
    snprintf(why, why_len, "after giving up privileges the kernel still shows %s: not running.",
             left);
    return -1;
}
