/* Giving up root once the tun device is open: a responder that reads
 * whatever the network sends should hold as little power as it can. */
#ifndef ICMP_STEPS_PRIVILEGES_H
#define ICMP_STEPS_PRIVILEGES_H

#include <stddef.h>

/*
 * Gives up every privilege this process holds, or fails.
 *
 * Root (any of the real, effective or saved uids 0) becomes `user`: its uid
 * and primary group, no supplementary groups. A `user` with uid or gid 0 is
 * refused. Where `user` does not exist in this user namespace (as in
 * `unshare -Ur` run by a normal user), it keeps uid 0 there, which is that
 * user outside. Not root: keeps its ids.
 * Either way: no effective, permitted, inheritable or ambient capability,
 * an empty bounding set where it may empty it, no_new_privs, and a terminal
 * on 0, 1 or 2 kept for writing only and not as controlling terminal. Then
 * it reads the result back from the kernel (privileges_check_status).
 * Returns 0 with what happened in `done`, or -1 with one sentence in `why`:
 * the caller must then stop, never carry on.
 */
int privileges_drop(const char *user, char *done, size_t done_len, char *why, size_t why_len);

/* What privileges_check_status() may accept. */
struct privileges_expect {
    int uid0_is_unprivileged;       /* uid 0 of a user namespace that maps it elsewhere */
    int empty_bounding_set;         /* we held CAP_SETPCAP, so the bounding set is empty */
    int no_groups;                  /* setgroups() emptied the supplementary groups */
};

/*
 * The check after the drop, from the kernel's point of view: `status` is the
 * text of /proc/self/status. Returns 0 when nothing of root remains, or -1
 * with one sentence in `why` naming every field that still shows privilege.
 */
int privileges_check_status(const char *status, const struct privileges_expect *expect,
                            char *why, size_t why_len);

#endif
