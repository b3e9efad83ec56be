// SPDX-License-Identifier: GPL-2.0
/*
 * The list of every nexus socket of a namespace, and /proc/net/nexus.
 *
 * The list is an XArray per namespace (nexus_net.socks) indexed by an id
 * handed out cyclically when the socket is created, so that a reader of
 * /proc/net/nexus resumes after the last socket it showed in O(log n)
 * instead of walking the list from its head on every read() (which would be
 * quadratic with 100,000 sockets).
 *
 * Locking: the XArray's own lock, bh-safe (the last sock_put() and with it
 * the destructor may run in softirq context). Socket creation and
 * destruction take it for one insertion or erasure; a reader holds it from
 * ->start() to ->stop() of each chunk, which keeps every socket it reaches
 * from being freed (the destructor erases the entry first thing, under this
 * lock) without taking socket references. Nothing sleeps under it; it nests
 * outside sk_callback_lock (sock_i_uid(), sock_i_ino()).
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nexus.h"

/**
 * nexus_sock_list_add - add a new socket to its namespace's list
 * @sk: the socket, not yet visible to userspace
 *
 * Return: 0 or -ENOMEM (the memory is charged to the caller's memory
 * cgroup, like the socket itself).
 */
int nexus_sock_list_add(struct sock *sk)
{
	struct nexus_net *nn = nexus_net(sock_net(sk));
	struct nexus_sock *nsk = nexus_sk(sk);
	int err;

	err = xa_alloc_cyclic_bh(&nn->socks, &nsk->list_id, sk, xa_limit_32b,
				 &nn->socks_next, GFP_KERNEL_ACCOUNT);
	if (err < 0)
		return err;
	nsk->listed = true;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_sock_list_add);

/* Remove a socket from the list (its destructor); any context. */
void nexus_sock_list_del(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);

	if (!nsk->listed)
		return;
	xa_erase_bh(&nexus_net(sock_net(sk))->socks, nsk->list_id);
	nsk->listed = false;
}

#ifdef CONFIG_PROC_FS

/*
 * seq_file position: 0 is the header line; pos > 0 stands for "the first
 * socket whose list_id >= pos - 1".
 */
static void *nexus_seq_find(struct seq_file *seq, unsigned long id,
			    loff_t *pos)
{
	struct nexus_net *nn = nexus_net(seq_file_net(seq));
	void *sk = xa_find(&nn->socks, &id, ULONG_MAX, XA_PRESENT);

	if (sk)
		*pos = (loff_t)id + 1;
	return sk;
}

static void *nexus_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&nn->socks.xa_lock)
{
	struct nexus_net *nn = nexus_net(seq_file_net(seq));

	xa_lock_bh(&nn->socks);
	if (!*pos)
		return SEQ_START_TOKEN;
	if (*pos > (loff_t)U32_MAX + 1)
		return NULL;
	return nexus_seq_find(seq, *pos - 1, pos);
}

static void *nexus_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	unsigned long id = 0;
	void *next;

	if (v != SEQ_START_TOKEN) {
		id = (unsigned long)nexus_sk(v)->list_id + 1;
		if (id > U32_MAX) {
			*pos = (loff_t)U32_MAX + 2;
			return NULL;
		}
	}
	next = nexus_seq_find(seq, id, pos);
	if (!next)
		*pos = (loff_t)U32_MAX + 2;	/* past every id: the end */
	return next;
}

static void nexus_seq_stop(struct seq_file *seq, void *v)
	__releases(&nn->socks.xa_lock)
{
	xa_unlock_bh(&nexus_net(seq_file_net(seq))->socks);
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
			     sizeof(struct seq_net_private)))
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
	int err;

	xa_init_flags(&nn->socks, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_BH);
	nn->socks_next = 0;
	err = nexus_proc_create(net);
	if (err)
		xa_destroy(&nn->socks);
	return err;
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
	WARN_ON_ONCE(!xa_empty(&nn->socks));
	xa_destroy(&nn->socks);
}
