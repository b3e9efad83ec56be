// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the stream/seqpacket state machine: the internal
 * transitions behind connect(), listen(), accept() and close(), checked on
 * kernel sockets through the socket API and the fields of struct
 * nexus_sock (see the state table at the top of stream.c).
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/net.h>
#include <linux/sockptr.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus_kunit.h"

#define KPORT_BASE	NEXUS_KUNIT_PORTS_STREAM

static struct socket *ksock(struct kunit *test, int type)
{
	return nexus_kunit_sock(test, &init_net, type);
}

/* kernel_accept(), the new socket released with the case. */
static int kaccept(struct kunit *test, struct socket *l, struct socket **n)
{
	int err = kernel_accept(l, n, 0);

	if (!err)
		nexus_kunit_track(test, *n);
	return err;
}

static int kconnect(struct socket *sock, u32 port, int flags)
{
	struct sockaddr_nx sa = {};

	sa.snx_family = nexus_family;
	sa.snx_port = port;
	return kernel_connect(sock, (struct sockaddr *)&sa, sizeof(sa), flags);
}

static int kunspec(struct socket *sock)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return kernel_connect(sock, &sa, sizeof(sa), 0);
}

static struct socket *klistener(struct kunit *test, u32 port, int backlog)
{
	struct socket *l = ksock(test, SOCK_STREAM);
	struct sockaddr_nx sa = {};

	sa.snx_family = nexus_family;
	sa.snx_port = port;
	KUNIT_ASSERT_EQ(test, 0, kernel_bind(l, (struct sockaddr *)&sa,
					     sizeof(sa)));
	KUNIT_ASSERT_EQ(test, 0, kernel_listen(l, backlog));
	return l;
}

static void listen_transitions(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE, 3);
	struct sock *sk = l->sk;

	KUNIT_EXPECT_EQ(test, TCP_LISTEN, sk->sk_state);
	KUNIT_EXPECT_EQ(test, 3U, sk->sk_max_ack_backlog);
	KUNIT_EXPECT_EQ(test, 0, kernel_listen(l, 7));
	KUNIT_EXPECT_EQ(test, 7U, sk->sk_max_ack_backlog);
	KUNIT_EXPECT_EQ(test, 0, kunspec(l));		/* stops listening */
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, sk->sk_state);
	KUNIT_EXPECT_TRUE(test, nexus_sk(sk)->hashed);	/* keeps its port */
	nexus_kunit_release(test, l);
}

static void establish_at_once(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 1, 1);
	struct socket *c = ksock(test, SOCK_STREAM), *n = NULL;
	struct nexus_sock *nc = nexus_sk(c->sk), *nl = nexus_sk(l->sk);
	struct sock *child;

	KUNIT_ASSERT_EQ(test, 0, kconnect(c, KPORT_BASE + 1, 0));
	KUNIT_EXPECT_EQ(test, TCP_ESTABLISHED, c->sk->sk_state);
	child = nc->peer;
	KUNIT_ASSERT_NOT_NULL(test, child);
	KUNIT_EXPECT_PTR_EQ(test, c->sk, nexus_sk(child)->peer);
	KUNIT_EXPECT_EQ(test, TCP_ESTABLISHED, child->sk_state);
	KUNIT_EXPECT_EQ(test, 1U, l->sk->sk_ack_backlog);
	KUNIT_EXPECT_FALSE(test, list_empty(&nl->accept_q));
	KUNIT_EXPECT_NULL(test, nc->child);
	KUNIT_EXPECT_NULL(test, nc->listener);
	KUNIT_EXPECT_EQ(test, KPORT_BASE + 1, nexus_sk(child)->port);
	KUNIT_EXPECT_EQ(test, nc->port, nexus_sk(child)->peer_port);

	KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));
	KUNIT_EXPECT_PTR_EQ(test, child, n->sk);
	KUNIT_EXPECT_EQ(test, 0U, l->sk->sk_ack_backlog);
	KUNIT_EXPECT_TRUE(test, list_empty(&nl->accept_q));

	nexus_kunit_release(test, c);
	/* The server end saw an orderly close. */
	KUNIT_EXPECT_EQ(test, SHUTDOWN_MASK, (int)n->sk->sk_shutdown);
	KUNIT_EXPECT_EQ(test, 0, n->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nexus_sk(n->sk)->peer);
	nexus_kunit_release(test, n);
	nexus_kunit_release(test, l);
}

static void pending_then_promoted_by_accept(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 2, 0);
	struct socket *c1 = ksock(test, SOCK_STREAM);
	struct socket *c2 = ksock(test, SOCK_STREAM), *n = NULL;
	struct nexus_sock *nc2 = nexus_sk(c2->sk);
	struct nexus_sock *nl = nexus_sk(l->sk);

	KUNIT_ASSERT_EQ(test, 0, kconnect(c1, KPORT_BASE + 2, 0));
	KUNIT_EXPECT_EQ(test, -EINPROGRESS,
			kconnect(c2, KPORT_BASE + 2, O_NONBLOCK));
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, c2->sk->sk_state);
	KUNIT_EXPECT_PTR_EQ(test, l->sk, nc2->listener);
	KUNIT_EXPECT_NOT_NULL(test, nc2->child);
	KUNIT_EXPECT_FALSE(test, list_empty(&nl->pending_q));
	KUNIT_EXPECT_EQ(test, -EALREADY,
			kconnect(c2, KPORT_BASE + 2, O_NONBLOCK));

	KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));	/* c1's */
	KUNIT_EXPECT_PTR_EQ(test, c1->sk, nexus_sk(n->sk)->peer);
	KUNIT_EXPECT_EQ(test, TCP_ESTABLISHED, c2->sk->sk_state);
	KUNIT_EXPECT_NULL(test, nc2->listener);
	KUNIT_EXPECT_NULL(test, nc2->child);
	KUNIT_EXPECT_TRUE(test, list_empty(&nl->pending_q));
	KUNIT_EXPECT_EQ(test, 1U, l->sk->sk_ack_backlog);
	KUNIT_EXPECT_EQ(test, -EISCONN, kconnect(c2, KPORT_BASE + 2, 0));

	nexus_kunit_release(test, n);
	nexus_kunit_release(test, c1);
	nexus_kunit_release(test, c2);
	nexus_kunit_release(test, l);
}

static void pending_refused_when_listener_closes(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 3, 0);
	struct socket *c1 = ksock(test, SOCK_SEQPACKET);
	struct socket *c2 = ksock(test, SOCK_STREAM);
	struct socket *c3 = ksock(test, SOCK_STREAM);

	/* Another type first: refused by type, the listener unchanged. */
	KUNIT_EXPECT_EQ(test, -EPROTOTYPE, kconnect(c1, KPORT_BASE + 3, 0));
	KUNIT_ASSERT_EQ(test, 0, kconnect(c2, KPORT_BASE + 3, 0));
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c3, KPORT_BASE + 3, O_NONBLOCK));
	nexus_kunit_release(test, l);
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, c3->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ECONNREFUSED, c3->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nexus_sk(c3->sk)->listener);
	/* The queued connection was reset. */
	KUNIT_EXPECT_EQ(test, ECONNRESET, c2->sk->sk_err);
	KUNIT_EXPECT_EQ(test, SHUTDOWN_MASK, (int)c2->sk->sk_shutdown);
	KUNIT_EXPECT_NULL(test, nexus_sk(c2->sk)->peer);
	/* Still bound; can connect again (refused: nobody listens). */
	KUNIT_EXPECT_NE(test, 0U, nexus_sk(c3->sk)->port);
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED, kconnect(c3, KPORT_BASE + 3, 0));
	KUNIT_EXPECT_EQ(test, 0, c3->sk->sk_err);	/* stale error cleared */
	nexus_kunit_release(test, c1);
	nexus_kunit_release(test, c2);
	nexus_kunit_release(test, c3);
}

static void pending_times_out(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 4, 0);
	struct socket *c1 = ksock(test, SOCK_STREAM);
	struct socket *c2 = ksock(test, SOCK_STREAM);
	int i;

	KUNIT_ASSERT_EQ(test, 0, kconnect(c1, KPORT_BASE + 4, 0));
	nexus_sk(c2->sk)->connect_timeout_ms = 10;
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c2, KPORT_BASE + 4, O_NONBLOCK));
	for (i = 0; i < 100 && READ_ONCE(c2->sk->sk_state) == TCP_SYN_SENT; i++)
		msleep(20);
	flush_workqueue(nexus_wq);
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ETIMEDOUT, c2->sk->sk_err);
	KUNIT_EXPECT_TRUE(test, list_empty(&nexus_sk(l->sk)->pending_q));
	/* The timer's reference is gone with the attempt. */
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));
	nexus_kunit_release(test, c1);
	nexus_kunit_release(test, c2);
	nexus_kunit_release(test, l);
}

static int ktimeout(struct socket *sock, u64 ms)
{
	return sock->ops->setsockopt(sock, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT,
				     KERNEL_SOCKPTR(&ms), sizeof(ms));
}

/*
 * Run the connect-timeout work of @sock as an instance that was already
 * running when cancel_delayed_work() tried to stop it: with the reference
 * a queued instance holds, whatever attempt is current.
 */
static void klate_timeout_work(struct socket *sock)
{
	struct work_struct *work = &nexus_sk(sock->sk)->connect_work.work;

	sock_hold(sock->sk);
	work->func(work);
}

/*
 * A timeout instance that outlived its attempt must not end a newer one:
 * neither one without a timeout (whose deadline is the old, expired one)
 * nor one whose own deadline is still ahead. It still ends an attempt
 * whose deadline has passed.
 */
static void stale_timeout_spares_newer_attempt(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 7, 0);
	struct socket *c1 = ksock(test, SOCK_STREAM);
	struct socket *c2 = ksock(test, SOCK_STREAM);
	struct nexus_sock *nc2 = nexus_sk(c2->sk);

	KUNIT_ASSERT_EQ(test, 0, kconnect(c1, KPORT_BASE + 7, 0)); /* full */

	/* Attempt 1: 1 ms, cancelled (or timed out); its deadline passes. */
	KUNIT_ASSERT_EQ(test, 0, ktimeout(c2, 1));
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c2, KPORT_BASE + 7, O_NONBLOCK));
	KUNIT_ASSERT_EQ(test, 0, kunspec(c2));
	msleep(50);
	flush_workqueue(nexus_wq);

	/* Attempt 2, without a timeout: the late instance spares it. */
	KUNIT_ASSERT_EQ(test, 0, ktimeout(c2, 0));
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c2, KPORT_BASE + 7, O_NONBLOCK));
	klate_timeout_work(c2);
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, 0, c2->sk->sk_err);
	KUNIT_EXPECT_PTR_EQ(test, l->sk, nc2->listener);
	KUNIT_ASSERT_EQ(test, 0, kunspec(c2));
	KUNIT_EXPECT_EQ(test, 0, c2->sk->sk_err);

	/* Attempt 3, with a minute to go: spared too. */
	KUNIT_ASSERT_EQ(test, 0, ktimeout(c2, 60000));
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c2, KPORT_BASE + 7, O_NONBLOCK));
	klate_timeout_work(c2);
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, 0, c2->sk->sk_err);

	/* Once its deadline has passed, the work ends it (ETIMEDOUT). */
	spin_lock(&nc2->state_lock);
	nc2->connect_deadline = jiffies - 1;
	spin_unlock(&nc2->state_lock);
	klate_timeout_work(c2);
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ETIMEDOUT, c2->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nc2->listener);
	KUNIT_EXPECT_TRUE(test, list_empty(&nexus_sk(l->sk)->pending_q));
	/* The queued instance was cancelled with its reference. */
	flush_workqueue(nexus_wq);
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));
	nexus_kunit_release(test, c1);
	nexus_kunit_release(test, c2);
	nexus_kunit_release(test, l);
}

static void dissolve_resets_peer(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 5, 1);
	struct socket *c = ksock(test, SOCK_STREAM), *n = NULL;
	int base = refcount_read(&c->sk->sk_refcnt);

	KUNIT_ASSERT_EQ(test, 0, kconnect(c, KPORT_BASE + 5, 0));
	KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));
	KUNIT_EXPECT_EQ(test, base + 1, refcount_read(&c->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, 0, kunspec(c));
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, c->sk->sk_state);
	KUNIT_EXPECT_NULL(test, nexus_sk(c->sk)->peer);
	KUNIT_EXPECT_EQ(test, 0U, nexus_sk(c->sk)->peer_port);
	KUNIT_EXPECT_EQ(test, base, refcount_read(&c->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, ECONNRESET, n->sk->sk_err);
	KUNIT_EXPECT_EQ(test, TCP_ESTABLISHED, n->sk->sk_state);
	KUNIT_EXPECT_NULL(test, nexus_sk(n->sk)->peer);
	KUNIT_EXPECT_EQ(test, 0, kconnect(c, KPORT_BASE + 5, 0));
	nexus_kunit_release(test, n);
	nexus_kunit_release(test, c);
	nexus_kunit_release(test, l);
}

static void refcounts_return_after_cycles(struct kunit *test)
{
	struct socket *l = klistener(test, KPORT_BASE + 6, 2);
	int base = refcount_read(&l->sk->sk_refcnt), i;

	for (i = 0; i < 20; i++) {
		struct socket *c = ksock(test, SOCK_STREAM);
		struct socket *n = NULL;

		KUNIT_ASSERT_EQ(test, 0, kconnect(c, KPORT_BASE + 6, 0));
		if (i % 3) {
			KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));
			nexus_kunit_release(test, n);
		}
		nexus_kunit_release(test, c);
		if (!(i % 3)) {
			KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));
			nexus_kunit_release(test, n);
		}
	}
	KUNIT_EXPECT_EQ(test, base, refcount_read(&l->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, 0U, l->sk->sk_ack_backlog);
	nexus_kunit_release(test, l);
}

static struct kunit_case nexus_stream_cases[] = {
	KUNIT_CASE(listen_transitions),
	KUNIT_CASE(establish_at_once),
	KUNIT_CASE(pending_then_promoted_by_accept),
	KUNIT_CASE(pending_refused_when_listener_closes),
	KUNIT_CASE(pending_times_out),
	KUNIT_CASE(stale_timeout_spares_newer_attempt),
	KUNIT_CASE(dissolve_resets_peer),
	KUNIT_CASE(refcounts_return_after_cycles),
	{}
};

static struct kunit_suite nexus_stream_suite = {
	.name = "nexus_stream",
	.test_cases = nexus_stream_cases,
};

kunit_test_suites(&nexus_stream_suite);

/*
 * nexus_stream_state: the static transitions of stream.c called directly
 * (VISIBLE_IF_KUNIT), with the locks their callers hold, on attempts set up
 * through the socket API. Ports from NEXUS_KUNIT_PORTS_STREAM_STATE.
 */
#define SPORT_BASE	NEXUS_KUNIT_PORTS_STREAM_STATE

/* Listener with backlog 0 on @port: one connection fills its queue. */
static struct socket *full_listener(struct kunit *test, u32 port,
				    struct socket **c1)
{
	struct socket *l = klistener(test, port, 0);

	*c1 = ksock(test, SOCK_STREAM);
	KUNIT_ASSERT_EQ(test, 0, kconnect(*c1, port, 0));
	return l;
}

/* A non-blocking connect() that must end up pending on @port. */
static struct socket *pending_client(struct kunit *test, u32 port,
				     u64 timeout_ms)
{
	struct socket *c = ksock(test, SOCK_STREAM);

	nexus_sk(c->sk)->connect_timeout_ms = timeout_ms;
	KUNIT_ASSERT_EQ(test, -EINPROGRESS, kconnect(c, port, O_NONBLOCK));
	KUNIT_ASSERT_EQ(test, TCP_SYN_SENT, (int)READ_ONCE(c->sk->sk_state));
	return c;
}

/* SYN_SENT -> ESTABLISHED: oldest first, only while the queue has room. */
static void state_promotion(struct kunit *test)
{
	struct socket *c1, *l = full_listener(test, SPORT_BASE, &c1);
	int lbase = refcount_read(&l->sk->sk_refcnt);
	struct socket *c2 = pending_client(test, SPORT_BASE, 0);
	struct socket *c3 = pending_client(test, SPORT_BASE, 0);
	struct nexus_sock *nl = nexus_sk(l->sk);
	struct nexus_sock *nc2 = nexus_sk(c2->sk), *nc3 = nexus_sk(c3->sk);
	LIST_HEAD(done);

	KUNIT_EXPECT_EQ(test, lbase + 2, refcount_read(&l->sk->sk_refcnt));
	/* Still full: nothing moves. */
	spin_lock(&nl->state_lock);
	nexus_promote_pending(l->sk, &done);
	spin_unlock(&nl->state_lock);
	KUNIT_EXPECT_TRUE(test, list_empty(&done));
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, (int)c2->sk->sk_state);

	/* Room for one more: c2 (the oldest) is established, c3 waits. */
	WRITE_ONCE(l->sk->sk_max_ack_backlog, 1);
	spin_lock(&nl->state_lock);
	nexus_promote_pending(l->sk, &done);
	spin_unlock(&nl->state_lock);
	KUNIT_EXPECT_PTR_EQ(test, (struct list_head *)&nc2->pending_node,
			    done.next);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&done));
	KUNIT_EXPECT_EQ(test, TCP_ESTABLISHED, (int)c2->sk->sk_state);
	KUNIT_EXPECT_NULL(test, nc2->listener);
	KUNIT_EXPECT_NULL(test, nc2->child);
	KUNIT_EXPECT_NOT_NULL(test, nc2->peer);
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, (int)c3->sk->sk_state);
	KUNIT_EXPECT_PTR_EQ(test, l->sk, nc3->listener);
	KUNIT_EXPECT_PTR_EQ(test, (struct list_head *)&nc3->pending_node,
			    nl->pending_q.next);
	KUNIT_EXPECT_EQ(test, 2U, l->sk->sk_ack_backlog);

	/* Finishing drops the pending queue's and the client's references. */
	nexus_finish_promoted(l->sk, &done);
	KUNIT_EXPECT_TRUE(test, list_empty(&done));
	KUNIT_EXPECT_TRUE(test, list_empty(&nc2->pending_node));
	KUNIT_EXPECT_EQ(test, lbase + 1, refcount_read(&l->sk->sk_refcnt));
	/* Left: the reference of c2's server end (its peer). */
	KUNIT_EXPECT_EQ(test, 2, refcount_read(&c2->sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, 0, c2->sk->sk_err);
	nexus_kunit_release(test, c3);
	KUNIT_EXPECT_EQ(test, lbase, refcount_read(&l->sk->sk_refcnt));
}

/* SYN_SENT -> CLOSE through the one detach path: refused, or cancelled. */
static void state_detach(struct kunit *test)
{
	struct socket *c1, *l = full_listener(test, SPORT_BASE + 1, &c1);
	int lbase = refcount_read(&l->sk->sk_refcnt);
	struct socket *c2 = pending_client(test, SPORT_BASE + 1, 60000);
	struct socket *c3 = pending_client(test, SPORT_BASE + 1, 0);
	struct nexus_sock *nc2 = nexus_sk(c2->sk);

	/* Not connecting: nothing to end. */
	KUNIT_EXPECT_FALSE(test, nexus_pending_fail(c1->sk, ECONNREFUSED));
	KUNIT_EXPECT_EQ(test, 0, c1->sk->sk_err);

	KUNIT_EXPECT_TRUE(test, nexus_pending_fail(c2->sk, ECONNREFUSED));
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, (int)c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ECONNREFUSED, c2->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nc2->listener);
	KUNIT_EXPECT_NULL(test, nc2->child);
	KUNIT_EXPECT_TRUE(test, list_empty(&nc2->pending_node));
	KUNIT_EXPECT_NE(test, 0U, nc2->port);		/* keeps its port */
	KUNIT_EXPECT_TRUE(test, nc2->hashed);
	/* The timer and the pending queue let go of it. */
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&nc2->connect_work));
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));
	/* Once only. */
	KUNIT_EXPECT_FALSE(test, nexus_pending_fail(c2->sk, ETIMEDOUT));
	KUNIT_EXPECT_EQ(test, ECONNREFUSED, c2->sk->sk_err);

	/* Cancelled (close, shutdown, AF_UNSPEC): no error. */
	KUNIT_EXPECT_TRUE(test, nexus_pending_fail(c3->sk, 0));
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, (int)c3->sk->sk_state);
	KUNIT_EXPECT_EQ(test, 0, c3->sk->sk_err);
	KUNIT_EXPECT_TRUE(test, list_empty(&nexus_sk(l->sk)->pending_q));
	KUNIT_EXPECT_EQ(test, lbase, refcount_read(&l->sk->sk_refcnt));
}

/*
 * The timeout of an attempt that is over must not end a newer one: a
 * timer instance running late sees a deadline still ahead and does
 * nothing; past the deadline it ends the attempt with ETIMEDOUT.
 */
static void state_timeout_vs_new_attempt(struct kunit *test)
{
	struct socket *c1, *l = full_listener(test, SPORT_BASE + 2, &c1);
	struct socket *c2 = pending_client(test, SPORT_BASE + 2, 60000);
	struct nexus_sock *nc2 = nexus_sk(c2->sk);

	/* The first attempt is cancelled, a second one starts. */
	KUNIT_ASSERT_TRUE(test, nexus_pending_fail(c2->sk, 0));
	KUNIT_ASSERT_EQ(test, -EINPROGRESS,
			kconnect(c2, SPORT_BASE + 2, O_NONBLOCK));
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&nc2->connect_work));

	/* A late instance (it holds its own reference, which it drops). */
	sock_hold(c2->sk);
	nexus_connect_timeout(&nc2->connect_work.work);
	KUNIT_EXPECT_EQ(test, TCP_SYN_SENT, (int)c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, 0, c2->sk->sk_err);
	KUNIT_EXPECT_PTR_EQ(test, l->sk, nc2->listener);

	/* The second attempt's deadline passes. */
	WRITE_ONCE(nc2->connect_deadline, jiffies);
	sock_hold(c2->sk);
	nexus_connect_timeout(&nc2->connect_work.work);
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, (int)c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ETIMEDOUT, c2->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nc2->listener);
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&nc2->connect_work));
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));

	/* A timer instance for no attempt at all: nothing happens. */
	sock_hold(c2->sk);
	nexus_connect_timeout(&nc2->connect_work.work);
	KUNIT_EXPECT_EQ(test, ETIMEDOUT, c2->sk->sk_err);
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));
}

/*
 * LISTEN -> CLOSE: pending attempts refused, queued connections reset;
 * the listener keeps its port and can listen again.
 */
static void state_listener_stop(struct kunit *test)
{
	struct socket *c1, *l = full_listener(test, SPORT_BASE + 3, &c1);
	int lbase = refcount_read(&l->sk->sk_refcnt);
	struct socket *c2 = pending_client(test, SPORT_BASE + 3, 60000);
	struct nexus_sock *nl = nexus_sk(l->sk);
	struct socket *c3, *n = NULL;

	lock_sock(l->sk);
	nexus_listen_stop(l->sk);
	release_sock(l->sk);

	KUNIT_EXPECT_EQ(test, TCP_CLOSE, (int)l->sk->sk_state);
	KUNIT_EXPECT_EQ(test, 0U, l->sk->sk_ack_backlog);
	KUNIT_EXPECT_TRUE(test, list_empty(&nl->pending_q));
	KUNIT_EXPECT_TRUE(test, list_empty(&nl->accept_q));
	KUNIT_EXPECT_TRUE(test, nl->hashed);
	KUNIT_EXPECT_EQ(test, lbase, refcount_read(&l->sk->sk_refcnt));
	/* The pending attempt was refused... */
	KUNIT_EXPECT_EQ(test, TCP_CLOSE, (int)c2->sk->sk_state);
	KUNIT_EXPECT_EQ(test, ECONNREFUSED, c2->sk->sk_err);
	KUNIT_EXPECT_NULL(test, nexus_sk(c2->sk)->listener);
	KUNIT_EXPECT_FALSE(test,
			   delayed_work_pending(&nexus_sk(c2->sk)->connect_work));
	KUNIT_EXPECT_EQ(test, 1, refcount_read(&c2->sk->sk_refcnt));
	/* ...and the connection not yet accepted reset. */
	KUNIT_EXPECT_EQ(test, ECONNRESET, c1->sk->sk_err);
	KUNIT_EXPECT_EQ(test, SHUTDOWN_MASK, (int)c1->sk->sk_shutdown);
	KUNIT_EXPECT_NULL(test, nexus_sk(c1->sk)->peer);
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED, kconnect(c2, SPORT_BASE + 3, 0));

	/* Listening again on the same port works. */
	KUNIT_ASSERT_EQ(test, 0, kernel_listen(l, 1));
	c3 = ksock(test, SOCK_STREAM);
	KUNIT_EXPECT_EQ(test, 0, kconnect(c3, SPORT_BASE + 3, 0));
	KUNIT_ASSERT_EQ(test, 0, kaccept(test, l, &n));
	KUNIT_EXPECT_PTR_EQ(test, c3->sk, nexus_sk(n->sk)->peer);
}

static struct kunit_case nexus_stream_state_cases[] = {
	KUNIT_CASE(state_promotion),
	KUNIT_CASE(state_detach),
	KUNIT_CASE(state_timeout_vs_new_attempt),
	KUNIT_CASE(state_listener_stop),
	{}
};

static struct kunit_suite nexus_stream_state_suite = {
	.name = "nexus_stream_state",
	.test_cases = nexus_stream_state_cases,
};

kunit_test_suites(&nexus_stream_state_suite);
