# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the relayx scripts; sourced, never run.

RELAYX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RELAYX_CACHE=${RELAYX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relayx}
mkdir -p "$RELAYX_CACHE"

# The test kernels. The debug ones are built here from Debian's
# linux-source packages (scripts/kernel); the stock ones are Debian's.
DEBUG_KERNELS=(debug debug-6.12)
STOCK_KERNELS=(stock stock-6.12 rt-6.12)
# kcsan: the debug 6.1 kernel with KCSAN for KASAN, for make check-kcsan;
# cov: the debug 6.1 kernel with gcov, for make coverage.
KERNELS="debug|debug-6.12|kcsan|cov|stock|stock-6.12|rt-6.12"

is_kernel() {	# is_kernel NAME: one of $KERNELS?
	case "|$KERNELS|" in
	*"|$1|"*) return 0 ;;
	esac
	return 1
}

die() {
	echo "relayx: $*" >&2
	exit 1
}

note() {
	echo "relayx: $*" >&2
}

# Version of an installed Debian package, empty when absent.
pkg_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

# ABI name (e.g. 6.1.0-56-amd64) the linux-headers-amd64 metapackage
# currently points at.
stock_abi() {
	dpkg-query -W -f='${Depends}\n' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p'
}

# Newest ABI of a kernel series the archive offers, e.g.
# newest_abi 6.12 rt-amd64 -> 6.12.117+deb12-rt-amd64.
newest_abi() {	# newest_abi SERIES FLAVOUR
	apt-cache search --names-only \
		"^linux-headers-${1//./\\.}\\.[0-9]+\\+deb12-$2\$" 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ]*\)-'"$2"' .*/\1-'"$2"'/p' |
		sort -V | tail -1
}

# The user-space programs the guests run, and the modules the user tests
# load from MODULE-DIR: one list for make check and make check-kcsan.
user_sources() {
	echo samples/relayx_sample_report.c tests/user/*.c \
		tools/bench/relayx_bench_reader.c tools/collect/relayx_collect.c
}

user_test_modules() {	# user_test_modules MODULE-DIR
	echo "$1/samples/relayx_sample.ko" \
		"$1/tests/compat/relayx_compat_client.ko" \
		"$1/tests/module/relayx_testmod.ko" "$1/relayx.ko" \
		"$1/tests/module/relayx_irqwin.ko" \
		"$1/tests/module/relayx_upstream_client.ko" \
		"$1/tests/module/relayx_guc.ko" \
		"$1/tests/module/relayx_foreign.ko" \
		"$1/samples/relayx_bpf_chan.ko"
}

# user_copies USER-DIR MODULE-DIR: vm-run's --copy of everything a run of
# the user tests needs (the programs built into USER-DIR, run-tests, the
# test modules), in the array copies.
user_copies() {
	local f
	copies=()
	for f in "$1"/* "$RELAYX_TOP/tests/user/run-tests" \
		 $(user_test_modules "$2"); do
		copies+=(--copy "$f")
	done
}

# The programs that call relayx's ioctls, also built for 32-bit callers
# (compat_ioctl), as NAME.m32; run-tests runs them where the kernel runs
# 32-bit programs.
user_m32_sources() {
	echo tests/user/relayx_ioctl_numbers.c tests/user/relayx_file_tests.c \
		tests/user/relayx_dev_tests.c samples/relayx_sample_report.c
}

user_cc_m32() {	# user_cc_m32 SRC OUT
	gcc -m32 -D_FILE_OFFSET_BITS=64 -static -O2 -Wall -Wextra -Werror \
		-I"$RELAYX_TOP/include/uapi" -I"$RELAYX_TOP/samples" -o "$2" "$1"
}

# The BPF programs of the tests, the benchmark and the sample (Debian's
# clang, target bpf) into DIR/NAME.bpf.o, and their loaders, linked
# statically with libbpf-dev's libbpf.a (the guests have no libc).
bpf_build() {	# bpf_build DIR
	local src out
	for src in "$RELAYX_TOP"/tests/bpf/*.bpf.c "$RELAYX_TOP"/samples/*.bpf.c \
		   "$RELAYX_TOP"/tools/bench/*.bpf.c; do
		[ -e "$src" ] || continue
		out=$1/$(basename "$src" .c).o
		clang -O2 -g -Wall -Werror -target bpf \
			-I/usr/include/x86_64-linux-gnu -I"$RELAYX_TOP/samples" \
			-I"$RELAYX_TOP/tests/bpf" -c "$src" -o "$out" || return 1
	done
	for src in "$RELAYX_TOP"/tests/bpf/relayx_bpf_test.c \
		   "$RELAYX_TOP"/samples/relayx_bpf_sample.c \
		   "$RELAYX_TOP"/tools/bench/relayx_bpf_bench.c; do
		[ -e "$src" ] || continue
		gcc -static -O2 -Wall -Wextra -Werror -I"$RELAYX_TOP/samples" \
			-o "$1/$(basename "$src" .c)" "$src" -lbpf -lelf -lz ||
			return 1
	done
}

# Build a user-space program of the project: static (the guests have no
# libc), warnings as errors, with the uapi and sample headers. The
# collector is the one of several files: its main file brings the rest of
# tools/collect.
user_cc() {	# user_cc SRC OUT
	local srcs=("$1")
	[ "$(basename "$1")" = relayx_collect.c ] &&
		srcs=("$(dirname "$1")"/*.c)
	gcc -static -O2 -Wall -Wextra -Werror -I"$RELAYX_TOP/include/uapi" \
		-I"$RELAYX_TOP/samples" -o "$2" "${srcs[@]}"
}
