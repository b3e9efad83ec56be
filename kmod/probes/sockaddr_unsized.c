// SPDX-License-Identifier: GPL-2.0
/* Probe: proto_ops.bind takes struct sockaddr_unsized (6.19+). */
#include <linux/net.h>

static int probe_bind(struct socket *s, struct sockaddr_unsized *a, int l)
{
	return 0;
}

const struct proto_ops probe_ops = { .bind = probe_bind };
