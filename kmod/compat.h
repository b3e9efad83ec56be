/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, decided by the compile-time probes in
 * kmod/probes/ (run by Kbuild, which defines NEXUS_HAVE_<PROBE> for each
 * probe that compiles). Never by LINUX_VERSION_CODE: distribution kernels
 * carry backports.
 */
#ifndef _NEXUS_COMPAT_H
#define _NEXUS_COMPAT_H

#include <linux/net.h>

/* bind() and connect() take struct sockaddr_unsized from 6.19 on. */
#ifdef NEXUS_HAVE_SOCKADDR_UNSIZED
#define NEXUS_SOCKADDR	struct sockaddr_unsized
#else
#define NEXUS_SOCKADDR	struct sockaddr
#endif

/* accept() takes struct proto_accept_arg from 6.10 on. */
#ifdef NEXUS_HAVE_PROTO_ACCEPT_ARG
#define NEXUS_ACCEPT_PARAMS \
	struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg
#define NEXUS_ACCEPT_FLAGS	(arg->flags)
#define NEXUS_ACCEPT_KERN	(arg->kern)
#else
#define NEXUS_ACCEPT_PARAMS \
	struct socket *sock, struct socket *newsock, int flags, bool kern
#define NEXUS_ACCEPT_FLAGS	(flags)
#define NEXUS_ACCEPT_KERN	(kern)
#endif

/*
 * Sysctl tables: from 6.6 on they are registered with their size
 * (register_net_sysctl_sz()), and later kernels reject the empty sentinel
 * entry that terminated them before. NEXUS_CTL_SENTINEL ends a table only
 * where the size is not passed.
 */
#ifdef NEXUS_HAVE_REGISTER_NET_SYSCTL_SZ
#define nexus_register_net_sysctl(net, path, table, n) \
	register_net_sysctl_sz(net, path, table, n)
#define NEXUS_CTL_SENTINEL
#else
#define nexus_register_net_sysctl(net, path, table, n) \
	register_net_sysctl(net, path, table)
#define NEXUS_CTL_SENTINEL	{ }
#endif

/* proc_handler takes a const struct ctl_table from 6.11 on. */
#ifdef NEXUS_HAVE_CTL_TABLE_CONST
#define NEXUS_CTL_TABLE		const struct ctl_table
#else
#define NEXUS_CTL_TABLE		struct ctl_table
#endif

/* The socket owner's uid: sk_uid() from 6.16 on, sock_i_uid() before. */
#ifdef NEXUS_HAVE_SK_UID
#define nexus_sk_uid(sk)	sk_uid(sk)
#else
#define nexus_sk_uid(sk)	sock_i_uid(sk)
#endif

/*
 * A workqueue names its kind from 6.17 on: WQ_PERCPU for the per-CPU kind
 * that used to be the default (later kernels warn when a workqueue passes
 * neither WQ_PERCPU nor WQ_UNBOUND). Before, per-CPU is what 0 means.
 */
#ifdef NEXUS_HAVE_WQ_PERCPU
#define NEXUS_WQ_PERCPU		WQ_PERCPU
#else
#define NEXUS_WQ_PERCPU		0
#endif

#endif /* _NEXUS_COMPAT_H */
