# SPDX-License-Identifier: GPL-2.0
#
# pvio: Xen-style split-driver I/O as loadable Linux modules.
#
#   make            build every module against KDIR (default: the stock
#                   Debian kernel's headers) and the tools
#   make run        the main job, in the stock Debian kernel under QEMU
#   make check      install, build, run KUnit and scenarios in the test
#                   kernel; ends with "N passed, N failed"
#   make lint       checkpatch.pl --strict, sparse and kernel-doc on the sources
#   make bench      the benchmark (see bench/)
#   make uml        the User-Mode Linux domU kernel (cached like the test
#                   kernel) and its initramfs (docs/uml-domu.md)
#
# Out-of-tree builds for two kernels would clash in one tree, so every
# module build happens in a copy of the sources under build/<name>/.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Kbuild sees this file too when it descends into an external module
# directory; hand it over to Kbuild in that case.
ifneq ($(KERNELRELEASE),)
include $(TOP)/Kbuild
else

STOCK_KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
KDIR ?= $(STOCK_KDIR)
BUILD_NAME ?= $(if $(filter $(STOCK_KDIR),$(KDIR)),stock,custom)
BUILD := $(TOP)/build/$(BUILD_NAME)
# KUnit suites are modules of their own (obj-$(CONFIG_KUNIT)); with a
# built-in KUnit (=y) an external build would otherwise link them nowhere.
KUNIT_ARG = $(if $(shell grep -s '^CONFIG_KUNIT=y' $(KDIR)/include/config/auto.conf),CONFIG_KUNIT=m)
SRC_DIRS := Kbuild include hypervisor store grant evtchn bus blkback blkfront \
	    netback netfront tests uml

.PHONY: all modules tools deps test-kernel uml check run bench lint clean \
	modules-stock modules-test modules-uml

all: modules tools

deps:
	@$(TOP)/scripts/deps

# Build the modules in $(BUILD) against $(KDIR).
modules:
	@if [ -z "$(KDIR)" ] || [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "pvio: KDIR='$(KDIR)' is not a prepared kernel tree; run 'make deps' (linux-headers-amd64) or pass KDIR=<kernel build dir>" >&2; \
		exit 1; fi
	@if [ ! -f "$(KDIR)/include/generated/autoconf.h" ] && [ ! -f "$(KDIR)/include/config/auto.conf" ]; then \
		echo "pvio: KDIR='$(KDIR)' has no configured tree (no include/generated/autoconf.h); run 'make prepare' there or pick another KDIR" >&2; \
		exit 1; fi
	@mkdir -p $(BUILD)
	@rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
		--exclude='.*.cmd' --exclude='modules.order' --exclude='Module.symvers' \
		$(addprefix $(TOP)/,$(SRC_DIRS)) $(BUILD)/
	@$(MAKE) -C $(KDIR) M=$(BUILD) W=1 $(KUNIT_ARG) modules
	@echo "pvio: modules for $(BUILD_NAME) kernel in build/$(BUILD_NAME):" \
		$$(cd $(BUILD) && find . -name 'pvio-*.ko' | sort | xargs -n1 basename)

modules-stock:
	@$(MAKE) -s -C $(TOP) modules KDIR=$(STOCK_KDIR) BUILD_NAME=stock

modules-test:
	@kdir=$$($(TOP)/scripts/test-kernel) && \
		$(MAKE) -s -C $(TOP) modules KDIR=$$kdir BUILD_NAME=test

# The guest side for the User-Mode Linux domU (uml/ + grant, evtchn) in
# build/uml, against the UML kernel's tree (scripts/uml-kernel --kdir).
modules-uml:
	@kdir=$$($(TOP)/scripts/uml-kernel --kdir) && \
		$(MAKE) -s -C $(TOP) modules KDIR=$$kdir BUILD_NAME=uml \
			ARCH=um SUBARCH=x86_64

tools:
	@$(MAKE) -s -C $(TOP)/tools
	@$(MAKE) -s -C $(TOP)/tests/hvdom

test-kernel:
	@$(TOP)/scripts/test-kernel >/dev/null

uml:
	@linux=$$($(TOP)/scripts/uml-kernel) && \
		initramfs=$$($(TOP)/scripts/uml-initramfs) && \
		echo "uml: kernel $$linux, initramfs $$initramfs"

check: deps
	@$(TOP)/scripts/check

run: deps
	@$(TOP)/scripts/run

bench: deps
	@$(TOP)/bench/run

lint:
	@$(TOP)/scripts/lint

clean:
	rm -rf $(TOP)/build
	@$(MAKE) -s -C $(TOP)/tools clean
	@$(MAKE) -s -C $(TOP)/tests/hvdom clean

endif
