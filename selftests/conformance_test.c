// SPDX-License-Identifier: GPL-2.0
/*
 * The connect() conformance matrix: every clause of docs/clauses.tsv, run
 * by this binary and conformance_ipc_test (one source, conformance_run.h;
 * each binary runs some of the columns) against AF_NEXUS (stream, seqpacket, dgram), AF_UNIX with abstract names
 * (stream, seqpacket, dgram), AF_INET TCP and UDP on loopback, AF_VSOCK
 * over the loopback transport (stream, seqpacket, dgram), AF_TIPC on this
 * node (stream, seqpacket, dgram), SCTP on loopback (SOCK_STREAM one-to-one,
 * SOCK_SEQPACKET one-to-many) and AF_QIPCRTR on the local node (dgram).
 *
 * The runner is table-driven: a clause is one body, written once against
 * the family descriptors of conformance.h, and one table of expected cells
 * (struct want: a set of columns and the outcome they must give; the first
 * entry naming a column wins). Each test is one clause in one column. It
 * prints its observed outcome as
 *
 *   # @conf <clause-id> <column> <outcome>
 *
 * (qemu/conformance.py turns these lines into docs/conformance.md) and
 * compares it with the expected cell: for AF_NEXUS the specified behaviour
 * (docs/stream.md, docs/dgram.md), asserted strictly; for the other
 * families what Linux 6.1 does, so that a kernel that changes shows up: a
 * difference there is reported ("# @conf-mismatch <clause> <column>
 * <expected>", a ✗ in the table, a diff in `make check`) but does not fail
 * the test, because another family's behaviour is not this project's to
 * fix. A clause a family cannot express is "n/a: reason" and reported as a
 * skip, never as a pass. A column whose socket() fails (vsock datagrams
 * without a datagram transport) is n/a for every clause, and that failure
 * is itself checked (unavailable[] in conformance_run.h).
 *
 * Outcomes: "0", an errno name, or a sequence "A -> B -> C" of the steps
 * the clause takes (each test says which).
 */
#include "conformance_run.h"
