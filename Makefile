# SPDX-License-Identifier: GPL-2.0
#
# relayx: out-of-tree kernel module.
#
#   make                       build relayx.ko (and the sample) in place
#                              against the running kernel, or KDIR=...
#   make KERNEL=K              build against a test kernel into build/K;
#                              K: debug, debug-6.12, stock, stock-6.12,
#                              rt-6.12 (see README.md, "Kernels")
#   make kdir KERNEL=K         print that kernel's build directory
#   make check                 every test, in QEMU (see README.md)
#   make check-all             the same, and on the debug 6.12-rt kernel
#   make check-kcsan           KUnit and the user tests under KCSAN
#   make demo                  the sample client and relayx-collect, in QEMU
#   make bench                 relayx against relay, ftrace's ring buffer
#                              and memcpy, in QEMU (build/bench/)
#   make fuzz [FUZZ_TIME=S]    the user-interface fuzzer in the debug
#                              kernel, S seconds per mode or until Ctrl-C
#   make dkms-install          install relayx under DKMS (root), rebuilt
#                              for every kernel; make dkms-remove undoes it
#   make install               build relayx-collect with the host's cc and
#                              install it in $(DESTDIR)$(PREFIX)/bin
#                              (PREFIX=/usr/local); make uninstall
#   make clean

KERNEL ?=
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# The user-space tool: its own uapi header, not an installed one.
COLLECT_CFLAGS ?= -O2 -g -Wall -Wextra

.PHONY: all modules kdir check check-all check-kcsan demo bench fuzz dkms-install dkms-remove clean install uninstall

ifeq ($(KERNEL),)
all modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
all modules:
	scripts/build-modules $(KERNEL)
endif

kdir:
	@scripts/kernel $(or $(KERNEL),debug) kdir

check:
	scripts/check

check-all:
	RELAYX_CHECK_ALL=1 scripts/check

check-kcsan:
	scripts/check-kcsan

demo:
	scripts/demo

bench:
	scripts/bench

fuzz:
	FUZZ_TIME="$(FUZZ_TIME)" FUZZ_SEED="$(FUZZ_SEED)" scripts/fuzz

dkms-install:
	scripts/dkms install

dkms-remove:
	scripts/dkms remove

COLLECT_SRCS := $(wildcard tools/collect/*.c)

build/relayx-collect: $(COLLECT_SRCS) tools/collect/collect.h include/uapi/linux/relayx.h
	@mkdir -p build
	$(CC) $(COLLECT_CFLAGS) $(CFLAGS) -I$(CURDIR)/include/uapi $(LDFLAGS) \
		-o $@ $(COLLECT_SRCS)

install: build/relayx-collect
	install -D -m 0755 build/relayx-collect $(DESTDIR)$(BINDIR)/relayx-collect

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/relayx-collect

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf build
