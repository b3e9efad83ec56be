// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the per-namespace state (nexus_addrspace): the
 * net.nexus.* sysctl handlers (sysctl.c), node classification by the node
 * sysctl, the size and spread of the port table and the per-namespace
 * socket list (proc.c).
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus_kunit.h"

static void node_kind_default(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_LOCAL,
			nexus_node_kind(&init_net, NEXUS_NODE_ANY));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_LOCAL,
			nexus_node_kind(&init_net, NEXUS_NODE_LOCAL));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_BROADCAST,
			nexus_node_kind(&init_net, NEXUS_NODE_BROADCAST));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_FOREIGN,
			nexus_node_kind(&init_net, 2));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_FOREIGN,
			nexus_node_kind(&init_net, 0xfffffffe));
}

static void node_kind_follows_node_id(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved = READ_ONCE(nn->node);

	WRITE_ONCE(nn->node, 7);
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_LOCAL, nexus_node_kind(&init_net, 7));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_LOCAL,
			nexus_node_kind(&init_net, NEXUS_NODE_ANY));
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_IS_FOREIGN,
			nexus_node_kind(&init_net, NEXUS_NODE_LOCAL));
	WRITE_ONCE(nn->node, saved);
}

/* ---- the port table's size and spread ---- */

static void table_sized_from_memory(struct kunit *test)
{
	u32 bits = nexus_port_table_bits();

	KUNIT_EXPECT_GE(test, bits, 10U);
	KUNIT_EXPECT_LE(test, bits, 20U);
	/* 2 GiB and more: at least 2^16 buckets. */
	if (totalram_pages() >= (1UL << (31 - PAGE_SHIFT)) - 65536)
		KUNIT_EXPECT_GE(test, bits, 16U);
	KUNIT_EXPECT_LT(test, nexus_port_bucket(&init_net, 12345), 1U << bits);
}

/*
 * The longest chain for @n ports first, first + stride, ...: what 100,000
 * sockets bound in one namespace would see.
 */
static u32 longest_chain(struct kunit *test, u32 first, u32 stride, u32 n)
{
	u32 size = 1U << nexus_port_table_bits();
	u16 *count = kunit_kcalloc(test, size, sizeof(*count), GFP_KERNEL);
	u32 i, max = 0;

	KUNIT_ASSERT_NOT_NULL(test, count);
	for (i = 0; i < n; i++) {
		u32 b = nexus_port_bucket(&init_net, first + i * stride);

		if (++count[b] > max)
			max = count[b];
	}
	kunit_kfree(test, count);
	return max;
}

static void table_chains_short(struct kunit *test)
{
	u32 n = 100000;
	/* Uniform hashing would give ~n/size per bucket; allow some slack. */
	u32 limit = 12 + 2 * (n >> nexus_port_table_bits());

	KUNIT_EXPECT_LE(test, longest_chain(test, 32768, 1, n), limit);
	KUNIT_EXPECT_LE(test, longest_chain(test, 1, 1, n), limit);
	KUNIT_EXPECT_LE(test, longest_chain(test, 1, 65536, n), limit);
	KUNIT_EXPECT_LE(test, longest_chain(test, 7, 1U << nexus_port_table_bits(), n),
			limit);
	KUNIT_EXPECT_LE(test, longest_chain(test, 0x80000000U, 3, n), limit);
}

/* ---- sysctl handlers, called on init_net's registered table ---- */

static struct ctl_table *find_sysctl(struct kunit *test, const char *name)
{
	struct nexus_net *nn = nexus_net(&init_net);
	struct ctl_table *t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, nn->sysctl_hdr);
	t = (struct ctl_table *)nn->sysctl_hdr->ctl_table_arg;
	for (i = 0; i < NEXUS_SYSCTL_COUNT; i++)
		if (!strcmp(t[i].procname, name))
			return &t[i];
	KUNIT_FAIL(test, "no sysctl %s", name);
	return NULL;
}

static int sysctl_write(struct kunit *test, const char *name, const char *val)
{
	struct ctl_table *t = find_sysctl(test, name);
	char buf[64];
	size_t len = strlen(val);
	loff_t pos = 0;

	if (!t)
		return -ENOENT;
	strscpy(buf, val, sizeof(buf));
	return t->proc_handler(t, 1, buf, &len, &pos);
}

static void sysctl_node(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved = READ_ONCE(nn->node);

	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "node", "0"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "node", "4294967295"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "node", "4294967296"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "node", "-1"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "node", "x"));
	KUNIT_EXPECT_EQ(test, saved, READ_ONCE(nn->node));
	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "node", "4294967294"));
	KUNIT_EXPECT_EQ(test, 4294967294U, READ_ONCE(nn->node));
	WRITE_ONCE(nn->node, saved);
}

static void sysctl_ephemeral(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 lo, hi, slo, shi;

	nexus_ephemeral_range(nn, &slo, &shi);
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "ephemeral_ports", "5000 4999"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "ephemeral_ports", "5000"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "ephemeral_ports", "0 5000"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "ephemeral_ports", "5000 4294967296"));
	/* Below unprivileged_port_start (1024). */
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "ephemeral_ports", "1000 5000"));
	nexus_ephemeral_range(nn, &lo, &hi);
	KUNIT_EXPECT_EQ(test, slo, lo);
	KUNIT_EXPECT_EQ(test, shi, hi);

	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "ephemeral_ports", "5000 4294967295"));
	nexus_ephemeral_range(nn, &lo, &hi);
	KUNIT_EXPECT_EQ(test, 5000U, lo);
	KUNIT_EXPECT_EQ(test, 4294967295U, hi);
	/* unprivileged_port_start may not pass the low end. */
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "unprivileged_port_start", "5001"));
	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "unprivileged_port_start", "5000"));
	KUNIT_EXPECT_EQ(test, 5000U, READ_ONCE(nn->unpriv_port_start));
	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "unprivileged_port_start", "1024"));

	write_seqlock(&nn->ephemeral_lock);
	WRITE_ONCE(nn->ephemeral_lo, slo);
	WRITE_ONCE(nn->ephemeral_hi, shi);
	write_sequnlock(&nn->ephemeral_lock);
}

static void sysctl_qlen_and_timeout(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 qlen = READ_ONCE(nn->dgram_qlen);
	u32 tmo = READ_ONCE(nn->connect_timeout_ms);

	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "dgram_qlen", "0"));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "dgram_qlen", "2147483648"));
	KUNIT_EXPECT_EQ(test, qlen, READ_ONCE(nn->dgram_qlen));
	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "dgram_qlen", "3"));
	KUNIT_EXPECT_EQ(test, 3U, READ_ONCE(nn->dgram_qlen));
	KUNIT_EXPECT_EQ(test, -EINVAL, sysctl_write(test, "connect_timeout_ms", "-5"));
	KUNIT_EXPECT_EQ(test, 0, sysctl_write(test, "connect_timeout_ms", "0"));
	KUNIT_EXPECT_EQ(test, 0U, READ_ONCE(nn->connect_timeout_ms));
	WRITE_ONCE(nn->dgram_qlen, qlen);
	WRITE_ONCE(nn->connect_timeout_ms, tmo);
}

/* ---- the namespace's socket list ---- */

/* Is @sk on @nn's socket list? */
static bool sock_listed(struct nexus_net *nn, struct sock *sk)
{
	struct sock *s;
	bool found = false;

	spin_lock_bh(&nn->socks_lock);
	sk_for_each(s, &nn->socks)
		if (s == sk)
			found = true;
	spin_unlock_bh(&nn->socks_lock);
	return found;
}

/* The newest socket on @nn's list (its tail), or NULL. */
static struct sock *sock_list_tail(struct nexus_net *nn)
{
	struct sock *sk;

	spin_lock_bh(&nn->socks_lock);
	sk = nn->socks_tail ? hlist_entry(nn->socks_tail, struct sock, sk_node)
			    : NULL;
	spin_unlock_bh(&nn->socks_lock);
	return sk;
}

static void sock_list_tracks_sockets(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	struct socket *a, *b, *c;
	u64 seqa, seqb;

	a = nexus_kunit_sock(test, &init_net, SOCK_DGRAM);
	b = nexus_kunit_sock(test, &init_net, SOCK_STREAM);
	seqa = nexus_sk(a->sk)->list_seq;
	seqb = nexus_sk(b->sk)->list_seq;
	KUNIT_EXPECT_NE(test, 0ULL, seqa);
	KUNIT_EXPECT_GT(test, seqb, seqa);	/* creation order */
	KUNIT_EXPECT_TRUE(test, sock_listed(nn, a->sk));
	KUNIT_EXPECT_TRUE(test, sock_listed(nn, b->sk));
	KUNIT_EXPECT_PTR_EQ(test, b->sk, sock_list_tail(nn));
	/* Removing the tail makes the one before it the tail. */
	nexus_kunit_release(test, b);
	KUNIT_EXPECT_PTR_EQ(test, a->sk, sock_list_tail(nn));
	c = nexus_kunit_sock(test, &init_net, SOCK_SEQPACKET);
	KUNIT_EXPECT_GT(test, nexus_sk(c->sk)->list_seq, seqb); /* not reused */
	KUNIT_EXPECT_PTR_EQ(test, c->sk, sock_list_tail(nn));
	/* Removing one in the middle leaves the tail. */
	nexus_kunit_release(test, a);
	KUNIT_EXPECT_PTR_EQ(test, c->sk, sock_list_tail(nn));
	KUNIT_EXPECT_TRUE(test, sock_listed(nn, c->sk));
	nexus_kunit_release(test, c);
}

/*
 * nexus_sock_list_next() walks oldest first, goes on from a socket it holds
 * even when that socket was closed meanwhile, and never returns one that
 * is gone.
 */
static void sock_list_walk(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	struct socket *a, *b, *c, *d;
	struct sock *sk = NULL, *bsk, *csk;
	int before_b = 0;

	a = nexus_kunit_sock(test, &init_net, SOCK_DGRAM);
	b = nexus_kunit_sock(test, &init_net, SOCK_STREAM);
	c = nexus_kunit_sock(test, &init_net, SOCK_DGRAM);
	d = nexus_kunit_sock(test, &init_net, SOCK_SEQPACKET);
	bsk = b->sk;
	csk = c->sk;
	/* Older sockets of the namespace may come first. */
	while ((sk = nexus_sock_list_next(nn, sk)) && sk != bsk)
		if (sk == a->sk || sk == csk || sk == d->sk)
			before_b |= sk == a->sk ? 1 : 2;
	KUNIT_ASSERT_PTR_EQ(test, bsk, sk);
	KUNIT_EXPECT_EQ(test, 1, before_b);
	/* b closed while the walk holds it: still listed; c closed: gone. */
	nexus_kunit_release(test, b);
	nexus_kunit_release(test, c);
	KUNIT_EXPECT_TRUE(test, sock_listed(nn, bsk));
	KUNIT_EXPECT_FALSE(test, sock_listed(nn, csk));
	sk = nexus_sock_list_next(nn, sk);	/* drops b, its last reference */
	KUNIT_EXPECT_PTR_EQ(test, d->sk, sk);
	KUNIT_EXPECT_FALSE(test, sock_listed(nn, bsk));
	while (sk)
		sk = nexus_sock_list_next(nn, sk);
	nexus_kunit_release(test, d);
	nexus_kunit_release(test, a);
}

static struct kunit_case nexus_addrspace_cases[] = {
	KUNIT_CASE(node_kind_default),
	KUNIT_CASE(node_kind_follows_node_id),
	KUNIT_CASE(table_sized_from_memory),
	KUNIT_CASE(table_chains_short),
	KUNIT_CASE(sysctl_node),
	KUNIT_CASE(sysctl_ephemeral),
	KUNIT_CASE(sysctl_qlen_and_timeout),
	KUNIT_CASE(sock_list_tracks_sockets),
	KUNIT_CASE(sock_list_walk),
	{}
};

static struct kunit_suite nexus_addrspace_suite = {
	.name = "nexus_addrspace",
	.test_cases = nexus_addrspace_cases,
};

kunit_test_suites(&nexus_addrspace_suite);
