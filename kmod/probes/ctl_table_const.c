// SPDX-License-Identifier: GPL-2.0
/* Probe: proc_handler takes a const struct ctl_table (6.11+). */
#include <linux/sysctl.h>

static int probe_handler(const struct ctl_table *table, int write,
			 void *buffer, size_t *lenp, loff_t *ppos)
{
	return 0;
}

struct ctl_table probe_table = { .proc_handler = probe_handler };
