#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>                 /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char TUN_CLONE_DEVICE[] = "/dev/net/tun";

void tun_explain_open_error(int error, char *why, size_t why_len)
{
    switch (error) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        snprintf(why, why_len, "%s does not exist: load the tun driver with "
                 "'sudo modprobe tun' and try again.", TUN_CLONE_DEVICE);
        break;
    case EACCES:
    case EPERM:
        snprintf(why, why_len, "no permission to open %s: run as root (sudo), or make it "
                 "usable by all with 'sudo chmod 0666 %s' as Debian and Ubuntu ship it.",
                 TUN_CLONE_DEVICE, TUN_CLONE_DEVICE);
        break;
    default:
        snprintf(why, why_len, "cannot open %s (%s).", TUN_CLONE_DEVICE, strerror(error));
    }
}

/* A number from /sys/class/net/NAME/FILE, or `otherwise`. */
static long sysfs_number(const char *name, const char *file, long otherwise)
{
    char path[64], text[32];
    FILE *f;

    snprintf(path, sizeof path, "/sys/class/net/%s/%s", name, file);
    if (!(f = fopen(path, "re")))
        return otherwise;
    if (!fgets(text, sizeof text, f))
        text[0] = '\0';
    fclose(f);
    return text[0] ? strtol(text, NULL, 10) : otherwise;
}

/* `ip tuntap add ... user U group G` makes a tun that only U, in group G,
 * may attach to without CAP_NET_ADMIN (tun_not_capable() in
 * drivers/net/tun.c wants both when both are set): say whose it is. The
 * owner is in sysfs (-1: nobody in particular), if /sys shows this network
 * namespace, which the interface index tells. */
static void explain_owned_tun(const char *name, char *why, size_t why_len)
{
    long owner = -1, group = -1;

    if (sysfs_number(name, "ifindex", 0) == (long)if_nametoindex(name)) {
        owner = sysfs_number(name, "owner", -1);
        group = sysfs_number(name, "group", -1);
    }
    if (owner >= 0 && group >= 0)   /* the kernel then asks for both */
        snprintf(why, why_len, "%s exists and belongs to uid %ld and group %ld: run as that "
                 "user, in that group, or choose another name with -i.", name, owner, group);
    else if (owner >= 0)
        snprintf(why, why_len, "%s exists and belongs to uid %ld: run as that user, or choose "
                 "another name with -i.", name, owner);
    else if (group >= 0)
        snprintf(why, why_len, "%s exists and belongs to group %ld: run in that group, or "
                 "choose another name with -i.", name, group);
    else
        snprintf(why, why_len, "%s exists and belongs to another user or group: run as its "
                 "owner, or choose another name with -i.", name);
}

void tun_explain_create_error(int error, const char *name, char *why, size_t why_len)
{
    if ((error == EPERM || error == EACCES) && if_nametoindex(name) != 0) {
        explain_owned_tun(name, why, why_len);
        return;
    }
    switch (error) {
    case EPERM:
    case EACCES:
        snprintf(why, why_len, "no permission to create %s (it needs CAP_NET_ADMIN): run as "
                 "root, inside the lab ('make lab STEP=NN'), or create it for yourself with "
                 "'sudo ip tuntap add mode tun user $USER name %s'.", name, name);
        break;
    case EBUSY:
        snprintf(why, why_len, "%s is already in use by another program: stop that program, "
                 "or choose another name with -i.", name);
        break;
    case EINVAL:
        snprintf(why, why_len, "%s exists and is not a tun device: choose another name "
                 "with -i.", name);
        break;
    default:
        snprintf(why, why_len, "cannot create %s (%s).", name, strerror(error));
    }
}

int tun_open(const char *name, char *why, size_t why_len)
{
    struct ifreq request;

    /* The kernel keeps names in IFNAMSIZ bytes, the final NUL included. */
    if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ) {
        snprintf(why, why_len, "'%s' cannot be an interface name: use 1 to %d characters, "
                 "for example -i tun0.", name, IFNAMSIZ - 1);
        return -1;
    }

    int fd = open(TUN_CLONE_DEVICE, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        tun_explain_open_error(errno, why, why_len);
        return -1;
    }

    /* IFF_TUN: IP packets, no Ethernet header. IFF_NO_PI: no 4-byte
     * "packet information" prefix, so byte 0 of a read is the IP header. */
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TUN | IFF_NO_PI;
    memcpy(request.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int error = errno;
        close(fd);
        tun_explain_create_error(error, name, why, why_len);
        return -1;
    }
    return fd;
}

unsigned tun_mtu(int sock, const char *name)
{
    struct ifreq request;

    memset(&request, 0, sizeof request);
    snprintf(request.ifr_name, sizeof request.ifr_name, "%s", name);
    if (ioctl(sock, SIOCGIFMTU, &request) < 0 || request.ifr_mtu <= 0)
        return 0;
    return (unsigned)request.ifr_mtu;
}
