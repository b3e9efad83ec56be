/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the KUnit suites of nexus_kunit.ko: each suite's port range,
 * and kernel sockets that are released even when an assertion ends a case
 * early.
 *
 * Every socket a case creates or accepts is a KUnit resource of that case
 * (6.1 has no kunit_add_action(); kunit_alloc_resource() is its
 * equivalent there): nexus_kunit_release() releases one at the point the
 * case wants it gone, and whatever is still tracked when the case ends,
 * normally or by a failed KUNIT_ASSERT_*, is released by KUnit.
 */
#ifndef _NEXUS_KUNIT_H
#define _NEXUS_KUNIT_H

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/net.h>
#include <net/net_namespace.h>

#include "../nexus.h"

/*
 * Port ranges, one per suite, so that a socket one suite leaks (a bug the
 * suite reports) never makes another suite's bind() fail.
 */
#define NEXUS_KUNIT_PORTS_TABLE		4000000000U	/* addr_kunit.c */
#define NEXUS_KUNIT_PORTS_STREAM	4100000000U	/* stream_kunit.c */
#define NEXUS_KUNIT_PORTS_STREAM_STATE	4110000000U	/* stream_kunit.c */
#define NEXUS_KUNIT_PORTS_DGRAM		4120000000U	/* dgram_kunit.c */

static inline void nexus_kunit_sock_free(struct kunit_resource *res)
{
	sock_release(res->data);
}

static inline bool nexus_kunit_sock_match(struct kunit *test,
					  struct kunit_resource *res,
					  void *sock)
{
	return res->free == nexus_kunit_sock_free && res->data == sock;
}

/* Track @sock (created or accepted by the case) as a resource of @test. */
static inline void nexus_kunit_track(struct kunit *test, struct socket *sock)
{
	if (!kunit_alloc_resource(test, NULL, nexus_kunit_sock_free,
				  GFP_KERNEL, sock)) {
		sock_release(sock);
		KUNIT_ASSERT_FAILURE(test, "no memory to track a socket");
	}
}

/* A new nexus kernel socket of @type in @net, released with the case. */
static inline struct socket *nexus_kunit_sock(struct kunit *test,
					      struct net *net, int type)
{
	struct socket *sock;

	KUNIT_ASSERT_EQ(test, 0, sock_create_kern(net, nexus_family, type, 0,
						  &sock));
	nexus_kunit_track(test, sock);
	return sock;
}

/* Release @sock now (and stop tracking it). */
static inline void nexus_kunit_release(struct kunit *test,
				       struct socket *sock)
{
	if (kunit_destroy_resource(test, nexus_kunit_sock_match, sock))
		sock_release(sock);	/* was not tracked */
}

#endif /* _NEXUS_KUNIT_H */
