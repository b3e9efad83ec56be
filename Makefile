# SPDX-License-Identifier: GPL-2.0
#
# nexus: out-of-tree AF_NEXUS socket family.
#
#   make                 build nexus.ko for the running kernel (or KDIR=...)
#   make run             boot Debian's stock kernel in QEMU with nexus loaded
#                        and run the demo (installs what is missing)
#   make check           build everything, run KUnit and the selftests on the
#                        debug and the stock kernel in QEMU
#   make bench           AF_NEXUS against AF_UNIX, TCP and VSOCK on the stock
#                        kernel in QEMU (docs/performance.md)
#
# Kernel objects are built by kbuild from the top-level Kbuild file.

KDIR ?= /lib/modules/$(shell uname -r)/build

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

.PHONY: all modules clean run check bench
