// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for AF_NEXUS datagram sockets: the receive queue bound
 * arithmetic, target resolution, the peer bookkeeping behind connect(),
 * and charging/uncharging of queued datagrams, on kernel sockets.
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus_kunit.h"

/* Ports no selftest or other suite uses. */
#define DG_PORT		NEXUS_KUNIT_PORTS_DGRAM

/* ---- the queue bound ---- */

static void rcvq_empty_always_takes_one(struct kunit *test)
{
	/* Even a datagram far larger than the buffer, even with qlen 0. */
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(0, 512, 0, 4096, 1 << 20));
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(0, 0, 0, 0, 1));
}

static void rcvq_length_bound(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(511, 512, 0, U32_MAX, 1));
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(512, 512, 0, U32_MAX, 1));
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(513, 512, 0, U32_MAX, 1));
	/* dgram_qlen 0 behaves as 1. */
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(1, 0, 0, U32_MAX, 1));
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(1, 1, 0, U32_MAX, 1));
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(1, 2, 0, U32_MAX, 1));
}

static void rcvq_byte_bound(struct kunit *test)
{
	/* Exactly filling the buffer is allowed, one byte more is not. */
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(1, 512, 3000, 4000, 1000));
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(1, 512, 3000, 4000, 1001));
	KUNIT_EXPECT_FALSE(test, nexus_dgram_rcvq_full(1, 512, 4000, 4000, 0));
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(1, 512, 4000, 4000, 1));
	/* No wrap-around of rbytes + charge. */
	KUNIT_EXPECT_TRUE(test, nexus_dgram_rcvq_full(1, 512, U32_MAX - 10,
						      U32_MAX - 5, 100));
}

/* ---- kernel socket helpers ---- */

static struct socket *dg_sock(struct kunit *test, int type)
{
	return nexus_kunit_sock(test, &init_net, type);
}

static struct sockaddr_nx dg_addr(u32 node, u32 port)
{
	struct sockaddr_nx sa;

	memset(&sa, 0, sizeof(sa));
	sa.snx_family = nexus_family;
	sa.snx_node = node;
	sa.snx_port = port;
	return sa;
}

static int dg_bind(struct socket *sock, u32 port)
{
	struct sockaddr_nx sa = dg_addr(NEXUS_NODE_ANY, port);

	return sock->ops->bind(sock, (NEXUS_SOCKADDR *)&sa, sizeof(sa));
}

static int dg_connect(struct socket *sock, u32 node, u32 port)
{
	struct sockaddr_nx sa = dg_addr(node, port);

	return sock->ops->connect(sock, (NEXUS_SOCKADDR *)&sa, sizeof(sa), 0);
}

static int dg_unspec(struct socket *sock)
{
	struct sockaddr_nx sa = dg_addr(0, 0);

	sa.snx_family = AF_UNSPEC;
	return sock->ops->connect(sock, (NEXUS_SOCKADDR *)&sa, sizeof(sa), 0);
}

static int dg_send(struct socket *sock, const struct sockaddr_nx *to,
		   const void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (to) {
		msg.msg_name = (void *)to;
		msg.msg_namelen = sizeof(*to);
	}
	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

static int dg_recv(struct socket *sock, struct sockaddr_nx *from, void *buf,
		   size_t len)
{
	struct msghdr msg = { .msg_name = from,
			      .msg_namelen = from ? sizeof(*from) : 0 };
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	return kernel_recvmsg(sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

static bool dg_on_list(struct sock *sk, struct sock *peer)
{
	struct nexus_sock *c;
	bool found = false;

	spin_lock(&nexus_sk(peer)->dgram_lock);
	list_for_each_entry(c, &nexus_sk(peer)->dgram_conns, dgram_conn_node)
		if (&c->sk == sk)
			found = true;
	spin_unlock(&nexus_sk(peer)->dgram_lock);
	return found;
}

/* ---- target resolution ---- */

static void resolve_foreign_node(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct sock *t = (struct sock *)1;

	KUNIT_EXPECT_EQ(test, -ENETUNREACH,
			nexus_dgram_resolve(a->sk, 77, DG_PORT, &t));
	KUNIT_EXPECT_NULL(test, t);
	nexus_kunit_release(test, a);
}

static void resolve_broadcast_needs_flag(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct sock *t = (struct sock *)1;

	KUNIT_EXPECT_EQ(test, -EACCES,
			nexus_dgram_resolve(a->sk, NEXUS_NODE_BROADCAST,
					    DG_PORT, &t));
	KUNIT_EXPECT_NULL(test, t);
	sock_set_flag(a->sk, SOCK_BROADCAST);
	t = (struct sock *)1;
	KUNIT_EXPECT_EQ(test, 0, nexus_dgram_resolve(a->sk,
						     NEXUS_NODE_BROADCAST,
						     DG_PORT, &t));
	KUNIT_EXPECT_NULL(test, t);
	nexus_kunit_release(test, a);
}

static void resolve_nothing_bound(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct sock *t = (struct sock *)1;

	KUNIT_EXPECT_EQ(test, -ECONNREFUSED,
			nexus_dgram_resolve(a->sk, NEXUS_NODE_LOCAL,
					    DG_PORT + 1, &t));
	KUNIT_EXPECT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED,
			nexus_dgram_resolve(a->sk, NEXUS_NODE_ANY,
					    NEXUS_PORT_ANY, &t));
	nexus_kunit_release(test, a);
}

static void resolve_wrong_type(struct kunit *test)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct socket *b = dg_sock(test, types[i]);
		int before = refcount_read(&b->sk->sk_refcnt);
		struct sock *t = (struct sock *)1;

		KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 2));
		KUNIT_EXPECT_EQ(test, -EPROTOTYPE,
				nexus_dgram_resolve(a->sk, NEXUS_NODE_LOCAL,
						    DG_PORT + 2, &t));
		KUNIT_EXPECT_NULL(test, t);
		/* The lookup's reference was dropped. */
		KUNIT_EXPECT_EQ(test, before, refcount_read(&b->sk->sk_refcnt));
		nexus_kunit_release(test, b);
	}
	nexus_kunit_release(test, a);
}

static void resolve_local_dgram(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	int before;
	struct sock *t;

	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 3));
	before = refcount_read(&b->sk->sk_refcnt);
	KUNIT_EXPECT_EQ(test, 0, nexus_dgram_resolve(a->sk, NEXUS_NODE_LOCAL,
						     DG_PORT + 3, &t));
	KUNIT_EXPECT_PTR_EQ(test, b->sk, t);
	KUNIT_EXPECT_EQ(test, before + 1, refcount_read(&b->sk->sk_refcnt));
	if (t)
		sock_put(t);
	/* NEXUS_NODE_ANY is this node too. */
	KUNIT_EXPECT_EQ(test, 0, nexus_dgram_resolve(a->sk, NEXUS_NODE_ANY,
						     DG_PORT + 3, &t));
	KUNIT_EXPECT_PTR_EQ(test, b->sk, t);
	if (t)
		sock_put(t);
	nexus_kunit_release(test, a);
	nexus_kunit_release(test, b);
}

/* ---- connect(): the peer reference and the peer's list ---- */

static void connect_reconnect_unspec(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	struct socket *c = dg_sock(test, SOCK_DGRAM);
	int refb, refc;

	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 10));
	KUNIT_ASSERT_EQ(test, 0, dg_bind(c, DG_PORT + 11));
	refb = refcount_read(&b->sk->sk_refcnt);
	refc = refcount_read(&c->sk->sk_refcnt);

	KUNIT_ASSERT_EQ(test, 0, dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 10));
	KUNIT_EXPECT_NE(test, 0U, nexus_sk(a->sk)->port);	/* auto-bound */
	KUNIT_EXPECT_PTR_EQ(test, b->sk, nexus_sk(a->sk)->dgram_peer);
	KUNIT_EXPECT_EQ(test, DG_PORT + 10, nexus_sk(a->sk)->peer_port);
	KUNIT_EXPECT_TRUE(test, dg_on_list(a->sk, b->sk));
	KUNIT_EXPECT_EQ(test, refb + 1, refcount_read(&b->sk->sk_refcnt));

	KUNIT_ASSERT_EQ(test, 0, dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 11));
	KUNIT_EXPECT_PTR_EQ(test, c->sk, nexus_sk(a->sk)->dgram_peer);
	KUNIT_EXPECT_FALSE(test, dg_on_list(a->sk, b->sk));
	KUNIT_EXPECT_TRUE(test, dg_on_list(a->sk, c->sk));
	KUNIT_EXPECT_EQ(test, refb, refcount_read(&b->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, refc + 1, refcount_read(&c->sk->sk_refcnt));

	/* Connecting to the same peer again changes nothing. */
	KUNIT_ASSERT_EQ(test, 0, dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 11));
	KUNIT_EXPECT_TRUE(test, dg_on_list(a->sk, c->sk));
	KUNIT_EXPECT_EQ(test, refc + 1, refcount_read(&c->sk->sk_refcnt));

	/* A failed connect leaves the association alone. */
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED,
			dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 12));
	KUNIT_EXPECT_PTR_EQ(test, c->sk, nexus_sk(a->sk)->dgram_peer);

	KUNIT_ASSERT_EQ(test, 0, dg_unspec(a));
	KUNIT_EXPECT_NULL(test, nexus_sk(a->sk)->dgram_peer);
	KUNIT_EXPECT_EQ(test, 0U, nexus_sk(a->sk)->peer_port);
	KUNIT_EXPECT_FALSE(test, dg_on_list(a->sk, c->sk));
	KUNIT_EXPECT_EQ(test, refc, refcount_read(&c->sk->sk_refcnt));

	nexus_kunit_release(test, a);
	nexus_kunit_release(test, b);
	nexus_kunit_release(test, c);
}

static void connect_self(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	char buf[4];

	KUNIT_ASSERT_EQ(test, 0, dg_bind(a, DG_PORT + 15));
	KUNIT_ASSERT_EQ(test, 0, dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 15));
	KUNIT_EXPECT_TRUE(test, dg_on_list(a->sk, a->sk));
	KUNIT_EXPECT_EQ(test, 3, dg_send(a, NULL, "abc", 3));
	KUNIT_EXPECT_EQ(test, 3, dg_recv(a, NULL, buf, sizeof(buf)));
	nexus_kunit_release(test, a);	/* must drop the reference to itself */
}

static void peer_release_reports_error(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	struct sock *bsk = b->sk;

	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 20));
	KUNIT_ASSERT_EQ(test, 0, dg_connect(a, NEXUS_NODE_LOCAL, DG_PORT + 20));
	KUNIT_EXPECT_EQ(test, 0, READ_ONCE(a->sk->sk_err));
	nexus_kunit_release(test, b);
	/* a still holds the dead peer, so that no new socket replaces it. */
	KUNIT_EXPECT_PTR_EQ(test, bsk, nexus_sk(a->sk)->dgram_peer);
	KUNIT_EXPECT_TRUE(test, nexus_sk(bsk)->dgram_closed);
	KUNIT_EXPECT_EQ(test, ECONNREFUSED, READ_ONCE(a->sk->sk_err));
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED, dg_send(a, NULL, "x", 1));
	KUNIT_EXPECT_EQ(test, 0, READ_ONCE(a->sk->sk_err));	/* once */
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED, dg_send(a, NULL, "x", 1));
	nexus_kunit_release(test, a);
}

/* ---- charging ---- */

static void queue_charges_and_uncharges(struct kunit *test)
{
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	struct sockaddr_nx to = dg_addr(NEXUS_NODE_LOCAL, DG_PORT + 30);
	struct sockaddr_nx from;
	char buf[16];

	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 30));
	KUNIT_ASSERT_EQ(test, 5, dg_send(a, &to, "hello", 5));
	KUNIT_EXPECT_GT(test, nexus_sk(b->sk)->dgram_rbytes, 5U);
	KUNIT_EXPECT_EQ(test, (int)nexus_sk(b->sk)->dgram_rbytes,
			sk_wmem_alloc_get(a->sk));
	KUNIT_EXPECT_EQ(test, 0, sk_rmem_alloc_get(b->sk));

	memset(&from, 0, sizeof(from));
	KUNIT_EXPECT_EQ(test, 5, dg_recv(b, &from, buf, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, nexus_sk(a->sk)->port, from.snx_port);
	KUNIT_EXPECT_EQ(test, NEXUS_NODE_LOCAL, from.snx_node);
	KUNIT_EXPECT_EQ(test, 0U, nexus_sk(b->sk)->dgram_rbytes);
	KUNIT_EXPECT_EQ(test, 0, sk_wmem_alloc_get(a->sk));
	nexus_kunit_release(test, a);
	nexus_kunit_release(test, b);
}

static void queue_length_bound(struct kunit *test)
{
	struct nexus_net *nn = nexus_net(&init_net);
	u32 saved = READ_ONCE(nn->dgram_qlen);
	struct socket *a = dg_sock(test, SOCK_DGRAM);
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	struct sockaddr_nx to = dg_addr(NEXUS_NODE_LOCAL, DG_PORT + 40);
	char buf[4];
	int i;

	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 40));
	WRITE_ONCE(nn->dgram_qlen, 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, 1, dg_send(a, &to, "q", 1));
	KUNIT_EXPECT_EQ(test, -EAGAIN, dg_send(a, &to, "q", 1));
	KUNIT_EXPECT_TRUE(test, nexus_sk(b->sk)->dgram_full_seen);
	KUNIT_EXPECT_EQ(test, 3U, skb_queue_len(&b->sk->sk_receive_queue));
	KUNIT_EXPECT_EQ(test, 1, dg_recv(b, NULL, buf, sizeof(buf)));
	KUNIT_EXPECT_FALSE(test, nexus_sk(b->sk)->dgram_full_seen);
	KUNIT_EXPECT_EQ(test, 1, dg_send(a, &to, "q", 1));
	WRITE_ONCE(nn->dgram_qlen, saved);
	/* Releasing a receiver with a full queue frees everything. */
	nexus_kunit_release(test, b);
	KUNIT_EXPECT_EQ(test, 0, sk_wmem_alloc_get(a->sk));
	nexus_kunit_release(test, a);
}

static void lookup_all_holds(struct kunit *test)
{
	struct socket *b = dg_sock(test, SOCK_DGRAM);
	int before = refcount_read(&b->sk->sk_refcnt);
	struct sock *found[2] = {};

	KUNIT_EXPECT_EQ(test, 0U, nexus_lookup_all(&init_net, DG_PORT + 50,
						   found, 2));
	KUNIT_ASSERT_EQ(test, 0, dg_bind(b, DG_PORT + 50));
	/* max 0: counted, nothing held */
	KUNIT_EXPECT_EQ(test, 1U, nexus_lookup_all(&init_net, DG_PORT + 50,
						   found, 0));
	KUNIT_EXPECT_EQ(test, before, refcount_read(&b->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, 1U, nexus_lookup_all(&init_net, DG_PORT + 50,
						   found, 2));
	KUNIT_EXPECT_PTR_EQ(test, b->sk, found[0]);
	KUNIT_EXPECT_EQ(test, before + 1, refcount_read(&b->sk->sk_refcnt));
	if (found[0])
		sock_put(found[0]);
	nexus_kunit_release(test, b);
}

static struct kunit_case nexus_dgram_cases[] = {
	KUNIT_CASE(rcvq_empty_always_takes_one),
	KUNIT_CASE(rcvq_length_bound),
	KUNIT_CASE(rcvq_byte_bound),
	KUNIT_CASE(resolve_foreign_node),
	KUNIT_CASE(resolve_broadcast_needs_flag),
	KUNIT_CASE(resolve_nothing_bound),
	KUNIT_CASE(resolve_wrong_type),
	KUNIT_CASE(resolve_local_dgram),
	KUNIT_CASE(connect_reconnect_unspec),
	KUNIT_CASE(connect_self),
	KUNIT_CASE(peer_release_reports_error),
	KUNIT_CASE(queue_charges_and_uncharges),
	KUNIT_CASE(queue_length_bound),
	KUNIT_CASE(lookup_all_holds),
	{}
};

static struct kunit_suite nexus_dgram_suite = {
	.name = "nexus_dgram",
	.test_cases = nexus_dgram_cases,
};

kunit_test_suites(&nexus_dgram_suite);
