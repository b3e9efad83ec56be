// SPDX-License-Identifier: GPL-2.0
/*
 * AF_NEXUS SOCK_DGRAM sockets.
 *
 * A datagram is one skb, charged to the sending socket (so SO_SNDBUF bounds
 * what a sender has in flight) and queued directly on the receiver's
 * sk_receive_queue; skb->cb carries the sender's address. docs/dgram.md
 * describes the semantics; this comment describes the machinery.
 *
 * Receive queue bound: a receiver takes a datagram while it holds fewer than
 * the namespace's dgram_qlen datagrams and the truesize of what it holds
 * plus the new one stays within its SO_RCVBUF (an empty queue always takes
 * one). The truesize it holds is counted in dgram_rbytes, separately from
 * sk_rmem_alloc, because the memory is the sender's; /proc/net/nexus reads
 * it without the lock (RxQueue), so it is written with WRITE_ONCE().
 *
 * Flow control: a sender that finds the queue full sets dgram_full_seen and
 * sleeps on the receiver's dgram_peer_wait (holding a reference to the
 * receiver). When a reader dequeues and finds dgram_full_seen set, it wakes
 * that queue and every socket connected to it (dgram_conns), so that poll()
 * on a connected sender, which reports POLLOUT only while its peer can take
 * a datagram, is woken too. A receiver whose SO_RCVBUF grew does the same
 * when its queue now takes the smallest datagram (nexus_dgram_release_cb(),
 * from release_sock(), which setsockopt() ends with); dgram_full_seen is
 * read there without the lock first, so it is written with WRITE_ONCE().
 * Poll waiters only ever sleep on their own socket's wait queue: nothing
 * outlives the socket it is queued on.
 *
 * Peer lifetime: a connected socket holds a reference to its peer and is
 * on the peer's dgram_conns list. A closing socket marks itself
 * dgram_closed, reports ECONNREFUSED (sk_err) to every socket on its list
 * and wakes its dgram_peer_wait; senders find dgram_closed under its lock.
 * A new socket bound to the same port is a different struct sock, so it
 * never becomes anyone's peer by accident.
 *
 * Locking, outermost first: lock_sock() of one socket; then at most one
 * socket's dgram_lock at a time; then wait queue locks and the receive
 * queue lock. No sleeping under dgram_lock; the port table is only touched
 * through addr.c (its bucket locks are leaves). nexus_dgram_release_cb()
 * takes the socket's own dgram_lock inside release_sock()'s sk_lock.slock
 * (bottom halves off); nothing takes sk_lock.slock under dgram_lock.
 */
#include <asm/ioctls.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/sockios.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "nexus.h"

/* Per-datagram state in skb->cb. */
struct nexus_dgram_cb {
	u32 src_port;
	u32 src_node;
	u32 charge;		/* added to the receiver's dgram_rbytes */
};

#define NEXUS_DGRAM_CB(skb)	((struct nexus_dgram_cb *)(skb)->cb)

/* Broadcast receivers collected on the stack before allocating. */
#define NEXUS_BCAST_STACK	8

/* Our receive queues get their own lockdep class, as AF_UNIX does. */
static struct lock_class_key nexus_dgram_rqueue_key;

void nexus_dgram_init_sock(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	BUILD_BUG_ON(sizeof(struct nexus_dgram_cb) >
		     sizeof_field(struct sk_buff, cb));
	sk->sk_state = TCP_CLOSE;
	lockdep_set_class(&sk->sk_receive_queue.lock, &nexus_dgram_rqueue_key);
	spin_lock_init(&nsk->dgram_lock);
	nsk->dgram_peer = NULL;
	INIT_LIST_HEAD(&nsk->dgram_conn_node);
	INIT_LIST_HEAD(&nsk->dgram_conns);
	nsk->dgram_rbytes = 0;
	nsk->dgram_full_seen = false;
	nsk->dgram_closed = false;
	init_waitqueue_head(&nsk->dgram_peer_wait);
}

/**
 * nexus_dgram_rcvq_full - is a receive queue too full for one more datagram?
 * @qlen: datagrams queued now
 * @max_qlen: the namespace's dgram_qlen (0 behaves as 1)
 * @rbytes: truesize of the datagrams queued now
 * @rcvbuf: the receiver's sk_rcvbuf
 * @charge: truesize of the new datagram
 *
 * An empty queue always takes one datagram, so that a datagram larger than
 * the receiver's buffer is not refused forever.
 *
 * Return: true when the datagram must wait (or be refused with EAGAIN).
 */
bool nexus_dgram_rcvq_full(u32 qlen, u32 max_qlen, u32 rbytes, u32 rcvbuf,
			   u32 charge)
{
	if (!qlen)
		return false;
	if (qlen >= max_t(u32, max_qlen, 1))
		return true;
	return (u64)rbytes + charge > rcvbuf;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_dgram_rcvq_full);

/**
 * nexus_dgram_resolve - find where datagrams for (@node, @port) go
 * @sk: the sending or connecting socket
 * @node: the target node
 * @port: the target port
 * @target: set to the receiving socket, or NULL for the broadcast node
 *
 * Return: 0 with *@target held (sock_put() it) or NULL for a broadcast;
 * -ENETUNREACH for a foreign node, -EACCES for the broadcast node without
 * SO_BROADCAST, -ECONNREFUSED when nothing is bound to @port, -EPROTOTYPE
 * when a stream or seqpacket socket is.
 */
int nexus_dgram_resolve(struct sock *sk, u32 node, u32 port,
			struct sock **target)
{
	struct sock *other;

	*target = NULL;
	switch (nexus_node_kind(sock_net(sk), node)) {
	case NEXUS_NODE_IS_FOREIGN:
		return -ENETUNREACH;
	case NEXUS_NODE_IS_BROADCAST:
		return sock_flag(sk, SOCK_BROADCAST) ? 0 : -EACCES;
	case NEXUS_NODE_IS_LOCAL:
		break;
	}
	other = nexus_lookup(sock_net(sk), port);
	if (!other)
		return -ECONNREFUSED;
	if (other->sk_type != SOCK_DGRAM) {
		sock_put(other);
		return -EPROTOTYPE;
	}
	*target = other;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_dgram_resolve);

/*
 * Wake everyone who may be waiting to send to @sk: blocked senders and
 * poll()ers of the sockets connected to it. Called with @sk's dgram_lock
 * held.
 */
static void nexus_dgram_wake_senders_locked(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk), *c;

	lockdep_assert_held(&nsk->dgram_lock);
	WRITE_ONCE(nsk->dgram_full_seen, false);
	list_for_each_entry(c, &nsk->dgram_conns, dgram_conn_node)
		nexus_wake_writers(&c->sk);
	wake_up_interruptible_all(&nsk->dgram_peer_wait);
}

/* The peer of @sk has closed: report it once through sk_err. */
static void nexus_dgram_peer_gone(struct sock *sk)
{
	WRITE_ONCE(sk->sk_err, ECONNREFUSED);
	sk_error_report(sk);
}

/*
 * Under @other's dgram_lock: may @sk queue a datagram on @other now?
 * A connected socket takes datagrams only from its peer (a broadcast
 * association: only from sockets bound to the peer port).
 */
static int nexus_dgram_may_send(const struct sock *sk,
				const struct sock *other)
{
	const struct nexus_sock *on = nexus_sk(other);

	lockdep_assert_held(&on->dgram_lock);
	if (on->dgram_closed)
		return -ECONNREFUSED;
	if (on->dgram_peer) {
		if (on->dgram_peer != sk)
			return -EPERM;
	} else if (on->peer_port &&
		   on->peer_port != READ_ONCE(nexus_sk(sk)->port)) {
		return -EPERM;
	}
	if (READ_ONCE(other->sk_shutdown) & RCV_SHUTDOWN)
		return -EPIPE;
	return 0;
}

/* Under @other's dgram_lock: must a datagram of truesize @charge wait? */
static bool nexus_dgram_full(const struct sock *other, u32 charge)
{
	struct nexus_net *nn = nexus_net(sock_net(other));

	lockdep_assert_held(&nexus_sk(other)->dgram_lock);
	return nexus_dgram_rcvq_full(skb_queue_len_lockless(&other->sk_receive_queue),
				     READ_ONCE(nn->dgram_qlen),
				     nexus_sk(other)->dgram_rbytes,
				     READ_ONCE(other->sk_rcvbuf), charge);
}

/*
 * Queue @skb on @other, waiting up to *@timeo for room. Consumes @skb on
 * success only.
 */
static int nexus_dgram_unicast(struct sock *sk, struct sock *other,
			       struct sk_buff *skb, long *timeo)
{
	struct nexus_sock *on = nexus_sk(other);
	DEFINE_WAIT(wait);
	int err;

	for (;;) {
		spin_lock(&on->dgram_lock);
		err = nexus_dgram_may_send(sk, other);
		if (err)
			break;
		if (!nexus_dgram_full(other, skb->truesize)) {
			NEXUS_DGRAM_CB(skb)->charge = skb->truesize;
			WRITE_ONCE(on->dgram_rbytes,
				   on->dgram_rbytes + skb->truesize);
			skb_queue_tail(&other->sk_receive_queue, skb);
			spin_unlock(&on->dgram_lock);
			other->sk_data_ready(other);
			return 0;
		}
		WRITE_ONCE(on->dgram_full_seen, true);
		err = -EAGAIN;
		if (!*timeo)
			break;
		prepare_to_wait(&on->dgram_peer_wait, &wait, TASK_INTERRUPTIBLE);
		spin_unlock(&on->dgram_lock);
		*timeo = schedule_timeout(*timeo);
		finish_wait(&on->dgram_peer_wait, &wait);
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
	}
	spin_unlock(&on->dgram_lock);
	return err;
}

/*
 * Deliver @skb to every datagram socket bound to @port in @sk's namespace,
 * without waiting: a receiver that is full, shut down for reading or
 * connected to another socket does not get a copy. Consumes @skb.
 */
static void nexus_dgram_broadcast(struct sock *sk, u32 port,
				  struct sk_buff *skb)
{
	struct sock *stack[NEXUS_BCAST_STACK], **socks = stack, **bigger;
	unsigned int n, max = ARRAY_SIZE(stack), i;
	long timeo = 0;

	for (;;) {
		n = nexus_lookup_all(sock_net(sk), port, socks, max);
		if (n <= max)
			break;
		/* More receivers than room: retry with room for all. */
		bigger = kmalloc_array(n, sizeof(*socks), GFP_KERNEL);
		if (!bigger) {
			n = max;	/* best effort: those we hold */
			break;
		}
		for (i = 0; i < max; i++)
			sock_put(socks[i]);
		if (socks != stack)
			kfree(socks);
		socks = bigger;
		max = n;
	}

	for (i = 0; i < n; i++) {
		struct sock *other = socks[i];
		struct sk_buff *copy;

		if (other->sk_type == SOCK_DGRAM) {
			copy = skb_clone(skb, GFP_KERNEL);
			if (copy) {
				skb_set_owner_w(copy, sk);
				if (nexus_dgram_unicast(sk, other, copy,
							&timeo))
					kfree_skb(copy);
			}
		}
		sock_put(other);
	}
	if (socks != stack)
		kfree(socks);
	consume_skb(skb);
}

static int nexus_dgram_sendmsg(struct socket *sock, struct msghdr *msg,
			       size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_nx *, sa, msg->msg_name);
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *other = NULL;
	struct sk_buff *skb;
	size_t data_len = 0;
	u32 node, port;
	long timeo;
	int err;

	BUILD_BUG_ON(NEXUS_DGRAM_MAX - SKB_MAX_ALLOC >
		     MAX_SKB_FRAGS * PAGE_SIZE);

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (sa) {
		err = nexus_addr_check((struct sockaddr *)sa, msg->msg_namelen,
				       false);
		if (err)
			return err;
	}
	if (len > NEXUS_DGRAM_MAX)
		return -EMSGSIZE;
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;

	if (sa) {
		node = sa->snx_node;
		port = sa->snx_port;
		err = nexus_dgram_resolve(sk, node, port, &other);
		if (err)
			return err;
	} else {
		spin_lock(&nsk->dgram_lock);
		port = nsk->peer_port;
		other = nsk->dgram_peer;
		if (other)
			sock_hold(other);
		spin_unlock(&nsk->dgram_lock);
		if (!port)
			return -EDESTADDRREQ;
		/* A broadcast association: SO_BROADCAST may have been reset. */
		if (!other && !sock_flag(sk, SOCK_BROADCAST))
			return -EACCES;
	}

	if (!READ_ONCE(nsk->port)) {
		lock_sock(sk);
		err = nsk->port ? 0 : nexus_autobind(sk);
		release_sock(sk);
		if (err)
			goto out_put;
	}

	if (len > SKB_MAX_ALLOC)
		data_len = min_t(size_t, PAGE_ALIGN(len - SKB_MAX_ALLOC),
				 MAX_SKB_FRAGS * PAGE_SIZE);
	skb = sock_alloc_send_pskb(sk, len - data_len, data_len,
				   msg->msg_flags & MSG_DONTWAIT, &err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		goto out_put;
	skb_put(skb, len - data_len);
	skb->data_len = data_len;
	skb->len = len;
	err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (err)
		goto out_free;
	NEXUS_DGRAM_CB(skb)->src_port = READ_ONCE(nsk->port);
	NEXUS_DGRAM_CB(skb)->src_node = READ_ONCE(nexus_net(sock_net(sk))->node);

	if (!other) {
		nexus_dgram_broadcast(sk, port, skb);
		return len;
	}

	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	err = nexus_dgram_unicast(sk, other, skb, &timeo);
	if (err)
		goto out_free;
	sock_put(other);
	return len;

out_free:
	kfree_skb(skb);
out_put:
	if (other)
		sock_put(other);
	return err;
}

/* A datagram left @sk's queue: uncharge it and wake waiting senders. */
static void nexus_dgram_dequeued(struct sock *sk, struct sk_buff *skb)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	spin_lock(&nsk->dgram_lock);
	WRITE_ONCE(nsk->dgram_rbytes,
		   nsk->dgram_rbytes - NEXUS_DGRAM_CB(skb)->charge);
	if (nsk->dgram_full_seen)
		nexus_dgram_wake_senders_locked(sk);
	spin_unlock(&nsk->dgram_lock);
}

static int nexus_dgram_recvmsg(struct socket *sock, struct msghdr *msg,
			       size_t size, int flags)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	size_t copied;
	int off = -1;	/* no peek offset: a peeked empty datagram stays next */
	int err;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;

	/*
	 * Not skb_recv_datagram(): it peeks at offset 0, which skips a
	 * zero-length datagram that was peeked before.
	 */
	skb = __skb_recv_datagram(sk, &sk->sk_receive_queue, flags, &off, &err);
	if (!skb) {
		/* Shut down for reading: end of file, blocking or not. */
		if (err == -EAGAIN &&
		    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
			return 0;
		return err;
	}
	if (!(flags & MSG_PEEK))
		nexus_dgram_dequeued(sk, skb);

	copied = skb->len;
	if (copied > size) {
		copied = size;
		msg->msg_flags |= MSG_TRUNC;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;
	if (msg->msg_name) {
		DECLARE_SOCKADDR(struct sockaddr_nx *, sa, msg->msg_name);

		nexus_fill_addr(sa, NEXUS_DGRAM_CB(skb)->src_node,
				NEXUS_DGRAM_CB(skb)->src_port);
		msg->msg_namelen = sizeof(*sa);
	}
	err = (flags & MSG_TRUNC) ? skb->len : copied;
out:
	skb_free_datagram(sk, skb);
	return err;
}

/* Leave @other's list of connected sockets. */
static void nexus_dgram_unlink(struct sock *sk, struct sock *other)
{
	struct nexus_sock *on = nexus_sk(other);

	spin_lock(&on->dgram_lock);
	list_del_init(&nexus_sk(sk)->dgram_conn_node);
	spin_unlock(&on->dgram_lock);
}

/*
 * Join @other's list of connected sockets; if @other has closed meanwhile,
 * report it as if it had closed just after the connect.
 */
static void nexus_dgram_link(struct sock *sk, struct sock *other)
{
	struct nexus_sock *on = nexus_sk(other);
	bool closed;

	spin_lock(&on->dgram_lock);
	closed = on->dgram_closed;
	if (!closed)
		list_add_tail(&nexus_sk(sk)->dgram_conn_node, &on->dgram_conns);
	spin_unlock(&on->dgram_lock);
	if (closed)
		nexus_dgram_peer_gone(sk);
}

/*
 * Replace the association of @sk (locked by the caller): @other (whose
 * reference this takes over) or NULL with @port 0 (dissolve), or NULL with
 * a port (the broadcast node). Cannot fail.
 */
static void nexus_dgram_set_peer(struct sock *sk, struct sock *other,
				 u32 node, u32 port)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *old = nsk->dgram_peer;

	sock_owned_by_me(sk);
	/* First leave the old peer, so that its close no longer reaches us. */
	if (old)
		nexus_dgram_unlink(sk, old);

	spin_lock(&nsk->dgram_lock);
	nsk->dgram_peer = other;
	/* proc.c reads these three without a lock (nexus.h) */
	WRITE_ONCE(nsk->peer_node, node);
	WRITE_ONCE(nsk->peer_port, port);
	WRITE_ONCE(sk->sk_state, port ? TCP_ESTABLISHED : TCP_CLOSE);
	/* A pending error belonged to the old association. */
	WRITE_ONCE(sk->sk_err, 0);
	spin_unlock(&nsk->dgram_lock);

	if (other)
		nexus_dgram_link(sk, other);
	if (old)
		sock_put(old);
	/* poll() may have been waiting for room at the old peer. */
	nexus_wake_writers(sk);
}

static int nexus_dgram_connect(struct socket *sock, NEXUS_SOCKADDR *uaddr,
			       int addr_len, int flags)
{
	const struct sockaddr_nx *sa = (const struct sockaddr_nx *)uaddr;
	struct sock *sk = sock->sk;
	struct sock *other = NULL;
	u32 node;
	int err;

	err = nexus_addr_check((const struct sockaddr *)uaddr, addr_len, true);
	if (err < 0)
		return err;

	lock_sock(sk);
	if (err == 1) {		/* AF_UNSPEC: dissolve */
		nexus_dgram_set_peer(sk, NULL, 0, 0);
		err = 0;
		goto out;
	}

	/* Everything that can fail comes before the socket changes. */
	err = nexus_dgram_resolve(sk, sa->snx_node, sa->snx_port, &other);
	if (err)
		goto out;
	if (!nexus_sk(sk)->port) {
		err = nexus_autobind(sk);
		if (err)
			goto out;
	}
	node = other ? READ_ONCE(nexus_net(sock_net(sk))->node) :
		       NEXUS_NODE_BROADCAST;
	nexus_dgram_set_peer(sk, other, node, sa->snx_port);
	other = NULL;
out:
	release_sock(sk);
	if (other)
		sock_put(other);
	return err;
}

/* nexus_dgram_min_charge() once measured; 0 before. */
static u32 nexus_dgram_min_charge_cached;

/*
 * The truesize of the smallest datagram (zero bytes): poll() reports POLLOUT
 * on a connected socket while its peer can take one of those. Measured once,
 * since it depends on the allocator.
 */
static u32 nexus_dgram_min_charge(void)
{
	u32 charge = READ_ONCE(nexus_dgram_min_charge_cached);
	struct sk_buff *skb;

	if (likely(charge))
		return charge;
	skb = alloc_skb(0, GFP_KERNEL);
	if (!skb)
		return SKB_TRUESIZE(0);
	charge = skb->truesize;
	consume_skb(skb);
	WRITE_ONCE(nexus_dgram_min_charge_cached, charge);
	return charge;
}

/**
 * nexus_dgram_release_cb - release_sock() hook of a datagram socket
 * @sk: the socket, still owned by the caller, sk_lock.slock held (atomic)
 *
 * SO_RCVBUF has no hook of its own. When it grew so that the queue, which
 * a sender or poll() found full, takes the smallest datagram again (the
 * rule poll() uses), wake the waiting senders as a dequeue would. A smaller
 * SO_RCVBUF never makes room, so it wakes nobody.
 */
void nexus_dgram_release_cb(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	u32 charge;

	if (likely(!READ_ONCE(nsk->dgram_full_seen)))
		return;
	/* No allocation here: a smaller charge only wakes more senders. */
	charge = READ_ONCE(nexus_dgram_min_charge_cached) ?: SKB_TRUESIZE(0);
	spin_lock(&nsk->dgram_lock);
	if (nsk->dgram_full_seen && !nexus_dgram_full(sk, charge))
		nexus_dgram_wake_senders_locked(sk);
	spin_unlock(&nsk->dgram_lock);
}

static __poll_t nexus_dgram_poll(struct file *file, struct socket *sock,
				 poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	struct sock *other;
	__poll_t mask = 0;
	bool writable;
	u8 shutdown;

	sock_poll_wait(file, sock, wait);
	shutdown = READ_ONCE(sk->sk_shutdown);

	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (shutdown == SHUTDOWN_MASK)
		mask |= EPOLLHUP;
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;

	if (!(poll_requested_events(wait) &
	      (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND)))
		return mask;

	writable = sock_writeable(sk);
	if (writable) {
		spin_lock(&nsk->dgram_lock);
		other = nsk->dgram_peer;
		if (other)
			sock_hold(other);
		spin_unlock(&nsk->dgram_lock);
		if (other) {
			struct nexus_sock *on = nexus_sk(other);
			u32 charge = nexus_dgram_min_charge();

			/* Not writable only if a send would have to wait. */
			spin_lock(&on->dgram_lock);
			if (!nexus_dgram_may_send(sk, other) &&
			    nexus_dgram_full(other, charge)) {
				WRITE_ONCE(on->dgram_full_seen, true);
				writable = false;
			}
			spin_unlock(&on->dgram_lock);
			sock_put(other);
		}
	}
	if (writable)
		mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	else
		sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
	return mask;
}

static int nexus_dgram_ioctl(struct socket *sock, unsigned int cmd,
			     unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	unsigned long flags;
	int amount;

	switch (cmd) {
	case SIOCINQ:		/* FIONREAD: the size of the next datagram */
		spin_lock_irqsave(&sk->sk_receive_queue.lock, flags);
		skb = skb_peek(&sk->sk_receive_queue);
		amount = skb ? skb->len : 0;
		spin_unlock_irqrestore(&sk->sk_receive_queue.lock, flags);
		break;
	case SIOCOUTQ:		/* our datagrams not yet received */
		amount = sk_wmem_alloc_get(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

static int nexus_dgram_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;

	lock_sock(sk);
	spin_lock(&nsk->dgram_lock);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | (how + 1));
	/* Senders waiting for room now get EPIPE instead. */
	if (how != SHUT_WR)
		nexus_dgram_wake_senders_locked(sk);
	spin_unlock(&nsk->dgram_lock);
	release_sock(sk);
	sk->sk_state_change(sk);
	return 0;
}

static int nexus_dgram_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk, *c, *tmp;
	struct sock *peer;

	if (!sk)
		return 0;
	nsk = nexus_sk(sk);

	lock_sock(sk);
	nexus_unbind(sk);

	spin_lock(&nsk->dgram_lock);
	nsk->dgram_closed = true;
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	peer = nsk->dgram_peer;
	nsk->dgram_peer = NULL;
	list_for_each_entry_safe(c, tmp, &nsk->dgram_conns, dgram_conn_node) {
		list_del_init(&c->dgram_conn_node);
		if (&c->sk != sk)
			nexus_dgram_peer_gone(&c->sk);
	}
	wake_up_interruptible_all(&nsk->dgram_peer_wait);
	spin_unlock(&nsk->dgram_lock);

	if (peer) {
		nexus_dgram_unlink(sk, peer);
		sock_put(peer);
	}
	sk->sk_state_change(sk);
	sock_orphan(sk);
	release_sock(sk);

	/* Nothing can be queued any more: free what is (and its charges). */
	skb_queue_purge(&sk->sk_receive_queue);
	WRITE_ONCE(nsk->dgram_rbytes, 0);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

const struct proto_ops nexus_dgram_ops = {
	.family = PF_NEXUS,
	.owner = THIS_MODULE,
	.release = nexus_dgram_release,
	.bind = nexus_bind,
	.connect = nexus_dgram_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = nexus_getname,
	.poll = nexus_dgram_poll,
	.ioctl = nexus_dgram_ioctl,
	.listen = sock_no_listen,
	.shutdown = nexus_dgram_shutdown,
	.setsockopt = nexus_setsockopt,
	.getsockopt = nexus_getsockopt,
	.sendmsg = nexus_dgram_sendmsg,
	.recvmsg = nexus_dgram_recvmsg,
	.mmap = sock_no_mmap,
};
