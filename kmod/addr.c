// SPDX-License-Identifier: GPL-2.0
/*
 * AF_NEXUS addresses: validation of user-supplied sockaddrs and the port
 * table behind bind(), connect() and sendto().
 *
 * There is one port space per network namespace, shared by all socket
 * types. All namespaces share one hash table keyed by (namespace, port), so
 * that a namespace costs nothing until it binds; bucket locks are striped
 * (see below), so binds and lookups of different ports do not serialize.
 *
 * The table is sized once, at module load, from the memory of the machine
 * (one bucket per four pages, 2^10 to 2^20 buckets: 2^17 with 2 GiB, 1 MiB
 * of table), so that chains stay short up to hundreds of thousands of bound
 * sockets; the sockets themselves cost far more memory than the buckets.
 * The node id is not part of the key: a namespace is exactly one node.
 */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/netns/hash.h>

#include "nexus.h"

#define NEXUS_HASH_MIN_BITS	10
#define NEXUS_HASH_MAX_BITS	20

/*
 * The buckets are bare hlist heads (zeroed memory is an empty table, so a
 * large table costs no initialisation); their locks are striped: bucket i
 * is protected by nexus_locks[i % NEXUS_LOCKS], as inet's established hash
 * does. Two ports share a lock with probability 1/NEXUS_LOCKS.
 *
 * A bucket lock protects the bucket's chain and the port/hashed/bind_node
 * fields of every socket on it. It is a leaf lock: nothing else is taken
 * while it is held, and it is only taken in process context.
 */
#define NEXUS_LOCKS		BIT(NEXUS_HASH_MIN_BITS)

struct nexus_bucket {
	spinlock_t *lock;		/* nexus_locks[] entry guarding @head */
	struct hlist_head *head;
};

static struct hlist_head *nexus_table;
static spinlock_t nexus_locks[NEXUS_LOCKS];	/* see above */
static u32 nexus_hash_bits;	/* set once by nexus_port_table_init() */

/*
 * The number of the bucket that holds (@net, @port). Multiplicative
 * hashing spreads consecutive ports and strides evenly; net_hash_mix() is
 * a random value per namespace, so two namespaces' ports land apart.
 */
u32 nexus_port_bucket(const struct net *net, u32 port)
{
	return hash_32(port ^ net_hash_mix(net), nexus_hash_bits);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_port_bucket);

/* The table has 2^nexus_port_table_bits() buckets. */
u32 nexus_port_table_bits(void)
{
	return nexus_hash_bits;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_port_table_bits);

static struct nexus_bucket nexus_bucket(const struct net *net, u32 port)
{
	u32 i = nexus_port_bucket(net, port);
	struct nexus_bucket b = {
		.lock = &nexus_locks[i & (NEXUS_LOCKS - 1)],
		.head = &nexus_table[i],
	};

	return b;
}

/**
 * nexus_addr_check - validate a sockaddr handed in by userspace
 * @uaddr: the address (the socket layer's kernel copy)
 * @addr_len: its length as the caller gave it
 * @allow_unspec: AF_UNSPEC is acceptable (connect() dissolving)
 *
 * The length is checked before the family is read: the socket layer passes
 * an uninitialised buffer when addr_len is 0.
 *
 * Return: 0 for a well-formed AF_NEXUS address, 1 for AF_UNSPEC when
 * allowed, -EINVAL for a short address or nonzero reserved bytes,
 * -EAFNOSUPPORT for another family.
 */
int nexus_addr_check(const struct sockaddr *uaddr, int addr_len,
		     bool allow_unspec)
{
	const struct sockaddr_nx *sa = (const struct sockaddr_nx *)uaddr;

	if (addr_len < (int)sizeof(sa->snx_family))
		return -EINVAL;
	if (allow_unspec && sa->snx_family == AF_UNSPEC)
		return 1;
	if (addr_len < (int)sizeof(*sa))
		return -EINVAL;
	if (sa->snx_family != nexus_family)
		return -EAFNOSUPPORT;
	if (sa->snx_reserved || memchr_inv(sa->snx_zero, 0,
					   sizeof(sa->snx_zero)))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_addr_check);

static struct sock *nexus_find_locked(struct nexus_bucket b,
				      const struct net *net, u32 port)
{
	struct nexus_sock *nsk;

	hlist_for_each_entry(nsk, b.head, bind_node)
		if (nsk->port == port && net_eq(sock_net(&nsk->sk), net))
			return &nsk->sk;
	return NULL;
}

/**
 * nexus_bind_port - give an unbound socket a port
 * @sk: the socket, locked by the caller
 * @port: the port, not NEXUS_PORT_ANY
 *
 * Return: 0, or -EADDRINUSE when another socket of the namespace has it.
 */
int nexus_bind_port(struct sock *sk, u32 port)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct nexus_bucket b = nexus_bucket(sock_net(sk), port);
	int err = 0;

	sock_owned_by_me(sk);
	spin_lock(b.lock);
	if (nexus_find_locked(b, sock_net(sk), port)) {
		err = -EADDRINUSE;
	} else {
		WRITE_ONCE(nsk->port, port);	/* read locklessly: nexus.h */
		nsk->hashed = true;
		hlist_add_head(&nsk->bind_node, b.head);
	}
	spin_unlock(b.lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_bind_port);

/**
 * nexus_autobind - bind a socket to a free ephemeral port
 * @sk: the socket, locked by the caller, not bound
 *
 * Probes the namespace's ephemeral range linearly from a random start, as
 * inet does, so that the cost stays low while the range fills up.
 *
 * Return: 0, or -EADDRNOTAVAIL when every port of the range is taken; the
 * socket is then left unchanged.
 */
int nexus_autobind(struct sock *sk)
{
	u32 lo, hi, n, start, i;

	sock_owned_by_me(sk);
	nexus_ephemeral_range(nexus_net(sock_net(sk)), &lo, &hi);
	if (lo > hi || lo == NEXUS_PORT_ANY)	/* only a KUnit test does that */
		return -EADDRNOTAVAIL;
	n = hi - lo + 1;		/* lo >= 1, so this cannot wrap to 0 */
	start = reciprocal_scale(get_random_u32(), n);

	for (i = 0; i < n; i++) {
		u64 off = (u64)start + i;

		if (off >= n)
			off -= n;
		if (!nexus_bind_port(sk, lo + (u32)off))
			return 0;
		if (!(i & 1023))
			cond_resched();
	}
	return -EADDRNOTAVAIL;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_autobind);

/**
 * nexus_unbind - remove a socket from the port table
 * @sk: the socket
 *
 * The socket keeps its port number (getsockname() of a closed or shut-down
 * socket still shows it); it just cannot be found any more.
 */
void nexus_unbind(struct sock *sk)
{
	struct nexus_sock *nsk = nexus_sk(sk);
	struct nexus_bucket b;

	if (!nsk->hashed)
		return;
	b = nexus_bucket(sock_net(sk), nsk->port);
	spin_lock(b.lock);
	hlist_del_init(&nsk->bind_node);
	nsk->hashed = false;
	spin_unlock(b.lock);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_unbind);

/**
 * nexus_lookup - find the socket bound to a port
 * @net: the namespace
 * @port: the port
 *
 * Return: the socket with a reference held (sock_put() it), or NULL.
 */
struct sock *nexus_lookup(const struct net *net, u32 port)
{
	struct nexus_bucket b = nexus_bucket(net, port);
	struct sock *sk;

	spin_lock(b.lock);
	sk = nexus_find_locked(b, net, port);
	if (sk)
		sock_hold(sk);
	spin_unlock(b.lock);
	return sk;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_lookup);

/**
 * nexus_lookup_all - find every socket bound to a port
 * @net: the namespace
 * @port: the port
 * @socks: where to store the sockets found
 * @max: room in @socks
 *
 * For delivery to more than one socket (datagram broadcast). Since the port
 * space is shared by every socket type and a port has at most one owner,
 * this finds at most one socket today; callers must not rely on that.
 *
 * Return: the number of sockets bound to @port in @net. The first
 * min(return value, @max) of them are stored in @socks with a reference
 * held each (sock_put() them); when the return value exceeds @max, the
 * caller may retry with a larger array.
 */
unsigned int nexus_lookup_all(const struct net *net, u32 port,
			      struct sock **socks, unsigned int max)
{
	struct nexus_bucket b = nexus_bucket(net, port);
	struct nexus_sock *nsk;
	unsigned int n = 0;

	spin_lock(b.lock);
	hlist_for_each_entry(nsk, b.head, bind_node) {
		if (nsk->port != port || !net_eq(sock_net(&nsk->sk), net))
			continue;
		if (n < max) {
			sock_hold(&nsk->sk);
			socks[n] = &nsk->sk;
		}
		n++;
	}
	spin_unlock(b.lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(nexus_lookup_all);

int nexus_port_table_init(void)
{
	unsigned long pages = totalram_pages() / 4;
	u32 i, size;

	nexus_hash_bits = clamp_t(u32, order_base_2(pages | 1),
				  NEXUS_HASH_MIN_BITS, NEXUS_HASH_MAX_BITS);
	size = 1U << nexus_hash_bits;
	nexus_table = kvcalloc(size, sizeof(*nexus_table), GFP_KERNEL);
	if (!nexus_table)
		return -ENOMEM;
	for (i = 0; i < NEXUS_LOCKS; i++)
		spin_lock_init(&nexus_locks[i]);
	return 0;
}

void nexus_port_table_exit(void)
{
	kvfree(nexus_table);
	nexus_table = NULL;
}
