// SPDX-License-Identifier: GPL-2.0
/*
 * The list of every nexus socket of a namespace, and /proc/net/nexus.
 *
 * The list (nexus_net.socks) is a plain hlist in creation order, oldest
 * first, linked through the socket's own sk_node (which nothing else in
 * nexus uses), with a tail pointer for appending. Each socket gets a
 * creation sequence number (nexus_sock.list_seq, from 1, never reused), so
 * the list is sorted by it. Creating a socket costs one append, destroying
 * it one unlink: a bh-safe spinlock and a few stores, as AF_UNIX pays for
 * its own socket table.
 *
 * A /proc/net/nexus reader's position is the sequence number of the next
 * socket to show, so a socket that lives through the read is shown exactly
 * once and in creation order, whatever closes in between. To resume in
 * O(1) instead of walking from the head on every read() (quadratic with
 * 100,000 sockets), the reader's seq_file private state remembers the next
 * socket's pointer without pinning it (a module on 6.1 gets no release hook
 * from proc_create_net() to drop a reference, so the cursor must need no
 * cleanup): the pointer is used only when that socket is known to be still
 * listed, i.e. no socket was removed since it was recorded, or none of the
 * removals since then was this one (the namespace keeps the sequence
 * numbers of its last NEXUS_SOCKS_RING removals). Otherwise the reader
 * walks from the head to the first socket with a sequence number at least
 * its position.
 *
 * Locking: nexus_net.socks_lock, bh-safe (the last sock_put() and with it
 * the destructor may run in softirq context), protects the list, its tail,
 * the counters and the ring. Socket creation and destruction take it for
 * one append or unlink; a reader holds it from ->start() to ->stop() of
 * each chunk, which keeps every socket it reaches from being freed (the
 * destructor unlinks the socket first thing, under this lock) without
 * taking socket references. Nothing sleeps under it; it nests outside
 * sk_callback_lock (sock_i_uid(), sock_i_ino()) and is never held with a
 * port table bucket lock.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus.h"

/**
 * nexus_sock_list_add - add a new socket to its namespace's list
 * @sk: the socket, not yet visible to userspace
 */
void nexus_sock_list_add(struct sock *sk)
{
	struct nexus_net *nn = nexus_net(sock_net(sk));

	spin_lock_bh(&nn->socks_lock);
	nexus_sk(sk)->list_seq = ++nn->socks_seq;
	if (nn->socks_tail)
		hlist_add_behind(&sk->sk_node, nn->socks_tail);
	else
		hlist_add_head(&sk->sk_node, &nn->socks);
	nn->socks_tail = &sk->sk_node;
	spin_unlock_bh(&nn->socks_lock);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_sock_list_add);

/* Remove a socket from the list (its destructor); any context. */
void nexus_sock_list_del(struct sock *sk)
{
	struct nexus_net *nn = nexus_net(sock_net(sk));
	struct nexus_sock *nsk = nexus_sk(sk);

	if (!nsk->list_seq)
		return;
	spin_lock_bh(&nn->socks_lock);
	if (nn->socks_tail == &sk->sk_node) {
		/* The new tail is the node whose ->next pprev points at. */
		nn->socks_tail = sk->sk_node.pprev == &nn->socks.first ? NULL :
			container_of(sk->sk_node.pprev, struct hlist_node, next);
	}
	hlist_del(&sk->sk_node);
	nn->socks_ring[nn->socks_removed % NEXUS_SOCKS_RING] = nsk->list_seq;
	nn->socks_removed++;
	spin_unlock_bh(&nn->socks_lock);
	nsk->list_seq = 0;
}

#ifdef CONFIG_PROC_FS

/*
 * A reader's cursor, in its seq_file's private state (freed with it; it
 * holds no reference). seq_file position: 0 is the header line; pos > 0
 * stands for "the first socket whose list_seq >= pos".
 */
struct nexus_seq_state {
	struct seq_net_private p;	/* must be first (seq_file_net()) */
	struct sock *next;		/* the socket at position @next_seq */
	u64 next_seq;
	u64 removed;			/* nexus_net.socks_removed then */
};

/* Is the socket the cursor remembers still listed? Under socks_lock. */
static bool nexus_seq_cursor_valid(const struct nexus_net *nn,
				   const struct nexus_seq_state *st, loff_t pos)
{
	u64 i;

	if (!st->next || st->next_seq != pos ||
	    nn->socks_removed - st->removed > NEXUS_SOCKS_RING)
		return false;
	for (i = st->removed; i != nn->socks_removed; i++)
		if (nn->socks_ring[i % NEXUS_SOCKS_RING] == st->next_seq)
			return false;
	return true;
}

/* Remember @sk (or the end, NULL) as the next socket; under socks_lock. */
static void *nexus_seq_remember(struct nexus_net *nn,
				struct nexus_seq_state *st, struct sock *sk,
				loff_t *pos)
{
	st->next = sk;
	st->removed = nn->socks_removed;
	if (sk) {
		st->next_seq = nexus_sk(sk)->list_seq;
		*pos = st->next_seq;
	} else {
		*pos = LLONG_MAX;	/* past every socket: the end */
	}
	return sk;
}

static void *nexus_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&nn->socks_lock)
{
	struct nexus_net *nn = nexus_net(seq_file_net(seq));
	struct nexus_seq_state *st = seq->private;
	struct sock *sk;

	spin_lock_bh(&nn->socks_lock);
	if (!*pos)
		return SEQ_START_TOKEN;
	if (*pos < 0 || (u64)*pos > nn->socks_seq)
		return NULL;
	if (nexus_seq_cursor_valid(nn, st, *pos))
		return st->next;
	sk_for_each(sk, &nn->socks)
		if (nexus_sk(sk)->list_seq >= (u64)*pos)
			break;
	return nexus_seq_remember(nn, st, sk, pos);
}

static void *nexus_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct nexus_net *nn = nexus_net(seq_file_net(seq));
	struct hlist_node *n;

	n = v == SEQ_START_TOKEN ? nn->socks.first :
				   ((struct sock *)v)->sk_node.next;
	return nexus_seq_remember(nn, seq->private,
				  n ? hlist_entry(n, struct sock, sk_node) : NULL,
				  pos);
}

static void nexus_seq_stop(struct seq_file *seq, void *v)
	__releases(&nn->socks_lock)
{
	spin_unlock_bh(&nexus_net(seq_file_net(seq))->socks_lock);
}

/* The first line; docs/address-space.md describes the columns. */
#define NEXUS_PROC_HEADER \
	"Num              Type St LocalNode  LocalPort  PeerNode   PeerPort   RxQueue    TxQueue    Inode      Uid\n"

/*
 * Receive queue: a listener's accept queue length (like TCP's); the unread
 * bytes of a stream or seqpacket socket; the receive buffer memory of a
 * datagram socket.
 */
static int nexus_seq_rxq(struct sock *sk)
{
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog);
	if (sk->sk_type != SOCK_DGRAM)
		return atomic_read(&nexus_sk(sk)->rcvq_bytes);
	/* Charged to the senders (see dgram.c), so not in sk_rmem_alloc. */
	return READ_ONCE(nexus_sk(sk)->dgram_rbytes);
}

static int nexus_seq_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_net(seq);
	struct nexus_sock *nsk;
	struct sock *sk = v;
	u32 port;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, NEXUS_PROC_HEADER);
		return 0;
	}
	nsk = nexus_sk(sk);
	/* Unlocked snapshot, as /proc/net/unix: fields may be mid-change. */
	port = READ_ONCE(nsk->port);
	seq_printf(seq, "%pK: %04X %02X %-10u %-10u %-10u %-10u %-10d %-10d %-10llu %u\n",
		   sk, sk->sk_type, READ_ONCE(sk->sk_state),
		   port ? READ_ONCE(nexus_net(net)->node) : NEXUS_NODE_ANY,
		   port, READ_ONCE(nsk->peer_node), READ_ONCE(nsk->peer_port),
		   nexus_seq_rxq(sk), sk_wmem_alloc_get(sk),
		   (u64)sock_i_ino(sk),	/* unsigned long before 6.13 */
		   from_kuid_munged(seq_user_ns(seq), nexus_sk_uid(sk)));
	return 0;
}

static const struct seq_operations nexus_seq_ops = {
	.start = nexus_seq_start,
	.next = nexus_seq_next,
	.stop = nexus_seq_stop,
	.show = nexus_seq_show,
};

static int nexus_proc_create(struct net *net)
{
	if (!proc_create_net("nexus", 0444, net->proc_net, &nexus_seq_ops,
			     sizeof(struct nexus_seq_state)))
		return -ENOMEM;
	return 0;
}

static void nexus_proc_remove(struct net *net)
{
	remove_proc_entry("nexus", net->proc_net);
}

#else /* !CONFIG_PROC_FS */

static int nexus_proc_create(struct net *net)
{
	return 0;
}

static void nexus_proc_remove(struct net *net)
{
}

#endif /* CONFIG_PROC_FS */

/**
 * nexus_proc_net_init - a namespace's socket list and /proc/net/nexus
 * @net: the namespace
 *
 * Return: 0 or -ENOMEM.
 */
int nexus_proc_net_init(struct net *net)
{
	struct nexus_net *nn = nexus_net(net);

	spin_lock_init(&nn->socks_lock);
	INIT_HLIST_HEAD(&nn->socks);
	nn->socks_tail = NULL;
	nn->socks_seq = 0;
	nn->socks_removed = 0;
	return nexus_proc_create(net);
}

/*
 * Undo nexus_proc_net_init(). Every socket is gone by now: user sockets
 * hold their namespace, and kernel sockets are released by their owners
 * before the namespace goes.
 */
void nexus_proc_net_exit(struct net *net)
{
	struct nexus_net *nn = nexus_net(net);

	nexus_proc_remove(net);
	WARN_ON_ONCE(!hlist_empty(&nn->socks));
}
