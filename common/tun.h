/* Opening a Linux TUN device: the part of the project that plays the role of
 * the `tun_tap` crate in the original post. */
#ifndef ICMP_STEPS_TUN_H
#define ICMP_STEPS_TUN_H

#include <stddef.h>

/*
 * Creates (or attaches to) the TUN device `name` in "no packet info" mode:
 * every read() returns one whole IP packet and every write() sends one.
 * Returns the file descriptor, or -1 with one sentence in `why` that tells
 * the user what to do next.
 */
int tun_open(const char *name, char *why, size_t why_len);

/* The sentence for an errno from open("/dev/net/tun"), and for one from
 * ioctl(TUNSETIFF) on `name`: step 01, which opens the device by hand,
 * says the same as every later step. */
void tun_explain_open_error(int error, char *why, size_t why_len);
void tun_explain_create_error(int error, const char *name, char *why, size_t why_len);

/* The MTU of the device `name` (SIOCGIFMTU, which needs no privileges, on
 * `sock`, any AF_INET datagram socket in the device's namespace): the
 * largest packet we may write to it. Returns it, or 0 if the kernel would
 * not say (the device is gone). */
unsigned tun_mtu(int sock, const char *name);

#endif
