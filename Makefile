# SPDX-License-Identifier: GPL-2.0
#
# nexus: out-of-tree AF_NEXUS socket family.
#
#   make                 build nexus.ko for the running kernel (or KDIR=...)
#   make run             boot Debian's stock kernel in QEMU with nexus loaded
#                        and run the demo (installs what is missing)
#   make check           build everything, run the selftests on the kernel
#                        matrix in QEMU (debug 6.1 with KUnit, Debian 12's,
#                        13's and sid's stock kernels, NEXUS_KERNELS= picks)
#                        and DKMS in the trixie and sid chroots; fails when
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
#   make install-dkms    install the module's sources with dkms.conf into
#                        $(DESTDIR)/usr/src/nexus-<version>, for
#                        `dkms add nexus/<version>` (see README.md)
#
# Kernel objects are built by kbuild from the top-level Kbuild file.

KDIR ?= /lib/modules/$(shell uname -r)/build
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
PREFIX ?= /usr
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)

# Modules are built by the compiler that built the kernel. Distribution
# headers name it in CONFIG_CC_VERSION_TEXT (Debian 13 on:
# x86_64-linux-gnu-gcc-14, with no plain `gcc` needed); kbuild's default is
# `gcc`, which may be missing or another version. CC= on the command line
# still wins.
KCC := $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*gcc[^ ]*\) .*/\1/p' \
	$(KDIR)/.config 2>/dev/null)
ifneq ($(KCC),)
ifneq ($(shell command -v $(KCC)),)
KBUILD_CC := CC=$(KCC)
endif
endif

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_CC) modules

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

# The sources DKMS builds from (dkms.conf's MAKE runs this Makefile there):
# only what kbuild needs, never build products.
DKMS_SRC = $(DESTDIR)$(PREFIX)/src/nexus-$(VERSION)
install-dkms:
	@test -n "$(VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	tar -C $(CURDIR) --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='.*.d' --exclude='*.a' \
		--exclude=modules.order --exclude=Module.symvers \
		-cf - Makefile Kbuild dkms.conf kmod uapi | tar -C $(DKMS_SRC) -xf -

.PHONY: all modules clean run check conformance bench fuzz install install-dkms
