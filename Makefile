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
#   make coverage              line and branch coverage of relay_*.c by
#                              KUnit, the user tests, the fault sweep and
#                              the maxcpus boot, in a gcov kernel
#                              (build/coverage/)
#   make model                 the interleaving checker of the writer and
#                              reader protocol (tests/model), larger bound;
#                              make check runs it with the small one
#   make demo                  the sample client and relayx-collect, in QEMU
#   make bench                 relayx against relay, ftrace's ring buffer
#                              and memcpy, and BPF programs' output paths,
#                              in QEMU (build/bench/)
#   make fuzz [FUZZ_TIME=S]    the user-interface fuzzer in the debug
#                              kernel, S seconds per mode or until Ctrl-C
#                              (FUZZ_OPS, FUZZ_SEED, FUZZ_MODE, FUZZ_KERNEL:
#                              scripts/fuzz)
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

.PHONY: all modules kdir check check-all check-kcsan coverage model model-check demo bench fuzz dkms-install dkms-remove clean install uninstall

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

coverage:
	scripts/coverage

demo:
	scripts/demo

# The interleaving checker: relayx's writer and reader code, unchanged,
# built for the host against tests/model/shim, every access instrumented
# (-fsanitize=thread without its run-time: tests/model/model.c has the
# hooks). Documentation/testing.rst, "The interleaving checker".
MODEL_CFLAGS ?= -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror
MODEL_INC = -I$(CURDIR)/tests/model/shim -I$(CURDIR)/include -I$(CURDIR)
MODEL_DEPS = relay_writer.c relay_consume.c relayx_internal.h relayx_hooks.h \
	include/relayx/relayx.h include/uapi/linux/relayx.h \
	$(wildcard tests/model/*.c tests/model/*.h tests/model/shim/*.h \
		   tests/model/shim/*/*.h)

build/model/relayx-model: $(MODEL_DEPS)
	@mkdir -p build/model
	$(CC) $(MODEL_CFLAGS) -fsanitize=thread $(MODEL_INC) \
		-c tests/model/model_code.c -o build/model/model_code.o
	$(CC) $(MODEL_CFLAGS) $(MODEL_INC) -c tests/model/model.c \
		-o build/model/model.o
	$(CC) -o $@ build/model/model.o build/model/model_code.o

model: build/model/relayx-model
	build/model/relayx-model --full

model-check: build/model/relayx-model
	build/model/relayx-model

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
