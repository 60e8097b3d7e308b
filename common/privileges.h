/* Giving up root once the tun device is open: a responder that reads
 * whatever the network sends should hold as little power as it can. */
#ifndef ICMP_STEPS_PRIVILEGES_H
#define ICMP_STEPS_PRIVILEGES_H

#include <stddef.h>

/*
 * If we run as root, becomes `user` (its uid and primary group, no
 * supplementary groups), which leaves no capabilities, and forbids gaining
 * new ones (no_new_privs). Where `user` does not exist in this user
 * namespace (as in `unshare -Ur`), keeps the uid but drops every capability.
 * Not root: only no_new_privs, there is nothing else to give up.
 * Returns 0 with what happened in `done`, or -1 with one sentence in `why`.
 */
int privileges_drop(const char *user, char *done, size_t done_len, char *why, size_t why_len);

#endif
