// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: alloc_workqueue() takes WQ_PERCPU (6.17+), and workqueues that
 * pass neither WQ_PERCPU nor WQ_UNBOUND draw a warning on later kernels.
 */
#include <linux/workqueue.h>

unsigned int probe_flags = WQ_PERCPU;
