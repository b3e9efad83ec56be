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

#endif /* _NEXUS_COMPAT_H */
