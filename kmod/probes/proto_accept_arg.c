// SPDX-License-Identifier: GPL-2.0
/* Probe: proto_ops.accept takes struct proto_accept_arg (6.10+). */
#include <linux/net.h>
#include <net/sock.h>

static int probe_accept(struct socket *s, struct socket *n,
			struct proto_accept_arg *arg)
{
	return arg->flags;
}

const struct proto_ops probe_ops = { .accept = probe_accept };
