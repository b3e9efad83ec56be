// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded run of nexus_fuzz (the same source, its main() renamed) for
 * make check: NEXUS_FUZZ_SECONDS (default 60, at most 200 here) seconds,
 * the seed from NEXUS_FUZZ_SEED or the clock (printed). It fails on a
 * violation the fuzzer sees, a process that does not end, or no operations
 * at all; a kernel report fails the boot (qemu/parse-results.py).
 */
#define NEXUS_FUZZ_MAIN nexus_fuzz_main
#include "nexus_fuzz.c"

#include "kselftest_harness.h"

FIXTURE(fuzz)
{
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	char *v = getenv("NEXUS_FUZZ_SECONDS");

	if (!v || atoi(v) <= 0 || atoi(v) > 200)
		setenv("NEXUS_FUZZ_SECONDS", "60", 1);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The run, plus time to interrupt blocked threads and reap children. */
TEST_F_TIMEOUT(fuzz, bounded_run, 290)
{
	ASSERT_EQ(0, nexus_fuzz_main());
	EXPECT_LT(0, atomic_load(&sh->ops));
	EXPECT_EQ(0, atomic_load(&sh->violations));
	TH_LOG("%lu operations, %lu forks, %lu namespaces", atomic_load(&sh->ops),
	       atomic_load(&sh->forks), atomic_load(&sh->netns));
}

TEST_HARNESS_MAIN
