# SPDX-License-Identifier: GPL-2.0
#
# nexus: out-of-tree AF_NEXUS socket family.
#
#   make                 build nexus.ko for the running kernel (or KDIR=...)
#   make run             boot Debian's stock kernel in QEMU with nexus loaded
#                        and run the demo (installs what is missing)
#   make check           build everything, run KUnit and the selftests on the
#                        debug and the stock kernel in QEMU; fails when
#                        docs/conformance.md is not what the boots produce
#   make conformance     run the connect() conformance matrix on both kernels
#                        in QEMU and regenerate docs/conformance.md
#   make fuzz            run the syscall fuzzer (and the differential tester)
#                        for FUZZ_SECONDS (default 60) on each kernel of
#                        NEXUS_KERNELS (default stock and debug) in QEMU;
#                        prints the operation counts
#   make bench           AF_NEXUS against AF_UNIX, TCP and VSOCK on the stock
#                        kernel in QEMU (docs/performance.md)
#   make install         install nexus.ko (kbuild modules_install into
#                        lib/modules/<release>/extra, then depmod), the uapi
#                        header and the nexus(7) page; DESTDIR= (and
#                        INSTALL_MOD_PATH=, default DESTDIR) stage elsewhere.
#                        Never run on a build host that must not change.
#
# Kernel objects are built by kbuild from the top-level Kbuild file.

KDIR ?= /lib/modules/$(shell uname -r)/build
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
PREFIX ?= /usr

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

# QEMU harness (qemu/): never loads anything into this machine's kernel.
run:
	qemu/run.sh

check:
	qemu/check.sh

bench:
	qemu/bench.sh

FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) qemu/fuzz.sh

conformance:
	qemu/conformance.sh

# The release the module is built for, as the kernel reports it (uname -r):
# UTS_RELEASE, not include/config/kernel.release, which Debian's header
# packages set to the upstream version.
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)

# kbuild installs into $(INSTALL_MOD_PATH)/lib/modules/<release>/extra; its
# own depmod step is skipped where KDIR has no System.map (distribution
# headers), so depmod runs here.
install: modules
	@test -n "$(KRELEASE)" || { echo "no UTS_RELEASE in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		KERNELRELEASE=$(KRELEASE) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
	install -D -m 0644 uapi/linux/nexus.h $(DESTDIR)$(PREFIX)/include/linux/nexus.h
	install -D -m 0644 docs/nexus.7 $(DESTDIR)$(PREFIX)/share/man/man7/nexus.7

.PHONY: all modules clean run check conformance bench fuzz install
