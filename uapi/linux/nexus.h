/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_NEXUS: a local IPC socket family addressed by (node, port).
 *
 * This is the userspace ABI of the out-of-tree nexus module. Its types have
 * fixed sizes and no padding holes; reserved fields must be zero and are
 * checked by the kernel (EINVAL otherwise) so that they can be given a
 * meaning later without breaking old binaries. The shapes below never change.
 */
#ifndef _UAPI_LINUX_NEXUS_H
#define _UAPI_LINUX_NEXUS_H

#include <linux/types.h>
#include <linux/socket.h>	/* __kernel_sa_family_t */

/*
 * The address family number. A loadable module can only use a slot below
 * the kernel's AF_MAX that no in-tree family registers; 22 (AF_SNA) was
 * reserved for a project that never reached mainline. The module parameter
 * "family" moves it; the active number is readable from
 * /sys/module/nexus/parameters/family.
 */
#define AF_NEXUS	22
#define PF_NEXUS	AF_NEXUS

/* setsockopt()/getsockopt() level for the options below. */
#define SOL_NEXUS	299

/* Ports: 32 bits. 0 asks bind() for an ephemeral port. */
#define NEXUS_PORT_ANY		0U
/* Nodes: 32 bits, one node per network namespace. */
#define NEXUS_NODE_ANY		0U		/* this node */
#define NEXUS_NODE_LOCAL	1U		/* default node id */
#define NEXUS_NODE_BROADCAST	0xffffffffU	/* every node (datagram) */

/*
 * The socket address: 16 bytes, like struct sockaddr_vm. snx_reserved and
 * snx_zero must be zero.
 */
struct sockaddr_nx {
	__kernel_sa_family_t	snx_family;	/* AF_NEXUS */
	__u16			snx_reserved;	/* must be zero */
	__u32			snx_port;
	__u32			snx_node;
	__u8			snx_zero[4];	/* must be zero */
};

/*
 * SOL_NEXUS options.
 *
 * NEXUS_CONNECT_TIMEOUT: __u64, milliseconds. How long a connection
 *	attempt may wait for room in the listener's accept queue before it
 *	fails with ETIMEDOUT. 0 means no limit. The default is the
 *	namespace's net.nexus.connect_timeout_ms sysctl.
 */
#define NEXUS_CONNECT_TIMEOUT	1

#endif /* _UAPI_LINUX_NEXUS_H */
