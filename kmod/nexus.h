/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nexus: internal definitions shared by the module's source files.
 *
 * Files:
 *   af_nexus.c  module init/exit, socket(), per-namespace state, the
 *               operations common to every socket type
 *   addr.c      address validation and the port table (bind, lookup,
 *               ephemeral ports)
 *   sysctl.c    the net.nexus.* sysctls of each namespace
 *   proc.c      the per-namespace list of all sockets, /proc/net/nexus
 *   stream.c    SOCK_STREAM and SOCK_SEQPACKET
 *   dgram.c     SOCK_DGRAM
 */
#ifndef _NEXUS_H
#define _NEXUS_H

#include <linux/list.h>
#include <linux/net.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include <kunit/visibility.h>

#include "../uapi/linux/nexus.h"
#include "compat.h"

/*
 * The address family number in use (module parameter "family", default
 * AF_NEXUS): the slot registered, sk_family (SO_DOMAIN), the protocol
 * number socket() accepts besides 0, and snx_family of every address in
 * and out. Two things stay 22 (AF_NEXUS), fixed at build time: the
 * on-demand module alias net-pf-22, and the .family of the const proto_ops
 * tables (6.1 reads it only to compare with PF_UNIX, in scm.c; the slot
 * comes from net_proto_family.family).
 */
extern int nexus_family;

/*
 * Per-network-namespace state, reached through net_generic().
 *
 * The sysctl values are read locklessly with READ_ONCE() (a reader sees
 * either the old or the new value of each field) and written with
 * WRITE_ONCE() by the sysctl handlers (sysctl.c), with two exceptions:
 * - @ephemeral_lo and @ephemeral_hi are written together inside
 *   @ephemeral_lock's write section and read as a pair with
 *   nexus_ephemeral_range(), so that no reader sees the low end of one
 *   write with the high end of another.
 * - @unpriv_port_start is also written inside @ephemeral_lock's write
 *   section, which keeps the rule "ephemeral_lo >= unpriv_port_start"
 *   true across concurrent writes of the two sysctls. Readers need not
 *   take it.
 *
 * @socks holds every nexus socket of the namespace, bound or not, in
 * creation order through sock.sk_node (see proc.c). @socks_lock (bh-safe)
 * protects it and the fields after it; it is taken on socket creation and
 * destruction, by /proc/net/nexus readers and by nexus_sock_list_next()
 * (one step of a walk that holds sockets, not the lock), nests outside
 * sk_callback_lock and is never held with a port table bucket lock.
 */
#define NEXUS_SOCKS_RING 16	/* removals a /proc reader's cursor survives */

struct nexus_net {
	u32 node;			/* this namespace's node id */
	u32 ephemeral_lo;		/* ephemeral port range, inclusive */
	u32 ephemeral_hi;
	u32 unpriv_port_start;		/* lower ports need CAP_NET_BIND_SERVICE */
	u32 connect_timeout_ms;		/* default NEXUS_CONNECT_TIMEOUT */
	u32 dgram_qlen;			/* datagram receive queue length */
	seqlock_t ephemeral_lock;	/* see above */
	struct ctl_table_header *sysctl_hdr;
	spinlock_t socks_lock;		/* see above */
	struct hlist_head socks;	/* all sockets, oldest first */
	struct hlist_node *socks_tail;	/* the newest one's sk_node, or NULL */
	u64 socks_seq;			/* last nexus_sock.list_seq handed out */
	u64 socks_removed;		/* sockets removed so far */
	u64 socks_ring[NEXUS_SOCKS_RING]; /* list_seq of the last removals */
};

struct nexus_net *nexus_net(const struct net *net);

/* Where a connect()/sendto() target node is, seen from namespace @net. */
enum nexus_node_kind {
	NEXUS_NODE_IS_LOCAL,		/* NEXUS_NODE_ANY or this node's id */
	NEXUS_NODE_IS_BROADCAST,	/* NEXUS_NODE_BROADCAST */
	NEXUS_NODE_IS_FOREIGN,		/* any other: ENETUNREACH */
};

static inline enum nexus_node_kind nexus_node_kind(const struct net *net,
						   u32 node)
{
	if (node == NEXUS_NODE_ANY || node == READ_ONCE(nexus_net(net)->node))
		return NEXUS_NODE_IS_LOCAL;
	if (node == NEXUS_NODE_BROADCAST)
		return NEXUS_NODE_IS_BROADCAST;
	return NEXUS_NODE_IS_FOREIGN;
}

/*
 * A nexus socket.
 *
 * Locking rules:
 * - lock_sock() (the socket lock) protects every field below that is not
 *   marked otherwise, and sk_state transitions.
 * - @hashed and @bind_node are written under the port table's bucket lock
 *   (see addr.c) while the socket lock is held; they are read under either.
 * - A field read without its lock (READ_ONCE()) has every writer use
 *   WRITE_ONCE(), so that the lockless reader sees an old or a new value,
 *   never a torn or refetched one. The rule of each such field is given
 *   beside it; the lockless readers are /proc/net/nexus (proc.c, an
 *   unlocked snapshot of every field it shows), the datagram sender checks
 *   and getname()/getsockopt().
 */
struct nexus_sock {
	struct sock sk;			/* must be first */
	/*
	 * @port: local port, 0 while unbound. Written (WRITE_ONCE) with the
	 * socket lock held, and the bucket lock too while @hashed; the server
	 * end of a connection gets its listener's port in nexus_establish()
	 * before any system call can reach it. Read under either lock, or
	 * locklessly with READ_ONCE() (proc.c, dgram.c's sender checks).
	 */
	u32 port;
	/*
	 * @peer_port, @peer_node: the connected peer. Stream: written
	 * (WRITE_ONCE) under @state_lock, which a promotion by the listener
	 * takes without the client's socket lock, so the client's own
	 * getname() reads them with READ_ONCE() too. Datagram: written
	 * (WRITE_ONCE) under lock_sock() and @dgram_lock (see below). proc.c
	 * reads them locklessly.
	 */
	u32 peer_port;
	u32 peer_node;
	bool hashed;			/* @bind_node is in the port table */
	u64 list_seq;			/* creation number in nexus_net.socks,
					 * 0 while not listed (socks_lock)
					 */
	struct hlist_node bind_node;	/* port table entry */
	/*
	 * 0: no limit. Written (WRITE_ONCE) under the socket lock by
	 * setsockopt(); read with READ_ONCE() by getsockopt() without it.
	 */
	u64 connect_timeout_ms;

	/*
	 * The type-specific parts share storage: a socket's type never
	 * changes, and each part is initialised and used only by its own file
	 * (nexus_sk_alloc() calls one init function by type).
	 *
	 * SOCK_STREAM and SOCK_SEQPACKET (stream.c): the state machine and
	 * the rules for @state_lock are described at the top of stream.c.
	 *
	 * SOCK_DGRAM (dgram.c): @dgram_lock is a per-socket spinlock, taken
	 * in process context only (nexus_dgram_release_cb() takes it under
	 * sk_lock.slock, bottom halves off), inside lock_sock() when held,
	 * never while a port table bucket lock is held, and never nested with
	 * another socket's @dgram_lock (a path that needs two sockets' state
	 * takes one after the other, holding a reference instead). Inside it
	 * only wait queue locks and the receive queue lock are taken. For
	 * datagram sockets, @peer_port and @peer_node are written with both
	 * lock_sock() and @dgram_lock held, so either protects a read;
	 * peer_node is NEXUS_NODE_BROADCAST for a broadcast association. The
	 * datagram sk_state is written (WRITE_ONCE) with both held too, and
	 * read by proc.c without either.
	 */
	union {
		struct {	/* stream and seqpacket */
			spinlock_t state_lock;
			/*
			 * Unread bytes queued: the sum over the receive
			 * queue's skbs of len - consumed. A sender adds in
			 * the queue lock's section that links the skb; the
			 * reader (socket lock) subtracts what it consumes;
			 * nexus_rcvq_purge() (socket lock) subtracts what it
			 * unlinks, in the queue lock. Never reset. Read
			 * locklessly (ioctl, poll, the senders' room check).
			 * Beside @state_lock, in what would be padding: with
			 * it struct nexus_sock is 1024 bytes, as unix_sock.
			 */
			atomic_t rcvq_bytes;
			/*
			 * The connected peer (held): written (WRITE_ONCE)
			 * under @state_lock; a sender waiting for room
			 * compares it with READ_ONCE(), never dereferencing it.
			 */
			struct sock *peer;
			struct sock *listener;	/* SYN_SENT: listener (held) */
			struct sock *child;	/* SYN_SENT: the server end */
			struct list_head pending_node; /* in listener's pending_q */
			struct list_head accept_node;  /* in listener's accept_q */
			struct list_head pending_q; /* listener: attempts, FIFO */
			struct list_head accept_q;  /* listener: to be accepted */
			struct delayed_work connect_work; /* connect timeout */
			/*
			 * The pending attempt's timeout, under @state_lock:
			 * written before SYN_SENT is published and read only
			 * under the lock by the timeout work, which fails the
			 * attempt only if it is armed and has expired.
			 */
			unsigned long connect_deadline;	/* jiffies */
			bool connect_armed;	/* the attempt has a timeout */
			int rcvbuf_seen;	/* sk_rcvbuf at the last
						 * release_sock() (sk_lock)
						 */
		};
		struct {	/* datagram */
			spinlock_t dgram_lock;
			/* Under @dgram_lock (written with lock_sock() too): */
			struct sock *dgram_peer; /* unicast peer (held) */
			struct list_head dgram_conn_node; /* on its dgram_conns */
			/* Under @dgram_lock: */
			struct list_head dgram_conns; /* sockets whose peer we are */
			u32 dgram_rbytes;	/* truesize of queued datagrams */
			bool dgram_full_seen;	/* a sender found the queue full */
			bool dgram_closed;	/* released: refuse everything */
			/* Senders waiting for room in our queue (own lock): */
			wait_queue_head_t dgram_peer_wait;
		};
	};
};

static inline struct nexus_sock *nexus_sk(const struct sock *sk)
{
	return container_of(sk, struct nexus_sock, sk);
}

extern struct workqueue_struct *nexus_wq;
struct sock *nexus_sk_alloc(struct net *net, struct socket *sock, int type,
			    int kern);

/*
 * The namespace's ephemeral port range as one consistent pair (lo <= hi
 * unless a KUnit test wrote the fields directly).
 */
static inline void nexus_ephemeral_range(struct nexus_net *nn, u32 *lo,
					 u32 *hi)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&nn->ephemeral_lock);
		*lo = READ_ONCE(nn->ephemeral_lo);
		*hi = READ_ONCE(nn->ephemeral_hi);
	} while (read_seqretry(&nn->ephemeral_lock, seq));
}

/* addr.c: address validation and the port table */
int nexus_addr_check(const struct sockaddr *uaddr, int addr_len,
		     bool allow_unspec);
int nexus_port_table_init(void);
void nexus_port_table_exit(void);
int nexus_bind_port(struct sock *sk, u32 port);
int nexus_autobind(struct sock *sk);
void nexus_unbind(struct sock *sk);
struct sock *nexus_lookup(const struct net *net, u32 port);
unsigned int nexus_lookup_all(const struct net *net, u32 port,
			      struct sock **socks, unsigned int max);
u32 nexus_port_table_bits(void);
u32 nexus_port_bucket(const struct net *net, u32 port);

/* sysctl.c: net.nexus.* (called from the pernet init/exit) */
enum {
	NEXUS_SYSCTL_NODE,
	NEXUS_SYSCTL_EPHEMERAL,
	NEXUS_SYSCTL_UNPRIV,
	NEXUS_SYSCTL_CONNECT_TIMEOUT,
	NEXUS_SYSCTL_DGRAM_QLEN,
	NEXUS_SYSCTL_COUNT		/* entries in the table (no sentinel) */
};

int nexus_sysctl_register(struct net *net);
void nexus_sysctl_unregister(struct net *net);

/*
 * proc.c: the namespace's socket list and /proc/net/nexus. Every nexus
 * sock (also one made by accept()) is added once with nexus_sock_list_add()
 * before it is visible to anyone; nexus_sock_destruct() removes it.
 */
void nexus_sock_list_add(struct sock *sk);
void nexus_sock_list_del(struct sock *sk);
struct sock *nexus_sock_list_next(struct nexus_net *nn, struct sock *prev);
int nexus_proc_net_init(struct net *net);
void nexus_proc_net_exit(struct net *net);

/* af_nexus.c: operations shared by every socket type */
int nexus_bind(struct socket *sock, NEXUS_SOCKADDR *uaddr, int addr_len);
int nexus_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int nexus_setsockopt(struct socket *sock, int level, int optname,
		     sockptr_t optval, unsigned int optlen);
int nexus_getsockopt(struct socket *sock, int level, int optname,
		     char __user *optval, int __user *optlen);
void nexus_fill_addr(struct sockaddr_nx *sa, u32 node, u32 port);
void nexus_wake_writers(struct sock *sk);

/* stream.c */
extern const struct proto_ops nexus_stream_ops;
extern const struct proto_ops nexus_seqpacket_ops;
void nexus_stream_init_sock(struct sock *sk);
void nexus_stream_destruct(struct sock *sk);
void nexus_stream_release_cb(struct sock *sk);

/* dgram.c */
extern const struct proto_ops nexus_dgram_ops;
void nexus_dgram_init_sock(struct sock *sk);
void nexus_dgram_release_cb(struct sock *sk);
void nexus_dgram_qlen_raised(struct nexus_net *nn);
/* The largest datagram payload, in bytes: EMSGSIZE above it. */
#define NEXUS_DGRAM_MAX		65536
bool nexus_dgram_rcvq_full(u32 qlen, u32 max_qlen, u32 rbytes, u32 rcvbuf,
			   u32 charge);
int nexus_dgram_resolve(struct sock *sk, u32 node, u32 port,
			struct sock **target);

/*
 * For the KUnit suites (nexus_kunit.ko): with CONFIG_KUNIT, the functions
 * marked VISIBLE_IF_KUNIT are not static, and they and the internals the
 * suites call are exported with EXPORT_SYMBOL_IF_KUNIT() into the
 * EXPORTED_FOR_KUNIT_TESTING namespace only (include/kunit/visibility.h).
 * Without CONFIG_KUNIT nexus.ko exports nothing.
 */
#if IS_ENABLED(CONFIG_KUNIT)
/* stream.c: the transitions of the state machine (see there) */
void nexus_promote_pending(struct sock *l, struct list_head *done);
void nexus_finish_promoted(struct sock *l, struct list_head *done);
bool nexus_pending_fail(struct sock *c, int err);
void nexus_connect_timeout(struct work_struct *work);
void nexus_listen_stop(struct sock *l);
#endif

#endif /* _NEXUS_H */
