// libmnl and the kernel UAPI headers ValonKit/WireGuard speaks:
// generic netlink (linux/genetlink.h), rtnetlink (linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h) and WireGuard's genl family (linux/wireguard.h).
#ifndef VALON_CMNL_SHIM_H
#define VALON_CMNL_SHIM_H
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <sys/socket.h>
#include <spawn.h>

// Constants Glibc's Swift module does not export, with their headers' values: socket(7)
// options from <asm-generic/socket.h>, and posix_spawn(3)'s GNU flag POSIX_SPAWN_SETSID
// (glibc 2.26, <spawn.h> under __USE_GNU).
static const int valon_so_peercred = SO_PEERCRED;
static const int valon_so_bindtodevice = SO_BINDTODEVICE;
#ifdef POSIX_SPAWN_SETSID
static const short valon_posix_spawn_setsid = POSIX_SPAWN_SETSID;
#else
static const short valon_posix_spawn_setsid = 0x80;
#endif
#endif
