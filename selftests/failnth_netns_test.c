// SPDX-License-Identifier: GPL-2.0
/*
 * The fail-nth walk of failnth_test.c over network namespaces: creation
 * (unshare(CLONE_NEWNET), then live sockets) and a task's exit with live
 * sockets in its namespace. A binary of its own for the per-binary time
 * limit: each namespace costs about a second on the debug kernel.
 */
#pragma GCC diagnostic ignored "-Wunused-function"
#define FAILNTH_NETNS
#include "failnth_test.c"
