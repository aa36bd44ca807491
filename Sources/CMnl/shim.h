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
#endif
