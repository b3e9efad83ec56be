// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header compiled as C++ (linked into uapi_test): it must build
 * with only <linux/...> and <sys/socket.h>, and its layout is fixed.
 */
#include <sys/socket.h>
#include <unistd.h>
#include <linux/nexus.h>
#include <cstddef>

static_assert(sizeof(struct sockaddr_nx) == 16, "sockaddr_nx is 16 bytes");
static_assert(alignof(struct sockaddr_nx) == 4, "sockaddr_nx alignment");
static_assert(offsetof(struct sockaddr_nx, snx_family) == 0, "family at 0");
static_assert(offsetof(struct sockaddr_nx, snx_reserved) == 2, "reserved at 2");
static_assert(offsetof(struct sockaddr_nx, snx_port) == 4, "port at 4");
static_assert(offsetof(struct sockaddr_nx, snx_node) == 8, "node at 8");
static_assert(offsetof(struct sockaddr_nx, snx_zero) == 12, "zero at 12");
static_assert(sizeof(struct sockaddr_nx) <= sizeof(struct sockaddr_storage),
	      "fits sockaddr_storage");
static_assert(AF_NEXUS == PF_NEXUS, "PF_NEXUS");
static_assert(NEXUS_NODE_ANY == 0 && NEXUS_NODE_LOCAL == 1, "node ids");
static_assert(NEXUS_NODE_BROADCAST == 0xffffffffU, "broadcast node");
static_assert(NEXUS_PORT_ANY == 0, "wildcard port");

/* Binds a datagram socket from C++; returns the port or -1. */
extern "C" long nx_cxx_bind_any(int family)
{
	sockaddr_nx sa = sockaddr_nx();
	socklen_t len = sizeof(sa);
	int fd = socket(family, SOCK_DGRAM, 0);
	long port = -1;

	if (fd < 0)
		return -1;
	sa.snx_family = static_cast<__kernel_sa_family_t>(family);
	sa.snx_node = NEXUS_NODE_LOCAL;
	sa.snx_port = NEXUS_PORT_ANY;
	if (!bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) &&
	    !getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len))
		port = sa.snx_port;
	close(fd);
	return port;
}
