#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Empties the effective, permitted and inheritable capability sets. glibc
 * has no wrapper for capset(), and libcap would be one more dependency. */
static int drop_all_capabilities(void)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof data);
    return (int)syscall(SYS_capset, &header, data);
}

int privileges_drop(const char *user, char *done, size_t done_len, char *why, size_t why_len)
{
    if (geteuid() != 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        snprintf(done, done_len, "not root (uid %u): nothing to give up", (unsigned)getuid());
        return 0;
    }

    errno = 0;
    struct passwd *account = getpwnam(user);
    if (!account) {
        snprintf(why, why_len, "there is no user '%s' to run as: name one with --user.", user);
        return -1;
    }
    uid_t uid = account->pw_uid;
    gid_t gid = account->pw_gid;

    /* Groups first: once we are no longer root we may not change them. */
    if (setgroups(0, NULL) == 0 && setgid(gid) == 0 && setuid(uid) == 0) {
        /* setuid() away from 0 clears every capability by itself. */
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (setuid(0) == 0) {
            snprintf(why, why_len, "could still become root after giving it up: not running.");
            return -1;
        }
        snprintf(done, done_len, "now running as %s (uid %u, gid %u), with no capabilities",
                 user, (unsigned)uid, (unsigned)gid);
        return 0;
    }
    if (errno == EINVAL || errno == EPERM) {
        /* A user namespace where `user` is not mapped (unshare -Ur): stay
         * uid 0 there, which is nobody outside, and keep no capability. */
        if (drop_all_capabilities() == 0) {
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            snprintf(done, done_len, "%s does not exist in this user namespace: kept uid 0 "
                     "here, with no capabilities", user);
            return 0;
        }
    }
    snprintf(why, why_len, "cannot give up root (%s): not running with more power than needed.",
             strerror(errno));
    return -1;
}
