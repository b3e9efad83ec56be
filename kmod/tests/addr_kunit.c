// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for nexus addresses: address validation (nexus_addr) and
 * the port table (nexus_table), see addr.c.
 *
 * Built into nexus_kunit.ko with the other suites against kernels with
 * CONFIG_KUNIT; they call the internals nexus.ko exports in that
 * configuration only, into the EXPORTED_FOR_KUNIT_TESTING namespace (see
 * kmod/nexus.h), which the module imports below.
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus_kunit.h"

/* ---- address validation ---- */

static struct sockaddr_nx good_addr(void)
{
	struct sockaddr_nx sa = {
		.snx_family = 0,
		.snx_port = 7,
		.snx_node = NEXUS_NODE_LOCAL,
	};

	sa.snx_family = nexus_family;
	return sa;
}

static int check(const struct sockaddr_nx *sa, int len, bool unspec)
{
	return nexus_addr_check((const struct sockaddr *)sa, len, unspec);
}

static void addr_good(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();

	KUNIT_EXPECT_EQ(test, 0, check(&sa, sizeof(sa), false));
	KUNIT_EXPECT_EQ(test, 0, check(&sa, sizeof(sa), true));
	KUNIT_EXPECT_EQ(test, 0, check(&sa, 128, false));
}

static void addr_short_len(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();
	int len;

	for (len = -1; len < (int)sizeof(sa); len++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, check(&sa, len, false),
				    "len %d", len);
}

static void addr_len_checked_before_family(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();

	sa.snx_family = AF_INET;	/* garbage family, short length */
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&sa, 0, false));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&sa, 1, true));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&sa, 8, false));
}

static void addr_wrong_family(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();

	sa.snx_family = AF_INET;
	KUNIT_EXPECT_EQ(test, -EAFNOSUPPORT, check(&sa, sizeof(sa), false));
	KUNIT_EXPECT_EQ(test, -EAFNOSUPPORT, check(&sa, sizeof(sa), true));
	sa.snx_family = AF_UNSPEC;
	KUNIT_EXPECT_EQ(test, -EAFNOSUPPORT, check(&sa, sizeof(sa), false));
}

static void addr_unspec(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();

	sa.snx_family = AF_UNSPEC;
	KUNIT_EXPECT_EQ(test, 1, check(&sa, sizeof(sa), true));
	KUNIT_EXPECT_EQ(test, 1, check(&sa, 2, true));
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&sa, 2, false));
	/* AF_UNSPEC ignores the rest, like TCP and UDP. */
	sa.snx_reserved = 3;
	KUNIT_EXPECT_EQ(test, 1, check(&sa, sizeof(sa), true));
}

static void addr_reserved_nonzero(struct kunit *test)
{
	struct sockaddr_nx sa = good_addr();
	int i;

	sa.snx_reserved = 0x100;
	KUNIT_EXPECT_EQ(test, -EINVAL, check(&sa, sizeof(sa), false));
	for (i = 0; i < sizeof(sa.snx_zero); i++) {
		sa = good_addr();
		sa.snx_zero[i] = 1;
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, check(&sa, sizeof(sa), false),
				    "byte %d", i);
	}
}

static struct kunit_case nexus_addr_cases[] = {
	KUNIT_CASE(addr_good),
	KUNIT_CASE(addr_short_len),
	KUNIT_CASE(addr_len_checked_before_family),
	KUNIT_CASE(addr_wrong_family),
	KUNIT_CASE(addr_unspec),
	KUNIT_CASE(addr_reserved_nonzero),
	{}
};

static struct kunit_suite nexus_addr_suite = {
	.name = "nexus_addr",
	.test_cases = nexus_addr_cases,
};

/* ---- the port table ---- */

#define TEST_PORT_BASE	NEXUS_KUNIT_PORTS_TABLE

static struct sock *new_sock(struct kunit *test, int type)
{
	return nexus_kunit_sock(test, &init_net, type)->sk;
}

static void free_sock(struct kunit *test, struct sock *sk)
{
	nexus_kunit_release(test, sk->sk_socket);
}

static int bind_locked(struct sock *sk, u32 port)
{
	int err;

	lock_sock(sk);
	err = port ? nexus_bind_port(sk, port) : nexus_autobind(sk);
	release_sock(sk);
	return err;
}

static void table_bind_lookup_unbind(struct kunit *test)
{
	struct sock *sk = new_sock(test, SOCK_DGRAM), *found;

	KUNIT_EXPECT_NULL(test, nexus_lookup(&init_net, TEST_PORT_BASE));
	KUNIT_ASSERT_EQ(test, 0, bind_locked(sk, TEST_PORT_BASE));
	KUNIT_EXPECT_EQ(test, TEST_PORT_BASE, nexus_sk(sk)->port);
	KUNIT_EXPECT_TRUE(test, nexus_sk(sk)->hashed);

	found = nexus_lookup(&init_net, TEST_PORT_BASE);
	KUNIT_EXPECT_PTR_EQ(test, sk, found);
	if (found)
		sock_put(found);
	KUNIT_EXPECT_NULL(test, nexus_lookup(&init_net, TEST_PORT_BASE + 1));

	lock_sock(sk);
	nexus_unbind(sk);
	release_sock(sk);
	KUNIT_EXPECT_FALSE(test, nexus_sk(sk)->hashed);
	KUNIT_EXPECT_NULL(test, nexus_lookup(&init_net, TEST_PORT_BASE));
	free_sock(test, sk);
}

static void table_port_shared_by_types(struct kunit *test)
{
	struct sock *a = new_sock(test, SOCK_STREAM);
	struct sock *b = new_sock(test, SOCK_DGRAM);
	struct sock *c = new_sock(test, SOCK_SEQPACKET);

	KUNIT_EXPECT_EQ(test, 0, bind_locked(a, TEST_PORT_BASE + 10));
	KUNIT_EXPECT_EQ(test, -EADDRINUSE, bind_locked(b, TEST_PORT_BASE + 10));
	KUNIT_EXPECT_EQ(test, -EADDRINUSE, bind_locked(c, TEST_PORT_BASE + 10));
	KUNIT_EXPECT_EQ(test, 0, nexus_sk(b)->port);
	KUNIT_EXPECT_FALSE(test, nexus_sk(b)->hashed);
	free_sock(test, a);
	/* release unbinds */
	KUNIT_EXPECT_EQ(test, 0, bind_locked(b, TEST_PORT_BASE + 10));
	free_sock(test, b);
	free_sock(test, c);
}

static void table_namespaces_disjoint(struct kunit *test)
{
	struct sock *sk = new_sock(test, SOCK_DGRAM);
	struct net *other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	struct sock *found;

	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, 0, bind_locked(sk, TEST_PORT_BASE + 20));
	/* A lookup keyed by another namespace never matches. */
	found = nexus_lookup(other, TEST_PORT_BASE + 20);
	KUNIT_EXPECT_NULL(test, found);
	if (found)
		sock_put(found);
	free_sock(test, sk);
}

/* Exhaust a three-port ephemeral range; the fourth autobind fails. */
static void table_ephemeral_exhaustion(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved_lo = nn->ephemeral_lo, saved_hi = nn->ephemeral_hi;
	struct sock *sks[4];
	bool seen[3] = {};
	int i;

	WRITE_ONCE(nn->ephemeral_lo, TEST_PORT_BASE + 100);
	WRITE_ONCE(nn->ephemeral_hi, TEST_PORT_BASE + 102);
	for (i = 0; i < 4; i++)
		sks[i] = new_sock(test, SOCK_DGRAM);
	for (i = 0; i < 3; i++) {
		u32 port;

		KUNIT_EXPECT_EQ(test, 0, bind_locked(sks[i], 0));
		port = nexus_sk(sks[i])->port;
		KUNIT_EXPECT_GE(test, port, TEST_PORT_BASE + 100);
		KUNIT_EXPECT_LE(test, port, TEST_PORT_BASE + 102);
		if (port >= TEST_PORT_BASE + 100 && port <= TEST_PORT_BASE + 102)
			seen[port - TEST_PORT_BASE - 100] = true;
	}
	KUNIT_EXPECT_TRUE(test, seen[0] && seen[1] && seen[2]);
	KUNIT_EXPECT_EQ(test, -EADDRNOTAVAIL, bind_locked(sks[3], 0));
	KUNIT_EXPECT_EQ(test, 0, nexus_sk(sks[3])->port);
	KUNIT_EXPECT_FALSE(test, nexus_sk(sks[3])->hashed);

	/* A freed port is found again. */
	free_sock(test, sks[1]);
	KUNIT_EXPECT_EQ(test, 0, bind_locked(sks[3], 0));

	WRITE_ONCE(nn->ephemeral_lo, saved_lo);
	WRITE_ONCE(nn->ephemeral_hi, saved_hi);
	free_sock(test, sks[0]);
	free_sock(test, sks[2]);
	free_sock(test, sks[3]);
}

/* The whole 32-bit range: no overflow in the probing arithmetic. */
static void table_ephemeral_full_range(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved_lo = nn->ephemeral_lo, saved_hi = nn->ephemeral_hi;
	struct sock *sk = new_sock(test, SOCK_STREAM);

	WRITE_ONCE(nn->ephemeral_lo, 1);
	WRITE_ONCE(nn->ephemeral_hi, U32_MAX);
	KUNIT_EXPECT_EQ(test, 0, bind_locked(sk, 0));
	KUNIT_EXPECT_NE(test, 0U, nexus_sk(sk)->port);
	WRITE_ONCE(nn->ephemeral_lo, saved_lo);
	WRITE_ONCE(nn->ephemeral_hi, saved_hi);
	free_sock(test, sk);
}

static void table_ephemeral_bad_range(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved_lo = nn->ephemeral_lo, saved_hi = nn->ephemeral_hi;
	struct sock *sk = new_sock(test, SOCK_STREAM);

	WRITE_ONCE(nn->ephemeral_lo, 10);
	WRITE_ONCE(nn->ephemeral_hi, 9);
	KUNIT_EXPECT_EQ(test, -EADDRNOTAVAIL, bind_locked(sk, 0));
	WRITE_ONCE(nn->ephemeral_lo, saved_lo);
	WRITE_ONCE(nn->ephemeral_hi, saved_hi);
	free_sock(test, sk);
}

static struct kunit_case nexus_table_cases[] = {
	KUNIT_CASE(table_bind_lookup_unbind),
	KUNIT_CASE(table_port_shared_by_types),
	KUNIT_CASE(table_namespaces_disjoint),
	KUNIT_CASE(table_ephemeral_exhaustion),
	KUNIT_CASE(table_ephemeral_full_range),
	KUNIT_CASE(table_ephemeral_bad_range),
	{}
};

static struct kunit_suite nexus_table_suite = {
	.name = "nexus_table",
	.test_cases = nexus_table_cases,
};

kunit_test_suites(&nexus_addr_suite, &nexus_table_suite);

MODULE_DESCRIPTION("KUnit tests for AF_NEXUS");
MODULE_LICENSE("GPL");
/* The namespace's name is a string literal from 6.13, an identifier before. */
#ifdef NEXUS_HAVE_IMPORT_NS_IDENT
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
#else
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
#endif
