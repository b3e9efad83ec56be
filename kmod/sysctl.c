// SPDX-License-Identifier: GPL-2.0
/*
 * The net.nexus.* sysctls, one set per network namespace.
 *
 * Every value is validated; a write that fails validation returns EINVAL
 * and leaves the old value in place. Permissions are those of every net
 * sysctl: the files are 0644, owned by root of the namespace's owning user
 * namespace, and a holder of CAP_NET_ADMIN over the namespace gets the
 * owner's rights.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "nexus.h"

static unsigned long nexus_one = 1;
static unsigned long nexus_node_max = NEXUS_NODE_BROADCAST - 1;
static unsigned long nexus_u32_max = U32_MAX;
static unsigned long nexus_int_max = INT_MAX;

/*
 * A u32 field bounded by the unsigned longs extra1 and extra2 (either may
 * be NULL). proc_doulongvec_minmax() answers EINVAL to everything invalid:
 * no number, a negative number, a number out of bounds.
 */
static int nexus_sysctl_u32(NEXUS_CTL_TABLE *table, int write, void *buffer,
			    size_t *lenp, loff_t *ppos)
{
	u32 *valp = table->data;
	unsigned long val = READ_ONCE(*valp);
	struct ctl_table tmp = {
		.data = &val,
		.maxlen = sizeof(val),
		.mode = table->mode,
		.extra1 = table->extra1,
		.extra2 = table->extra2,
	};
	int err;

	err = proc_doulongvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (write && !err)
		WRITE_ONCE(*valp, (u32)val);
	return err;
}

/*
 * net.nexus.dgram_qlen: like nexus_sysctl_u32(); a larger value makes room
 * in full receive queues, so it wakes the senders waiting for it.
 */
static int nexus_sysctl_dgram_qlen(NEXUS_CTL_TABLE *table, int write,
				   void *buffer, size_t *lenp, loff_t *ppos)
{
	struct nexus_net *nn = container_of((u32 *)table->data,
					    struct nexus_net, dgram_qlen);
	u32 old = READ_ONCE(nn->dgram_qlen);
	int err;

	err = nexus_sysctl_u32(table, write, buffer, lenp, ppos);
	if (write && !err && READ_ONCE(nn->dgram_qlen) > old)
		nexus_dgram_qlen_raised(nn);
	return err;
}

/*
 * net.nexus.unprivileged_port_start: like nexus_sysctl_u32(), and it may
 * not rise above the low end of the ephemeral range (an unprivileged
 * autobind must never get a privileged port).
 */
static int nexus_sysctl_unpriv(NEXUS_CTL_TABLE *table, int write,
			       void *buffer, size_t *lenp, loff_t *ppos)
{
	struct nexus_net *nn = container_of((u32 *)table->data,
					    struct nexus_net, unpriv_port_start);
	unsigned long val = READ_ONCE(nn->unpriv_port_start);
	struct ctl_table tmp = {
		.data = &val,
		.maxlen = sizeof(val),
		.mode = table->mode,
		.extra2 = &nexus_u32_max,
	};
	int err;

	err = proc_doulongvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	write_seqlock(&nn->ephemeral_lock);
	if (val > nn->ephemeral_lo)
		err = -EINVAL;
	else
		WRITE_ONCE(nn->unpriv_port_start, (u32)val);
	write_sequnlock(&nn->ephemeral_lock);
	return err;
}

/*
 * net.nexus.ephemeral_ports: "lo hi", both required, 1 <= lo <= hi <=
 * 2^32-1 and lo >= unprivileged_port_start. Both ends change in one
 * seqlock write section.
 */
static int nexus_sysctl_ephemeral(NEXUS_CTL_TABLE *table, int write,
				  void *buffer, size_t *lenp, loff_t *ppos)
{
	struct nexus_net *nn = container_of((u32 *)table->data,
					    struct nexus_net, ephemeral_lo);
	unsigned long range[2] = { 0, 0 };
	struct ctl_table tmp = {
		.data = range,
		.maxlen = sizeof(range),
		.mode = table->mode,
		.extra1 = &nexus_one,
		.extra2 = &nexus_u32_max,
	};
	u32 lo, hi;
	int err;

	if (!write) {
		nexus_ephemeral_range(nn, &lo, &hi);
		range[0] = lo;
		range[1] = hi;
	}
	err = proc_doulongvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	/* A zero left over means only one number was written. */
	if (!range[0] || !range[1] || range[0] > range[1])
		return -EINVAL;
	write_seqlock(&nn->ephemeral_lock);
	if (range[0] < nn->unpriv_port_start) {
		err = -EINVAL;
	} else {
		WRITE_ONCE(nn->ephemeral_lo, (u32)range[0]);
		WRITE_ONCE(nn->ephemeral_hi, (u32)range[1]);
	}
	write_sequnlock(&nn->ephemeral_lock);
	return err;
}

/* The template; .data is pointed at the namespace's fields on register. */
static struct ctl_table nexus_sysctl_table[] = {
	[NEXUS_SYSCTL_NODE] = {
		.procname = "node",
		.maxlen = sizeof(u32),
		.mode = 0644,
		.proc_handler = nexus_sysctl_u32,
		.extra1 = &nexus_one,
		.extra2 = &nexus_node_max,
	},
	[NEXUS_SYSCTL_EPHEMERAL] = {
		.procname = "ephemeral_ports",
		.maxlen = 2 * sizeof(u32),
		.mode = 0644,
		.proc_handler = nexus_sysctl_ephemeral,
	},
	[NEXUS_SYSCTL_UNPRIV] = {
		.procname = "unprivileged_port_start",
		.maxlen = sizeof(u32),
		.mode = 0644,
		.proc_handler = nexus_sysctl_unpriv,
	},
	[NEXUS_SYSCTL_CONNECT_TIMEOUT] = {
		.procname = "connect_timeout_ms",
		.maxlen = sizeof(u32),
		.mode = 0644,
		.proc_handler = nexus_sysctl_u32,
		.extra2 = &nexus_u32_max,
	},
	[NEXUS_SYSCTL_DGRAM_QLEN] = {
		.procname = "dgram_qlen",
		.maxlen = sizeof(u32),
		.mode = 0644,
		.proc_handler = nexus_sysctl_dgram_qlen,
		.extra1 = &nexus_one,
		.extra2 = &nexus_int_max,
	},
	NEXUS_CTL_SENTINEL
};

/**
 * nexus_sysctl_register - create net.nexus.* for a namespace
 * @net: the namespace (its nexus_net is initialised)
 *
 * init_net uses the template itself; every other namespace a copy.
 *
 * Return: 0 or -ENOMEM.
 */
int nexus_sysctl_register(struct net *net)
{
	struct nexus_net *nn = nexus_net(net);
	struct ctl_table *table = nexus_sysctl_table;

	if (!net_eq(net, &init_net)) {
		table = kmemdup(nexus_sysctl_table, sizeof(nexus_sysctl_table),
				GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}
	table[NEXUS_SYSCTL_NODE].data = &nn->node;
	table[NEXUS_SYSCTL_EPHEMERAL].data = &nn->ephemeral_lo;
	table[NEXUS_SYSCTL_UNPRIV].data = &nn->unpriv_port_start;
	table[NEXUS_SYSCTL_CONNECT_TIMEOUT].data = &nn->connect_timeout_ms;
	table[NEXUS_SYSCTL_DGRAM_QLEN].data = &nn->dgram_qlen;

	nn->sysctl_hdr = nexus_register_net_sysctl(net, "net/nexus", table,
						   NEXUS_SYSCTL_COUNT);
	if (!nn->sysctl_hdr) {
		if (table != nexus_sysctl_table)
			kfree(table);
		return -ENOMEM;
	}
	return 0;
}

/* Remove net.nexus.* of a namespace; waits for running handlers. */
void nexus_sysctl_unregister(struct net *net)
{
	struct nexus_net *nn = nexus_net(net);
	const struct ctl_table *table;

	if (!nn->sysctl_hdr)
		return;
	table = nn->sysctl_hdr->ctl_table_arg;
	unregister_net_sysctl_table(nn->sysctl_hdr);
	nn->sysctl_hdr = NULL;
	if (table != nexus_sysctl_table)
		kfree(table);
}
