// SPDX-License-Identifier: GPL-2.0
/*
 * AF_NEXUS: a local IPC socket family addressed by (node, port).
 *
 * This file registers the family, creates sockets, keeps the per-network-
 * namespace state and implements the operations every socket type shares
 * (bind, getsockname/getpeername, SOL_NEXUS options).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sockptr.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "nexus.h"

int nexus_family = AF_NEXUS;
module_param_named(family, nexus_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default 22)");
EXPORT_SYMBOL_IF_KUNIT(nexus_family);

static unsigned int nexus_net_id __read_mostly;

/*
 * Deferred work of the module (connect timeouts). Its own queue, so that
 * module exit can wait for a work function that is still returning after
 * dropping the last reference to its socket.
 */
struct workqueue_struct *nexus_wq;
EXPORT_SYMBOL_IF_KUNIT(nexus_wq);

struct nexus_net *nexus_net(const struct net *net)
{
	return net_generic(net, nexus_net_id);
}
EXPORT_SYMBOL_IF_KUNIT(nexus_net);

static struct proto nexus_proto = {
	.name = "NEXUS",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct nexus_sock),
	.release_cb = nexus_stream_release_cb,	/* SO_RCVBUF changes */
};

/* Wake the writers and poll()ers of @sk that wait for POLLOUT. */
void nexus_wake_writers(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_sync_poll(&wq->wait, EPOLLOUT |
						EPOLLWRNORM | EPOLLWRBAND);
	sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

void nexus_fill_addr(struct sockaddr_nx *sa, u32 node, u32 port)
{
	memset(sa, 0, sizeof(*sa));
	sa->snx_family = nexus_family;
	sa->snx_node = node;
	sa->snx_port = port;
}

int nexus_bind(struct socket *sock, NEXUS_SOCKADDR *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct nexus_net *nn = nexus_net(net);
	const struct sockaddr_nx *sa;
	int err;

	err = nexus_addr_check((struct sockaddr *)uaddr, addr_len, false);
	if (err)
		return err;
	sa = (const struct sockaddr_nx *)uaddr;

	if (sa->snx_node != NEXUS_NODE_ANY &&
	    sa->snx_node != READ_ONCE(nn->node))
		return -EADDRNOTAVAIL;
	if (sa->snx_port != NEXUS_PORT_ANY &&
	    sa->snx_port < READ_ONCE(nn->unpriv_port_start) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	if (nexus_sk(sk)->port)
		err = -EINVAL;		/* already bound */
	else if (sa->snx_port == NEXUS_PORT_ANY)
		err = nexus_autobind(sk);
	else
		err = nexus_bind_port(sk, sa->snx_port);
	release_sock(sk);
	return err;
}

int nexus_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_nx *, sa, uaddr);
	struct sock *sk = sock->sk;
	struct nexus_sock *nsk = nexus_sk(sk);
	u32 node = READ_ONCE(nexus_net(sock_net(sk))->node);
	int err = sizeof(*sa);

	lock_sock(sk);
	if (peer) {
		/*
		 * A stream socket's listener writes these without our socket
		 * lock when it establishes a pending attempt (nexus.h).
		 */
		u32 peer_port = READ_ONCE(nsk->peer_port);
		u32 peer_node = READ_ONCE(nsk->peer_node);

		if (!peer_port)
			err = -ENOTCONN;
		else
			nexus_fill_addr(sa, peer_node, peer_port);
	} else {
		nexus_fill_addr(sa, nsk->port ? node : NEXUS_NODE_ANY,
				nsk->port);
	}
	release_sock(sk);
	return err;
}

int nexus_setsockopt(struct socket *sock, int level, int optname,
		     sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	u64 val;

	if (level != SOL_NEXUS)
		return -ENOPROTOOPT;

	switch (optname) {
	case NEXUS_CONNECT_TIMEOUT:
		if (optlen < sizeof(val))
			return -EINVAL;
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		lock_sock(sk);
		/* getsockopt() reads it without the socket lock */
		WRITE_ONCE(nexus_sk(sk)->connect_timeout_ms, val);
		release_sock(sk);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int nexus_getsockopt(struct socket *sock, int level, int optname,
		     char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	int len;
	u64 val;

	if (level != SOL_NEXUS)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case NEXUS_CONNECT_TIMEOUT:
		val = READ_ONCE(nexus_sk(sk)->connect_timeout_ms);
		break;
	default:
		return -ENOPROTOOPT;
	}

	if (len < sizeof(val))
		return -EINVAL;
	len = sizeof(val);
	if (copy_to_user(optval, &val, len) || put_user(len, optlen))
		return -EFAULT;
	return 0;
}

static void nexus_sock_destruct(struct sock *sk)
{
	WARN_ON_ONCE(nexus_sk(sk)->hashed);
	nexus_sock_list_del(sk);
	if (sk->sk_type != SOCK_DGRAM)
		nexus_stream_destruct(sk);
	/*
	 * No reference is left, so nothing can queue to these any more: a
	 * lockless look is exact, and spares the two queue lock round trips
	 * when they are empty (release() purged the receive queue already).
	 */
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		skb_queue_purge(&sk->sk_receive_queue);
	if (!skb_queue_empty_lockless(&sk->sk_error_queue))
		skb_queue_purge(&sk->sk_error_queue);
}

/**
 * nexus_sk_alloc - allocate and initialise a nexus socket
 * @net: its namespace
 * @sock: the struct socket it belongs to, or NULL for the server end of a
 *	connection (grafted to a socket by accept())
 * @type: SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM
 * @kern: a kernel socket (holds no namespace reference)
 *
 * Return: the socket, or NULL when out of memory.
 */
struct sock *nexus_sk_alloc(struct net *net, struct socket *sock, int type,
			    int kern)
{
	struct sock *sk;

	sk = sk_alloc(net, nexus_family, GFP_KERNEL, &nexus_proto, kern);
	if (!sk)
		return NULL;

	sock_init_data(sock, sk);
	sk->sk_type = type;
	sk->sk_protocol = 0;
	sk->sk_destruct = nexus_sock_destruct;
	nexus_sk(sk)->connect_timeout_ms =
		READ_ONCE(nexus_net(net)->connect_timeout_ms);
	INIT_HLIST_NODE(&nexus_sk(sk)->bind_node);

	if (type == SOCK_DGRAM)
		nexus_dgram_init_sock(sk);
	else
		nexus_stream_init_sock(sk);
	nexus_sock_list_add(sk);
	return sk;
}

static int nexus_create(struct net *net, struct socket *sock, int protocol,
			int kern)
{
	const struct proto_ops *ops;

	if (protocol && protocol != nexus_family)
		return -EPROTONOSUPPORT;

	switch (sock->type) {
	case SOCK_STREAM:
		ops = &nexus_stream_ops;
		break;
	case SOCK_SEQPACKET:
		ops = &nexus_seqpacket_ops;
		break;
	case SOCK_DGRAM:
		ops = &nexus_dgram_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}

	sock->ops = ops;
	if (!nexus_sk_alloc(net, sock, sock->type, kern))
		return -ENOMEM;
	return 0;
}

static struct net_proto_family nexus_family_ops = {
	.create = nexus_create,
	.owner = THIS_MODULE,
};

static int __net_init nexus_net_init(struct net *net)
{
	struct nexus_net *nn = nexus_net(net);
	int err;

	nn->node = NEXUS_NODE_LOCAL;
	nn->ephemeral_lo = 32768;
	nn->ephemeral_hi = 60999;
	nn->unpriv_port_start = 1024;
	nn->connect_timeout_ms = 30000;
	nn->dgram_qlen = 512;
	seqlock_init(&nn->ephemeral_lock);

	err = nexus_proc_net_init(net);
	if (err)
		return err;
	err = nexus_sysctl_register(net);
	if (err)
		nexus_proc_net_exit(net);
	return err;
}

static void __net_exit nexus_net_exit(struct net *net)
{
	nexus_sysctl_unregister(net);
	nexus_proc_net_exit(net);
}

static struct pernet_operations nexus_net_ops = {
	.init = nexus_net_init,
	.exit = nexus_net_exit,
	.id = &nexus_net_id,
	.size = sizeof(struct nexus_net),
};

static int __init nexus_init(void)
{
	int err;

	if (nexus_family <= AF_UNSPEC || nexus_family >= NPROTO) {
		pr_err("family=%d is outside 1..%d\n", nexus_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	nexus_family_ops.family = nexus_family;

	nexus_wq = alloc_workqueue("nexus", NEXUS_WQ_PERCPU, 0);
	if (!nexus_wq)
		return -ENOMEM;
	err = nexus_port_table_init();
	if (err)
		goto err_wq;
	err = proto_register(&nexus_proto, 1);
	if (err)
		goto err_table;
	err = register_pernet_subsys(&nexus_net_ops);
	if (err)
		goto err_proto;
	err = sock_register(&nexus_family_ops);
	if (err) {
		pr_err("address family %d is already registered by another module; load nexus with family=N to use another slot\n",
		       nexus_family);
		/*
		 * A taken slot is -EBUSY on every kernel: newer module
		 * loaders turn an init's -EEXIST into -EBUSY themselves
		 * (-EEXIST means "module already loaded" to init_module()).
		 */
		if (err == -EEXIST)
			err = -EBUSY;
		goto err_pernet;
	}
	pr_info("AF_NEXUS registered as address family %d\n", nexus_family);
	return 0;

err_pernet:
	unregister_pernet_subsys(&nexus_net_ops);
err_proto:
	proto_unregister(&nexus_proto);
err_table:
	nexus_port_table_exit();
err_wq:
	destroy_workqueue(nexus_wq);
	return err;
}

static void __exit nexus_exit(void)
{
	sock_unregister(nexus_family);
	unregister_pernet_subsys(&nexus_net_ops);
	proto_unregister(&nexus_proto);
	nexus_port_table_exit();
	destroy_workqueue(nexus_wq);
}

module_init(nexus_init);
module_exit(nexus_exit);

MODULE_DESCRIPTION("AF_NEXUS: local IPC sockets addressed by (node, port)");
MODULE_LICENSE("GPL");
/* Also PACKAGE_VERSION in dkms.conf (qemu/dkms-check.sh compares them). */
MODULE_VERSION("0.1");
/* With family=N, on-demand loading needs "alias net-pf-N nexus" too. */
MODULE_ALIAS_NETPROTO(AF_NEXUS);
