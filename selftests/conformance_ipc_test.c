// SPDX-License-Identifier: GPL-2.0
/*
 * The connect() conformance matrix for AF_TIPC (stream, seqpacket, dgram),
 * SCTP (one-to-one SOCK_STREAM, one-to-many SOCK_SEQPACKET) and AF_QIPCRTR
 * (dgram): the clauses and expectations of conformance_run.h on these
 * families' columns, in a binary of its own so that each binary stays
 * within the guest's time limit per test binary on the debug kernel. What
 * a test prints and asserts: see conformance_test.c.
 */
#define CONF_IPC_FAMILIES
#include "conformance_run.h"
