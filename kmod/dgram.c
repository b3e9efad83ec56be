// SPDX-License-Identifier: GPL-2.0
/*
 * AF_NEXUS SOCK_DGRAM sockets.
 */
#include <linux/net.h>
#include <net/sock.h>

#include "nexus.h"

void nexus_dgram_init_sock(struct sock *sk)
{
	sk->sk_state = TCP_CLOSE;
}

static int nexus_dgram_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	nexus_unbind(sk);
	sock_orphan(sk);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

const struct proto_ops nexus_dgram_ops = {
	.family = PF_NEXUS,
	.owner = THIS_MODULE,
	.release = nexus_dgram_release,
	.bind = nexus_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = nexus_getname,
	.poll = datagram_poll,
	.ioctl = sock_no_ioctl,
	.listen = sock_no_listen,
	.shutdown = sock_no_shutdown,
	.setsockopt = nexus_setsockopt,
	.getsockopt = nexus_getsockopt,
	.sendmsg = sock_no_sendmsg,
	.recvmsg = sock_no_recvmsg,
	.mmap = sock_no_mmap,
};

