// SPDX-License-Identifier: GPL-2.0
/*
 * AF_NEXUS SOCK_STREAM and SOCK_SEQPACKET sockets.
 *
 * One implementation serves both types; seqpacket differs only in keeping
 * record boundaries (one skb per record) on the data path.
 *
 * States (sk_state):
 *
 *   TCP_CLOSE        unconnected: new, after a failed or cancelled attempt,
 *                    after connect(AF_UNSPEC), after listening stopped
 *   TCP_LISTEN       listening
 *   TCP_SYN_SENT     a connection attempt waits in a listener's pending
 *                    queue because its accept queue is full
 *   TCP_ESTABLISHED  connected; stays so after the peer closes or resets
 *                    (sk_shutdown and sk_err tell), until close() or
 *                    connect(AF_UNSPEC)
 *
 * Transitions:
 *
 *   CLOSE -> ESTABLISHED  connect() finds the listener's accept queue with
 *                         room: the server end (allocated beforehand) is
 *                         linked to the client and queued for accept()
 *   CLOSE -> SYN_SENT     connect() finds the accept queue full: the client
 *                         joins the listener's pending queue (FIFO)
 *   SYN_SENT -> ESTABLISHED  accept() or listen() makes room: the oldest
 *                         pending attempt is established (promotion)
 *   SYN_SENT -> CLOSE     the listener stops (ECONNREFUSED), the connect
 *                         timeout expires (ETIMEDOUT), or the client cancels
 *                         (close, shutdown, AF_UNSPEC: no error)
 *   CLOSE -> LISTEN       listen();  LISTEN -> CLOSE: close, shutdown(RD),
 *                         connect(AF_UNSPEC)
 *   ESTABLISHED -> CLOSE  connect(AF_UNSPEC) (the peer sees ECONNRESET)
 *
 * A pending attempt ends in one place, nexus_pending_detach(), whoever ends
 * it (refusal, timeout, cancellation); nexus_pending_done() then records
 * the error and wakes the client. The socket keeps its port, and the
 * next connect() clears any stale error and starts afresh.
 *
 * Locking:
 *
 * - lock_sock() serializes the system calls on one socket (connect, listen,
 *   accept, shutdown, recvmsg, release) and is never held on two sockets at
 *   once. sendmsg does not take it.
 * - nexus_sock.state_lock (a spinlock, process context only) protects
 *   sk_state changes, @peer, @listener, @child, the pending and accept
 *   queues of a listener and the membership of @pending_node and
 *   @accept_node. Writers of sk_state, sk_shutdown and sk_err hold it and
 *   use WRITE_ONCE(); lockless readers (poll) use READ_ONCE().
 * - Two state locks nest only as listener -> client/server end, the inner
 *   one taken with SINGLE_DEPTH_NESTING. The two ends of a connection are
 *   never locked together: each end's lock is taken alone.
 * - The port table bucket locks (addr.c) and sk_peer_lock are leaves, and
 *   so is the receive queue's lock, which a sender takes inside the
 *   receiver's state lock (nexus_queue_to_peer()).
 *
 * References: a pending client holds one on its listener (@listener) and
 * the listener's pending queue holds one on the client; each end of a
 * connection holds one on the other (@peer); a queued work item holds one
 * on its socket. The accept queue owns the server end until accept()
 * grafts it.
 *
 * Wake-ups: a client waits in connect() (and a sender for its pending
 * attempt) on its own sk_sleep(), woken by sk_state_change (established)
 * or sk_error_report (failed), which test for sleepers locklessly with
 * skwq_has_sleeper() after the state is written: every waiter queues
 * itself, then executes smp_mb(), then tests its condition. accept()
 * waits on the listener's, woken by sk_data_ready. Readers are woken by
 * sk_data_ready of their socket, writers by nexus_stream_wake_writers()
 * when poll() would report POLLOUT again (skbs charged to them freed, their
 * SO_SNDBUF raised, the peer's unread bytes back below its SO_RCVBUF by a
 * partial read or a larger SO_RCVBUF), both by sk_state_change on shutdown
 * or reset.
 */
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "nexus.h"

/* Per-skb state of a queued stream skb: how much the reader consumed. */
struct nexus_skb_cb {
	u32 consumed;
};

#define NEXUS_SKB_CB(skb)	((struct nexus_skb_cb *)((skb)->cb))

/* Largest page order for skb fragments (as AF_UNIX: 32 KiB on x86). */
#define NEXUS_SKB_FRAG_ORDER	get_order(32768)

/*
 * The most data one skb carries: a head of at most one page and page
 * fragments for the rest. alloc_skb_with_frags() takes at most
 * MAX_SKB_FRAGS order-0 pages on 6.1 and, when it falls back from larger
 * pages, fills only MAX_SKB_FRAGS - 1 fragments on kernels from 6.3 until
 * late 2025: MAX_SKB_FRAGS - 1 pages fit every kernel. MAX_SKB_FRAGS
 * itself is the kernel's (a Kconfig option since 6.5). A stream send
 * larger than this takes several skbs; a seqpacket record larger than
 * this chains further skbs on the first one's frag_list.
 */
#define NEXUS_SKB_MAX_DATA	((MAX_SKB_FRAGS - 1) * PAGE_SIZE)
#define NEXUS_SKB_MAX		(SKB_MAX_HEAD(0) + NEXUS_SKB_MAX_DATA)

#if !IS_ENABLED(CONFIG_KUNIT)	/* else declared in nexus.h */
static void nexus_connect_timeout(struct work_struct *work);
#endif

static void nexus_stream_wake_writers(struct sock *sk);

/*
 * sk_write_space: skbs charged to @sk were freed (the peer read them), or
 * SO_SNDBUF changed.
 */
static void nexus_stream_write_space(struct sock *sk)
{
	nexus_stream_wake_writers(sk);
}

void nexus_stream_init_sock(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	sk->sk_state = TCP_CLOSE;
	sk->sk_write_space = nexus_stream_write_space;
	spin_lock_init(&nsk->state_lock);
	INIT_LIST_HEAD(&nsk->pending_node);
	INIT_LIST_HEAD(&nsk->accept_node);
	INIT_LIST_HEAD(&nsk->pending_q);
	INIT_LIST_HEAD(&nsk->accept_q);
	INIT_DELAYED_WORK(&nsk->connect_work, nexus_connect_timeout);
	atomic_set(&nsk->rcvq_bytes, 0);
	nsk->rcvbuf_seen = sk->sk_rcvbuf;
}

void nexus_stream_destruct(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	WARN_ON_ONCE(nsk->peer || nsk->listener || nsk->child);
	WARN_ON_ONCE(!list_empty(&nsk->pending_q) ||
		     !list_empty(&nsk->accept_q));
}

/* SO_PEERCRED: the credentials of the calling process. */
static void nexus_set_peercred(struct sock *sk)
{
	const struct cred *old_cred;
	struct pid *old_pid;

	spin_lock(&sk->sk_peer_lock);
	old_pid = sk->sk_peer_pid;
	old_cred = sk->sk_peer_cred;
	sk->sk_peer_pid = get_pid(task_tgid(current));
	sk->sk_peer_cred = get_current_cred();
	spin_unlock(&sk->sk_peer_lock);

	put_pid(old_pid);
	put_cred(old_cred);
}

/* SO_PEERCRED: copy @from's own credentials (as taken at listen()). */
static void nexus_copy_peercred(struct sock *sk, struct sock *from)
{
	const struct cred *cred, *old_cred;
	struct pid *pid, *old_pid;

	spin_lock(&from->sk_peer_lock);
	pid = get_pid(from->sk_peer_pid);
	cred = get_cred(from->sk_peer_cred);
	spin_unlock(&from->sk_peer_lock);

	spin_lock(&sk->sk_peer_lock);
	old_pid = sk->sk_peer_pid;
	old_cred = sk->sk_peer_cred;
	sk->sk_peer_pid = pid;
	sk->sk_peer_cred = cred;
	spin_unlock(&sk->sk_peer_lock);

	put_pid(old_pid);
	put_cred(old_cred);
}

/* Drop the never-connected server end of a failed or cancelled attempt. */
static void nexus_free_child(struct sock *child)
{
	if (!child)
		return;
	sock_set_flag(child, SOCK_DEAD);
	sock_put(child);
}

/**
 * nexus_stream_unlink - break a connection from one end
 * @sk: this end
 * @err: error the peer sees (ECONNRESET), or 0 for an orderly end of file
 *
 * The peer gets both directions shut down and is woken; the references
 * the two ends hold on each other are dropped. Both ends may unlink at the
 * same time: each takes only its own state lock, then the other's.
 */
static void nexus_stream_unlink(struct sock *sk, int err)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *peer;
	struct nexus_sock *np;
	bool put_self = false;

	spin_lock(&nsk->state_lock);
	peer = nsk->peer;
	WRITE_ONCE(nsk->peer, NULL);
	spin_unlock(&nsk->state_lock);
	if (!peer)
		return;

	np = nexus_sk(peer);
	spin_lock(&np->state_lock);
	if (np->peer == sk) {
		WRITE_ONCE(np->peer, NULL);
		put_self = true;
		/*
		 * The error before the shutdown: a reader that sees the
		 * shutdown (end of file) must see the reset too.
		 */
		if (err)
			WRITE_ONCE(peer->sk_err, err);
		smp_wmb(); /* pairs with smp_rmb() in poll and the readers */
		WRITE_ONCE(peer->sk_shutdown, SHUTDOWN_MASK);
	}
	spin_unlock(&np->state_lock);

	if (put_self) {
		peer->sk_state_change(peer);
		if (err)
			sk_error_report(peer);
		sock_put(sk);		/* the peer's reference on us */
	}
	sock_put(peer);			/* our reference on the peer */
}

/*
 * Establish a connection between client @c and the server end @child of
 * listener @l. Called with @l's and @c's state locks held (in that order).
 */
static void nexus_establish(struct sock *l, struct sock *c, struct sock *child)
{
	struct nexus_sock *nl = nexus_sk(l);
	struct nexus_sock *nc = nexus_sk(c);
	struct nexus_sock *nch = nexus_sk(child);
	u32 node = READ_ONCE(nexus_net(sock_net(l))->node);

	lockdep_assert_held(&nl->state_lock);
	lockdep_assert_held(&nc->state_lock);
	WRITE_ONCE(nch->port, nl->port);
	WRITE_ONCE(nch->peer_port, nc->port);
	WRITE_ONCE(nch->peer_node, node);
	sock_hold(c);
	WRITE_ONCE(nch->peer, c);
	WRITE_ONCE(child->sk_state, TCP_ESTABLISHED);
	list_add_tail(&nch->accept_node, &nl->accept_q);
	sk_acceptq_added(l);

	WRITE_ONCE(nc->peer_port, nl->port);
	WRITE_ONCE(nc->peer_node, node);
	sock_hold(child);
	WRITE_ONCE(nc->peer, child);
	nc->child = NULL;
	nc->connect_armed = false;	/* the attempt is over */
	nexus_copy_peercred(c, l);
	WRITE_ONCE(c->sk_state, TCP_ESTABLISHED);
}

/*
 * Establish pending attempts while the accept queue has room, oldest
 * first. Called with @l's state lock held; the established clients move
 * to @done, still holding the pending queue's reference, for
 * nexus_finish_promoted() to wake once the lock is dropped.
 */
VISIBLE_IF_KUNIT void nexus_promote_pending(struct sock *l, struct list_head *done)
{
	struct nexus_sock *nl = nexus_sk(l);
	struct nexus_sock *nc;

	lockdep_assert_held(&nl->state_lock);
	while (!sk_acceptq_is_full(l) && !list_empty(&nl->pending_q)) {
		nc = list_first_entry(&nl->pending_q, struct nexus_sock,
				      pending_node);
		spin_lock_nested(&nc->state_lock, SINGLE_DEPTH_NESTING);
		list_move_tail(&nc->pending_node, done);
		nc->listener = NULL;
		nexus_establish(l, &nc->sk, nc->child);
		if (cancel_delayed_work(&nc->connect_work))
			__sock_put(&nc->sk);	/* the work's; not the last */
		spin_unlock(&nc->state_lock);
	}
}
EXPORT_SYMBOL_IF_KUNIT(nexus_promote_pending);

VISIBLE_IF_KUNIT void nexus_finish_promoted(struct sock *l, struct list_head *done)
{
	struct nexus_sock *nc, *tmp;
	bool any = false;

	list_for_each_entry_safe(nc, tmp, done, pending_node) {
		list_del_init(&nc->pending_node);
		nc->sk.sk_state_change(&nc->sk);
		sock_put(&nc->sk);	/* the pending queue's reference */
		sock_put(l);		/* the client's reference */
		any = true;
	}
	if (any)
		l->sk_data_ready(l);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_finish_promoted);

/*
 * End @c's pending attempt on @l; both state locks are held (@l's first).
 * This is the one place a pending attempt fails or is cancelled: @c leaves
 * the pending queue and returns to TCP_CLOSE with its port and the error
 * @err (none when 0), and its timer stops. Return: the preallocated server end, to be freed with
 * nexus_free_child() once the locks are dropped, when nexus_pending_done()
 * must be called too.
 */
static struct sock *nexus_pending_detach(struct sock *c, int err)
{
	struct nexus_sock *nc = nexus_sk(c);
	struct sock *child = nc->child;

	lockdep_assert_held(&nexus_sk(nc->listener)->state_lock);
	lockdep_assert_held(&nc->state_lock);
	list_del_init(&nc->pending_node);
	nc->listener = NULL;
	nc->child = NULL;
	nc->connect_armed = false;
	/*
	 * The error before the state: whoever sees the attempt over (poll,
	 * a waiting connect()) must see its error too, never a moment of
	 * "unconnected, no error" that reads as success.
	 */
	if (err)
		WRITE_ONCE(c->sk_err, err);
	smp_wmb(); /* pairs with smp_rmb() in poll, sock_error()'s xchg */
	WRITE_ONCE(c->sk_state, TCP_CLOSE);
	if (cancel_delayed_work(&nc->connect_work))
		__sock_put(c);	/* the work's reference; not the last */
	return child;
}

/*
 * After nexus_pending_detach(), with no state lock held: report the
 * outcome (@err, or a plain state change when cancelled without error)
 * and drop the references of the pending queue and of the client on @l.
 */
static void nexus_pending_done(struct sock *l, struct sock *c, int err)
{
	lockdep_assert_not_held(&nexus_sk(c)->state_lock);
	lockdep_assert_not_held(&nexus_sk(l)->state_lock);
	if (err)
		sk_error_report(c);
	else
		c->sk_state_change(c);
	sock_put(c);		/* the pending queue's reference */
	sock_put(l);		/* the client's reference */
}

/*
 * Has the timeout of @nc's current attempt expired? Called with its state
 * lock held, under which the attempt's deadline and state are consistent.
 */
static bool nexus_connect_expired(struct nexus_sock *nc)
{
	lockdep_assert_held(&nc->state_lock);
	return nc->connect_armed && !time_before(jiffies, nc->connect_deadline);
}

/**
 * __nexus_pending_fail - end a pending connection attempt
 * @c: the client
 * @err: the error to report (ECONNREFUSED, ETIMEDOUT), or 0 to cancel
 *	silently
 * @expired_only: end it only if its timeout has expired (the timeout work)
 *
 * Return: true if @c had a pending attempt, which is now over: @c is back
 * in TCP_CLOSE with its port, and waiters have been woken.
 */
static bool __nexus_pending_fail(struct sock *c, int err, bool expired_only)
{
	struct nexus_sock *nc = nexus_sk(c);
	struct sock *l, *child = NULL;
	struct nexus_sock *nl;
	bool done = false;

	spin_lock(&nc->state_lock);
	l = nc->listener;
	if (l)
		sock_hold(l);
	spin_unlock(&nc->state_lock);
	if (!l)
		return false;

	nl = nexus_sk(l);
	spin_lock(&nl->state_lock);
	spin_lock_nested(&nc->state_lock, SINGLE_DEPTH_NESTING);
	if (nc->listener == l && (!expired_only || nexus_connect_expired(nc))) {
		child = nexus_pending_detach(c, err);
		done = true;
	}
	spin_unlock(&nc->state_lock);
	spin_unlock(&nl->state_lock);

	if (done) {
		nexus_free_child(child);
		nexus_pending_done(l, c, err);
	}
	sock_put(l);
	return done;
}

VISIBLE_IF_KUNIT bool nexus_pending_fail(struct sock *c, int err)
{
	return __nexus_pending_fail(c, err, false);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_pending_fail);

/*
 * The connect timeout. One work item serves every attempt of a socket, and
 * an instance may run after its attempt is over: cancel_delayed_work()
 * misses an instance that has started, and the socket may meanwhile have
 * started a newer attempt (re-arming the work, or without a timeout). So
 * the instance decides under the state locks, where the current attempt's
 * state and deadline are consistent (nexus_connect_to() writes the deadline
 * before it publishes SYN_SENT), and fails the attempt only if it has a
 * timeout that has expired; a newer attempt's own instance is queued for
 * its own deadline.
 */
VISIBLE_IF_KUNIT void nexus_connect_timeout(struct work_struct *work)
{
	struct nexus_sock *nc = container_of(to_delayed_work(work),
					     struct nexus_sock, connect_work);

	__nexus_pending_fail(&nc->sk, ETIMEDOUT, true);
	sock_put(&nc->sk);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_connect_timeout);

/*
 * Stop listening: refuse every pending attempt (ECONNREFUSED) and reset
 * every connection not yet accepted (the client sees ECONNRESET). Called
 * with the listener's socket lock held.
 */
VISIBLE_IF_KUNIT void nexus_listen_stop(struct sock *l)
{
	struct nexus_sock *nl = nexus_sk(l);
	struct nexus_sock *nc, *tmp;
	struct sock *child;
	LIST_HEAD(refused);
	LIST_HEAD(queued);
	LIST_HEAD(children);

	sock_owned_by_me(l);

	spin_lock(&nl->state_lock);
	WRITE_ONCE(l->sk_state, TCP_CLOSE);
	WRITE_ONCE(l->sk_ack_backlog, 0);
	list_splice_init(&nl->accept_q, &queued);
	while ((nc = list_first_entry_or_null(&nl->pending_q, struct nexus_sock,
					      pending_node))) {
		spin_lock_nested(&nc->state_lock, SINGLE_DEPTH_NESTING);
		child = nexus_pending_detach(&nc->sk, ECONNREFUSED);
		spin_unlock(&nc->state_lock);
		/* Both nodes are free now: keep them until the lock drops. */
		list_add_tail(&nc->pending_node, &refused);
		list_add(&nexus_sk(child)->accept_node, &children);
	}
	spin_unlock(&nl->state_lock);

	list_for_each_entry_safe(nc, tmp, &refused, pending_node) {
		list_del_init(&nc->pending_node);
		nexus_pending_done(l, &nc->sk, ECONNREFUSED);
	}
	list_for_each_entry_safe(nc, tmp, &children, accept_node) {
		list_del_init(&nc->accept_node);
		nexus_free_child(&nc->sk);
	}
	list_for_each_entry_safe(nc, tmp, &queued, accept_node) {
		list_del_init(&nc->accept_node);
		spin_lock(&nc->state_lock);
		WRITE_ONCE(nc->sk.sk_shutdown, SHUTDOWN_MASK);
		sock_set_flag(&nc->sk, SOCK_DEAD);
		spin_unlock(&nc->state_lock);
		nexus_stream_unlink(&nc->sk, ECONNRESET);
		sock_put(&nc->sk);
	}
	l->sk_state_change(l);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_listen_stop);

/*
 * Drop every skb of @sk's receive queue (socket lock held, which excludes
 * the reader) and take exactly their unread bytes off @rcvq_bytes, in the
 * queue lock's section that unlinks them. The count is never reset: it
 * stays the sum of what the queued skbs hold unread whatever a sender
 * adds meanwhile (see nexus_queue_to_peer()), so SIOCINQ, SIOCOUTQ and
 * poll() can neither go negative nor count bytes that no read returns.
 */
static void nexus_rcvq_purge(struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct sk_buff_head gone;
	struct sk_buff *skb;
	int unread = 0;

	sock_owned_by_me(sk);
	__skb_queue_head_init(&gone);
	spin_lock(&q->lock);
	skb_queue_walk(q, skb)
		unread += skb->len - NEXUS_SKB_CB(skb)->consumed;
	skb_queue_splice_init(q, &gone);
	atomic_sub(unread, &nexus_sk(sk)->rcvq_bytes);
	spin_unlock(&q->lock);
	__skb_queue_purge(&gone);
}

/*
 * Dissolve an established connection abortively (connect(AF_UNSPEC)):
 * the peer sees ECONNRESET; this socket is unconnected again.
 */
static void nexus_stream_dissolve(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	sock_owned_by_me(sk);
	nexus_stream_unlink(sk, ECONNRESET);
	spin_lock(&nsk->state_lock);
	WRITE_ONCE(sk->sk_state, TCP_CLOSE);
	WRITE_ONCE(sk->sk_shutdown, 0);
	WRITE_ONCE(nsk->peer_port, 0);
	WRITE_ONCE(nsk->peer_node, 0);
	if (!nsk->hashed)	/* a server end: it had the listener's port */
		WRITE_ONCE(nsk->port, 0);
	spin_unlock(&nsk->state_lock);
	nexus_rcvq_purge(sk);
	sk->sk_state_change(sk);
}

/*
 * connect(AF_UNSPEC): dissolve whatever association the socket has. Socket
 * lock held; a pending attempt's state may still change under us (the
 * listener establishes or refuses it), hence READ_ONCE().
 */
static int nexus_stream_disconnect(struct sock *sk)
{
	sock_owned_by_me(sk);
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_ESTABLISHED:
		nexus_stream_dissolve(sk);
		break;
	case TCP_SYN_SENT:
		nexus_pending_fail(sk, 0);
		break;
	case TCP_LISTEN:
		nexus_listen_stop(sk);
		break;
	}
	return 0;
}

/*
 * One step of a wait loop on sk_sleep(@sk), whose caller has added @wait
 * and re-checks its condition after each step. Return: 0 after sleeping,
 * or the error that ends the wait: @expired when the timeout is used up,
 * -ERESTARTSYS or -EINTR (sock_intr_errno()) on a signal. With @locked,
 * the socket lock is dropped while sleeping.
 */
static int nexus_wait_step(struct sock *sk, struct wait_queue_entry *wait,
			   long *timeo, int expired, bool locked)
{
	if (locked)
		sock_owned_by_me(sk);
	if (!*timeo)
		return expired;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	if (locked)
		release_sock(sk);
	*timeo = wait_woken(wait, TASK_INTERRUPTIBLE, *timeo);
	if (locked)
		lock_sock(sk);
	return 0;
}

/*
 * Wait, with the socket lock held on entry and exit, for a pending attempt
 * to end. Return: 0 when connected, the attempt's error, -EINPROGRESS when
 * the wait timed out (SO_SNDTIMEO), or -ERESTARTSYS/-EINTR on a signal; in
 * the last two cases the attempt goes on in the background.
 */
static int nexus_wait_connected(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	sock_owned_by_me(sk);
	add_wait_queue(sk_sleep(sk), &wait);
	smp_mb(); /* queued, then test: pairs with skwq_has_sleeper() */
	while (!err && READ_ONCE(sk->sk_state) == TCP_SYN_SENT)
		err = nexus_wait_step(sk, &wait, &timeo, -EINPROGRESS, true);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (err)
		return err;

	if (READ_ONCE(sk->sk_state) == TCP_ESTABLISHED)
		return 0;
	/* Failed (sk_err is read and cleared), or cancelled by another thread. */
	return sock_error(sk) ?: -ECONNABORTED;
}

/*
 * Start a connection attempt to the listener @l on behalf of client @sk
 * (socket lock held). Return: 0 when connected at once, 1 when the
 * attempt is pending, or a negative errno with the socket unchanged.
 */
static int nexus_connect_to(struct sock *sk, struct sock *l)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct nexus_sock *nl = nexus_sk(l);
	u64 timeout_ms = nsk->connect_timeout_ms;	/* socket lock held */
	unsigned long delay = 0;
	struct sock *child;
	LIST_HEAD(done);
	int ret;

	sock_owned_by_me(sk);
	if (l->sk_type != sk->sk_type)
		return -EPROTOTYPE;
	if (READ_ONCE(l->sk_state) != TCP_LISTEN)
		return -ECONNREFUSED;

	/* The server end, made in the connecting process's context. */
	child = nexus_sk_alloc(sock_net(l), NULL, l->sk_type,
			       !l->sk_net_refcnt);
	if (!child)
		return -ENOMEM;
	nexus_set_peercred(child);

	spin_lock(&nl->state_lock);
	if (l->sk_state != TCP_LISTEN) {
		spin_unlock(&nl->state_lock);
		nexus_free_child(child);
		return -ECONNREFUSED;
	}
	spin_lock_nested(&nsk->state_lock, SINGLE_DEPTH_NESTING);
	nsk->child = child;
	if (list_empty(&nl->pending_q) && !sk_acceptq_is_full(l)) {
		nexus_establish(l, sk, child);
		ret = 0;
	} else {
		sock_hold(l);
		nsk->listener = l;
		sock_hold(sk);
		list_add_tail(&nsk->pending_node, &nl->pending_q);
		/* The attempt's deadline before its state (see the work). */
		nsk->connect_armed = timeout_ms != 0;
		if (timeout_ms) {
			delay = msecs_to_jiffies(min_t(u64, timeout_ms,
						       UINT_MAX));
			nsk->connect_deadline = jiffies + delay;
		}
		WRITE_ONCE(sk->sk_state, TCP_SYN_SENT);
		if (timeout_ms) {
			sock_hold(sk);
			/* Still pending from an earlier attempt: re-armed. */
			if (mod_delayed_work(nexus_wq, &nsk->connect_work,
					     delay))
				__sock_put(sk);	/* it holds one already */
		}
		ret = 1;
	}
	spin_unlock(&nsk->state_lock);
	if (ret) {
		/* Room may have appeared meanwhile (a larger backlog). */
		nexus_promote_pending(l, &done);
		ret = sk->sk_state == TCP_ESTABLISHED ? 0 : 1;
	}
	spin_unlock(&nl->state_lock);

	nexus_finish_promoted(l, &done);
	if (!ret)
		l->sk_data_ready(l);
	return ret;
}

static int nexus_stream_connect(struct socket *sock, NEXUS_SOCKADDR *uaddr,
				int addr_len, int flags)
{
	const struct sockaddr_nx *sa = (const struct sockaddr_nx *)uaddr;
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *l;
	long timeo;
	int err;

	err = nexus_addr_check((struct sockaddr *)uaddr, addr_len, true);
	if (err < 0)
		return err;

	lock_sock(sk);
	if (err == 1) {
		err = nexus_stream_disconnect(sk);
		goto out;
	}

	/*
	 * The socket's state first, before any lookup. A pending attempt may
	 * end meanwhile without the socket lock (promotion, refusal,
	 * timeout), hence READ_ONCE().
	 */
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_ESTABLISHED:
		err = -EISCONN;
		goto out;
	case TCP_LISTEN:
		err = -EINVAL;
		goto out;
	case TCP_SYN_SENT:
		if (flags & O_NONBLOCK) {
			err = -EALREADY;
			goto out;
		}
		goto wait;	/* a restarted connect finishes the attempt */
	}

	if (nexus_node_kind(sock_net(sk), sa->snx_node) != NEXUS_NODE_IS_LOCAL) {
		err = -ENETUNREACH;
		goto out;
	}
	if (!nsk->port) {
		err = nexus_autobind(sk);
		if (err)
			goto out;
	}

	/* A new attempt: any error left from an earlier one is stale. */
	WRITE_ONCE(sk->sk_err, 0);
	l = nexus_lookup(sock_net(sk), sa->snx_port);
	if (!l) {
		err = -ECONNREFUSED;
		goto out;
	}
	err = nexus_connect_to(sk, l);
	sock_put(l);
	if (err <= 0)
		goto out;

	if (flags & O_NONBLOCK) {
		err = -EINPROGRESS;
		goto out;
	}
wait:
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	err = nexus_wait_connected(sk, timeo);
out:
	release_sock(sk);
	return err;
}

static int nexus_stream_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	LIST_HEAD(done);
	int err = 0, state;

	lock_sock(sk);
	state = READ_ONCE(sk->sk_state);	/* SYN_SENT may end meanwhile */
	if (state != TCP_CLOSE && state != TCP_LISTEN) {
		err = -EINVAL;
		goto out;
	}
	if (!nsk->port) {
		err = nexus_autobind(sk);
		if (err)
			goto out;
	}

	if (sk->sk_state == TCP_CLOSE)
		nexus_set_peercred(sk);	/* SO_PEERCRED for the clients */
	spin_lock(&nsk->state_lock);
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	WRITE_ONCE(sk->sk_shutdown, 0);
	WRITE_ONCE(sk->sk_state, TCP_LISTEN);
	nexus_promote_pending(sk, &done);	/* a larger backlog */
	spin_unlock(&nsk->state_lock);
	nexus_finish_promoted(sk, &done);
out:
	release_sock(sk);
	return err;
}

static int nexus_stream_accept(NEXUS_ACCEPT_PARAMS)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *l = sock->sk;
	struct nexus_sock *nl = nexus_sk(l);
	struct nexus_sock *nch = NULL;
	bool waiting = false;
	LIST_HEAD(done);
	long timeo;
	int err = 0;

	lock_sock(l);
	timeo = sock_rcvtimeo(l, NEXUS_ACCEPT_FLAGS & O_NONBLOCK);
	for (;;) {
		spin_lock(&nl->state_lock);
		if (l->sk_state != TCP_LISTEN) {
			spin_unlock(&nl->state_lock);
			err = -EINVAL;
			break;
		}
		nch = list_first_entry_or_null(&nl->accept_q,
					       struct nexus_sock, accept_node);
		if (nch) {
			list_del_init(&nch->accept_node);
			sk_acceptq_removed(l);
			nexus_promote_pending(l, &done);
			spin_unlock(&nl->state_lock);
			break;
		}
		spin_unlock(&nl->state_lock);

		if (!waiting && timeo && !signal_pending(current)) {
			/*
			 * Only now that we must sleep: queue up, then look
			 * again, so that no wake-up is lost.
			 */
			add_wait_queue_exclusive(sk_sleep(l), &wait);
			waiting = true;
			continue;
		}
		err = nexus_wait_step(l, &wait, &timeo, -EAGAIN, true);
		if (err)
			break;
	}
	if (waiting)
		remove_wait_queue(sk_sleep(l), &wait);
	nexus_finish_promoted(l, &done);

	if (nch) {
		/* The accept queue's reference passes to @newsock. */
		sock_graft(&nch->sk, newsock);
		newsock->state = SS_CONNECTED;
	}
	release_sock(l);
	return err;
}

static int nexus_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *peer = NULL;
	int err = 0;

	/* SHUT_RD, SHUT_WR, SHUT_RDWR -> RCV_SHUTDOWN, SEND_SHUTDOWN, both */
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	how++;

	lock_sock(sk);
	switch (READ_ONCE(sk->sk_state)) {	/* SYN_SENT may end meanwhile */
	case TCP_CLOSE:
		err = -ENOTCONN;
		break;
	case TCP_LISTEN:
		if (how & RCV_SHUTDOWN)
			nexus_listen_stop(sk);
		break;
	case TCP_SYN_SENT:
		nexus_pending_fail(sk, 0);
		break;
	case TCP_ESTABLISHED:
		spin_lock(&nsk->state_lock);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		peer = nsk->peer;
		if (peer)
			sock_hold(peer);
		spin_unlock(&nsk->state_lock);
		break;
	}

	if (peer) {
		struct nexus_sock *np = nexus_sk(peer);
		int peer_how = 0;

		/* What this end stops doing, the peer cannot do either. */
		if (how & SEND_SHUTDOWN)
			peer_how |= RCV_SHUTDOWN;
		if (how & RCV_SHUTDOWN)
			peer_how |= SEND_SHUTDOWN;
		spin_lock(&np->state_lock);
		if (np->peer == sk)
			WRITE_ONCE(peer->sk_shutdown,
				   peer->sk_shutdown | peer_how);
		spin_unlock(&np->state_lock);
		peer->sk_state_change(peer);
		sock_put(peer);
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static int nexus_stream_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	bool unread;

	if (!sk)
		return 0;

	lock_sock(sk);
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) /* SYN_SENT may change */
		nexus_listen_stop(sk);
	nexus_pending_fail(sk, 0);
	nexus_unbind(sk);

	spin_lock(&nsk->state_lock);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_set_flag(sk, SOCK_DEAD);	/* no more skbs are queued to us */
	spin_unlock(&nsk->state_lock);

	/* Closing with unread data resets the peer, as TCP does. */
	unread = !skb_queue_empty(&sk->sk_receive_queue);
	nexus_stream_unlink(sk, unread ? ECONNRESET : 0);
	nexus_rcvq_purge(sk);

	sock_orphan(sk);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

/* The connected peer with a reference held, or NULL. */
static struct sock *nexus_get_peer(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *peer;

	spin_lock(&nsk->state_lock);
	peer = nsk->peer;
	if (peer)
		sock_hold(peer);
	spin_unlock(&nsk->state_lock);
	return peer;
}

static bool nexus_peer_has_room(struct sock *peer)
{
	return atomic_read(&nexus_sk(peer)->rcvq_bytes) <
	       READ_ONCE(peer->sk_rcvbuf);
}

/* Room for another skb: our send buffer and the peer's receive buffer. */
static bool nexus_stream_may_send(struct sock *sk, struct sock *peer)
{
	return sk_wmem_alloc_get(sk) < READ_ONCE(sk->sk_sndbuf) &&
	       nexus_peer_has_room(peer);
}

/* POLLOUT of a connected or unconnected socket (not while connecting). */
static bool nexus_stream_poll_writable(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	bool ok;

	if (sk_wmem_alloc_get(sk) >= READ_ONCE(sk->sk_sndbuf))
		return false;
	spin_lock(&nsk->state_lock);
	ok = !nsk->peer || nexus_peer_has_room(nsk->peer);
	spin_unlock(&nsk->state_lock);
	return ok;
}

/*
 * Wake @sk's writers (blocked senders, poll and epoll) if poll() would now
 * report POLLOUT. Called, without any state lock held, after something
 * made room: @sk's skbs were freed, its SO_SNDBUF grew, or its peer's
 * unread bytes fell below the peer's SO_RCVBUF (nexus_stream_room_made()).
 * skwq_has_sleeper()'s barrier orders that change before the checks; it
 * pairs with the barrier a waiter executes between queueing itself and
 * testing for room (sock_poll_wait(), nexus_wait_for_room()).
 */
static void nexus_stream_wake_writers(struct sock *sk)
{
	struct socket_wq *wq;

	if (sk_wmem_alloc_get(sk) >= READ_ONCE(sk->sk_sndbuf))
		return;
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq) && nexus_stream_poll_writable(sk))
		wake_up_interruptible_sync_poll(&wq->wait, EPOLLOUT |
						EPOLLWRNORM | EPOLLWRBAND);
	if (sock_flag(sk, SOCK_FASYNC) && nexus_stream_poll_writable(sk))
		sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/*
 * The reader @sk took @n bytes, leaving @left unread, without freeing an
 * skb (freeing one reaches the peer through nexus_stream_write_space()).
 * When that brought the unread bytes below SO_RCVBUF, the peer's writers
 * may have been waiting for exactly that: wake them by poll()'s rule.
 */
static void nexus_stream_room_made(struct sock *sk, int left, u32 n)
{
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	struct sock *peer;

	if (left >= rcvbuf || (s64)left + n < rcvbuf)
		return;
	peer = nexus_get_peer(sk);
	if (peer) {
		nexus_stream_wake_writers(peer);
		sock_put(peer);
	}
}

/**
 * nexus_stream_release_cb - release_sock() hook of every nexus socket
 * @sk: the socket, still owned by the caller, sk_lock.slock held
 *
 * SO_RCVBUF has no hook of its own; its change is seen here, when
 * setsockopt() releases the socket. A larger receive buffer can make room
 * for the peer's writers: wake them as a read would. Datagram sockets have
 * their own rule (nexus_dgram_release_cb()).
 */
void nexus_stream_release_cb(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	int old, left;

	if (sk->sk_type == SOCK_DGRAM) {
		nexus_dgram_release_cb(sk);
		return;
	}
	if (likely(rcvbuf == nsk->rcvbuf_seen))
		return;
	old = nsk->rcvbuf_seen;
	nsk->rcvbuf_seen = rcvbuf;
	left = atomic_read(&nsk->rcvq_bytes);
	if (rcvbuf > old && left >= old && left < rcvbuf) {
		struct sock *peer = nexus_get_peer(sk);

		if (peer) {
			nexus_stream_wake_writers(peer);
			sock_put(peer);
		}
	}
}

/*
 * Wait until @sk may send to @peer or something changes (shutdown, reset,
 * signal, timeout). Return: 0 to retry, or a negative errno.
 */
static int nexus_wait_for_room(struct sock *sk, struct sock *peer,
			       long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	smp_mb(); /* queued before testing; see nexus_stream_wake_writers() */
	while (!err && !nexus_stream_may_send(sk, peer)) {
		if (READ_ONCE(sk->sk_err) ||
		    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
		    READ_ONCE(nexus_sk(sk)->peer) != peer)
			break;
		err = nexus_wait_step(sk, &wait, timeo, -EAGAIN, false);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* Wait for a pending attempt before sending, as TCP does. */
static int nexus_send_wait_connected(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	/* The common case, without touching the wait queue's lock. */
	if (READ_ONCE(sk->sk_state) != TCP_SYN_SENT)
		return 0;
	add_wait_queue(sk_sleep(sk), &wait);
	smp_mb(); /* queued, then test: pairs with skwq_has_sleeper() */
	while (!err && READ_ONCE(sk->sk_state) == TCP_SYN_SENT)
		err = nexus_wait_step(sk, &wait, timeo, -EAGAIN, false);
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* Queue @skb to @peer if it is still connected to @sk. */
static int nexus_queue_to_peer(struct sock *sk, struct sock *peer,
			       struct sk_buff *skb)
{
	struct nexus_sock *np = nexus_sk(peer);

	spin_lock(&np->state_lock);
	if (np->peer != sk || sock_flag(peer, SOCK_DEAD) ||
	    (peer->sk_shutdown & RCV_SHUTDOWN)) {
		spin_unlock(&np->state_lock);
		return -EPIPE;
	}
	NEXUS_SKB_CB(skb)->consumed = 0;
	/*
	 * Counted and linked in one section of the queue lock: a reader
	 * finds the skb only under that lock, so it never subtracts bytes
	 * not yet added, and nexus_rcvq_purge() takes out exactly what it
	 * unlinks.
	 */
	spin_lock(&peer->sk_receive_queue.lock);
	__skb_queue_tail(&peer->sk_receive_queue, skb);
	atomic_add(skb->len, &np->rcvq_bytes);
	spin_unlock(&peer->sk_receive_queue.lock);
	spin_unlock(&np->state_lock);
	peer->sk_data_ready(peer);
	return 0;
}

/* One unowned skb of @size (at most NEXUS_SKB_MAX) bytes. */
static struct sk_buff *nexus_alloc_one(struct sock *sk, size_t size, int *err)
{
	size_t data_len = 0;
	struct sk_buff *skb;

	/*
	 * What does not fit in the head of a one-page skb goes to page
	 * fragments in whole pages, as AF_UNIX does: a 4 KiB message then
	 * costs one page and a small head, not a 4 KiB kmalloc() head plus a
	 * page for the last 320 bytes.
	 */
	if (size > SKB_MAX_HEAD(0))
		data_len = min_t(size_t, size,
				 PAGE_ALIGN(size - SKB_MAX_HEAD(0)));
	skb = alloc_skb_with_frags(size - data_len, data_len,
				   NEXUS_SKB_FRAG_ORDER, err,
				   sk->sk_allocation);
	if (!skb)
		return NULL;
	skb_put(skb, size - data_len);
	skb->data_len = data_len;
	skb->len = size;
	return skb;
}

/*
 * An skb for @size bytes, charged to @sk's send buffer (the caller has
 * checked for room). Above NEXUS_SKB_MAX bytes (seqpacket records only)
 * the rest goes to skbs chained on the frag_list of the first, whose
 * truesize includes theirs: it carries the whole charge.
 */
static struct sk_buff *nexus_alloc_skb(struct sock *sk, size_t size, int *err)
{
	size_t chunk = min_t(size_t, size, NEXUS_SKB_MAX);
	struct sk_buff *skb, *frag, **tail;

	skb = nexus_alloc_one(sk, chunk, err);
	if (!skb)
		return NULL;
	tail = &skb_shinfo(skb)->frag_list;
	for (size -= chunk; size; size -= chunk) {
		chunk = min_t(size_t, size, NEXUS_SKB_MAX);
		frag = nexus_alloc_one(sk, chunk, err);
		if (!frag) {
			kfree_skb(skb);
			return NULL;
		}
		*tail = frag;
		tail = &frag->next;
		skb->len += chunk;
		skb->data_len += chunk;
		skb->truesize += frag->truesize;
	}
	skb_set_owner_w(skb, sk);
	return skb;
}

/*
 * Sending is over: the reset that ended the connection, once, else EPIPE.
 * A reset is written before the shutdown and the unlinking, so a sender
 * that saw either also sees it.
 */
static int nexus_pipe_error(struct sock *sk)
{
	smp_rmb(); /* pairs with smp_wmb() in nexus_stream_unlink() */
	return sock_error(sk) ?: -EPIPE;
}

static int nexus_stream_sendmsg(struct socket *sock, struct msghdr *msg,
				size_t len)
{
	struct sock *sk = sock->sk;
	bool seqpacket = sk->sk_type == SOCK_SEQPACKET;
	struct sock *peer = NULL;
	size_t sent = 0, size;
	struct sk_buff *skb;
	long timeo;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (msg->msg_namelen)
		return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED ?
		       -EISCONN : -EOPNOTSUPP;

	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	err = nexus_send_wait_connected(sk, &timeo);
	if (err)
		goto out;
	if (seqpacket && len > READ_ONCE(sk->sk_sndbuf) - 32) {
		err = -EMSGSIZE;
		goto out;
	}

	do {
		err = sock_error(sk);
		if (err)
			break;
		if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) {
			err = nexus_pipe_error(sk);
			break;
		}
		if (!peer) {
			peer = nexus_get_peer(sk);
			if (!peer) {
				err = nexus_pipe_error(sk);
				break;
			}
		} else if (READ_ONCE(nexus_sk(sk)->peer) != peer) {
			/*
			 * This socket left the connection the send began on
			 * (connect(AF_UNSPEC) by another thread, which clears
			 * sk_shutdown, perhaps followed by a new connection):
			 * the send is over. nexus_wait_for_room() returns 0
			 * for this, and the old peer may stay full for ever.
			 */
			err = nexus_pipe_error(sk);
			break;
		}
		if (!len && !seqpacket)
			break;		/* nothing to send, as TCP */
		if (!nexus_stream_may_send(sk, peer)) {
			err = nexus_wait_for_room(sk, peer, &timeo);
			if (err)
				break;
			continue;	/* re-check errors and shutdown */
		}

		/*
		 * A stream skb takes at most half the send buffer (two in
		 * flight keep both ends busy, as AF_UNIX) and what one skb
		 * can hold; a seqpacket record is one skb, however long.
		 */
		size = len - sent;
		if (!seqpacket)
			size = min_t(size_t, size,
				     min_t(int, NEXUS_SKB_MAX,
					   max_t(int,
						 READ_ONCE(sk->sk_sndbuf) / 2 - 64,
						 SKB_MAX_HEAD(0))));
		skb = nexus_alloc_skb(sk, size, &err);
		if (!skb)
			break;
		err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, size);
		if (!err)
			err = nexus_queue_to_peer(sk, peer, skb);
		if (err) {
			kfree_skb(skb);
			break;
		}
		sent += size;
	} while (sent < len);

out:
	if (peer)
		sock_put(peer);
	if (sent)
		return sent;
	if (err == -EPIPE && !(msg->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

/* Fill msg_name with the peer's address (recvfrom on a connection). */
static void nexus_recv_name(struct sock *sk, struct msghdr *msg)
{
	DECLARE_SOCKADDR(struct sockaddr_nx *, sa, msg->msg_name);

	if (!sa)
		return;
	nexus_fill_addr(sa, nexus_sk(sk)->peer_node, nexus_sk(sk)->peer_port);
	msg->msg_namelen = sizeof(*sa);
}

/*
 * Wake function of a reader waiting for data. Write-space wake-ups
 * (EPOLLOUT alone) share the socket's wait queue but are not for it:
 * without this filter a thread blocked in recvmsg() is woken, only to
 * sleep again, each time the peer consumes an skb this end sent - twice
 * the context switches of a request/response exchange.
 */
static int nexus_reader_wake(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int sync, void *key)
{
	if (key && !(key_to_poll(key) & (EPOLLIN | EPOLLRDNORM | EPOLLERR |
					 EPOLLHUP | EPOLLRDHUP)))
		return 0;
	return woken_wake_function(wq_entry, mode, sync, key);
}

/*
 * Wait, socket lock held, until the receive queue has data or reading can
 * no longer block. Return: 0 to look again, 1 at end of file, or -errno.
 */
static int nexus_wait_for_data(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, nexus_reader_wake);
	int err = 0;

	sock_owned_by_me(sk);
	add_wait_queue(sk_sleep(sk), &wait);
	smp_mb(); /* queued before testing; pairs with sk_data_ready's */
	while (skb_queue_empty_lockless(&sk->sk_receive_queue)) {
		err = sock_error(sk);
		if (err)
			break;
		if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) {
			smp_rmb(); /* a reset is written before the shutdown */
			err = sock_error(sk) ?: 1;
			break;
		}
		if (READ_ONCE(sk->sk_state) == TCP_CLOSE) {
			err = -ENOTCONN;
			break;
		}
		err = nexus_wait_step(sk, &wait, timeo, -EAGAIN, true);
		if (err)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static int nexus_seqpacket_recv(struct sock *sk, struct msghdr *msg,
				size_t len, int flags, long timeo)
{
	struct sk_buff *skb;
	int err, copied;

	for (;;) {
		/*
		 * Under the queue lock: the sender links a new skb in
		 * concurrently, and its contents must be seen with it.
		 */
		spin_lock(&sk->sk_receive_queue.lock);
		skb = skb_peek(&sk->sk_receive_queue);
		spin_unlock(&sk->sk_receive_queue.lock);
		if (skb)
			break;
		err = nexus_wait_for_data(sk, &timeo);
		if (err)
			return err > 0 ? 0 : err;
	}

	copied = min_t(size_t, len, skb->len);
	if (copied < skb->len)
		msg->msg_flags |= MSG_TRUNC;
	else
		msg->msg_flags |= MSG_EOR;
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		return err;
	nexus_recv_name(sk, msg);
	if (flags & MSG_TRUNC)
		copied = skb->len;
	if (!(flags & MSG_PEEK)) {
		atomic_sub(skb->len, &nexus_sk(sk)->rcvq_bytes);
		skb_unlink(skb, &sk->sk_receive_queue);
		consume_skb(skb);
	}
	return copied;
}

static int nexus_stream_recv(struct sock *sk, struct msghdr *msg, size_t len,
			     int flags, long timeo)
{
	int target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	struct sk_buff *skb, *last = NULL;
	size_t copied = 0;
	int err = 0;

	while (copied < len) {
		u32 off, chunk;
		int left;

		spin_lock(&sk->sk_receive_queue.lock);
		skb = last ? skb_peek_next(last, &sk->sk_receive_queue) :
			     skb_peek(&sk->sk_receive_queue);
		spin_unlock(&sk->sk_receive_queue.lock);
		if (!skb) {
			if (copied >= target || (copied && (flags & MSG_PEEK)))
				break;
			/* Data first; an error or EOF is for the next call. */
			if (copied && (READ_ONCE(sk->sk_err) ||
				       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)))
				break;
			err = nexus_wait_for_data(sk, &timeo);
			if (err)
				break;
			continue;
		}

		off = NEXUS_SKB_CB(skb)->consumed;
		chunk = min_t(size_t, skb->len - off, len - copied);
		if (skb_copy_datagram_msg(skb, off, msg, chunk)) {
			err = -EFAULT;
			break;
		}
		copied += chunk;
		if (flags & MSG_PEEK) {
			last = skb;
			continue;
		}
		left = atomic_sub_return(chunk, &nexus_sk(sk)->rcvq_bytes);
		NEXUS_SKB_CB(skb)->consumed += chunk;
		if (NEXUS_SKB_CB(skb)->consumed == skb->len) {
			skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);	/* wakes the writer */
		} else {
			nexus_stream_room_made(sk, left, chunk);
		}
	}

	if (copied) {
		nexus_recv_name(sk, msg);
		return copied;
	}
	return err > 0 ? 0 : err;
}

static int nexus_stream_recvmsg(struct socket *sock, struct msghdr *msg,
				size_t len, int flags)
{
	struct sock *sk = sock->sk;
	int err, state;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	state = READ_ONCE(sk->sk_state);	/* SYN_SENT may end meanwhile */
	if (state == TCP_LISTEN || state == TCP_CLOSE) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	if (sk->sk_type == SOCK_SEQPACKET)
		err = nexus_seqpacket_recv(sk, msg, len, flags, timeo);
	else
		err = nexus_stream_recv(sk, msg, len, flags, timeo);
out:
	release_sock(sk);
	return err;
}

static __poll_t nexus_stream_poll(struct file *file, struct socket *sock,
				  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = READ_ONCE(sk->sk_state);
	if (state == TCP_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog) ? EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (atomic_read(&nexus_sk(sk)->rcvq_bytes) >=
	    sock_rcvlowat(sk, 0, INT_MAX) ||
	    (sk->sk_type == SOCK_SEQPACKET &&
	     !skb_queue_empty_lockless(&sk->sk_receive_queue)))
		mask |= EPOLLIN | EPOLLRDNORM;

	/* While an attempt is pending the socket is not writable. */
	if (state != TCP_SYN_SENT) {
		if (shutdown & SEND_SHUTDOWN)
			mask |= EPOLLOUT | EPOLLWRNORM;
		else if (nexus_stream_poll_writable(sk))
			mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	}

	smp_rmb(); /* pairs with smp_wmb() before error wake-ups */
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static int nexus_stream_ioctl(struct socket *sock, unsigned int cmd,
			      unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sock *peer;
	int amount;

	switch (cmd) {
	case SIOCINQ:
		if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
			return -EINVAL;
		amount = atomic_read(&nexus_sk(sk)->rcvq_bytes);
		break;
	case SIOCOUTQ:
		/* Sent and not yet read by the peer. */
		peer = nexus_get_peer(sk);
		amount = peer ? atomic_read(&nexus_sk(peer)->rcvq_bytes) : 0;
		if (peer)
			sock_put(peer);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

#define NEXUS_STREAM_OPS						\
	.family = PF_NEXUS,						\
	.owner = THIS_MODULE,						\
	.release = nexus_stream_release,				\
	.bind = nexus_bind,						\
	.connect = nexus_stream_connect,				\
	.socketpair = sock_no_socketpair,				\
	.accept = nexus_stream_accept,					\
	.getname = nexus_getname,					\
	.poll = nexus_stream_poll,					\
	.ioctl = nexus_stream_ioctl,					\
	.listen = nexus_stream_listen,					\
	.shutdown = nexus_stream_shutdown,				\
	.setsockopt = nexus_setsockopt,					\
	.getsockopt = nexus_getsockopt,					\
	.sendmsg = nexus_stream_sendmsg,				\
	.recvmsg = nexus_stream_recvmsg,				\
	.mmap = sock_no_mmap

const struct proto_ops nexus_stream_ops = {
	NEXUS_STREAM_OPS,
};

const struct proto_ops nexus_seqpacket_ops = {
	NEXUS_STREAM_OPS,
};
