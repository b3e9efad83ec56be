// SPDX-License-Identifier: GPL-2.0
/* Probe: register_net_sysctl_sz() takes the table size (6.6+). */
#include <net/net_namespace.h>

struct ctl_table_header *probe_register(struct net *net,
					struct ctl_table *table)
{
	return register_net_sysctl_sz(net, "net/probe", table, 1);
}
