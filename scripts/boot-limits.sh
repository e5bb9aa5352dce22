# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Time limits of make check; sourced by scripts/check (and the harness
# self-tests), never run.
#
# make check ends by its deadline, RELAYX_CHECK_DEADLINE seconds after it
# started (80 minutes by default, CI allows 90): a boot gets at most the
# time left, and past the deadline a boot is not made and fails ("not
# run"), so that the summary line still prints in time. Each boot's own
# limit is about three times what it took (testing.rst, "Timing"), and a
# kernel that timed out once is not booted again: its later boots fail as
# not run. Those limits are for an idle host: on a busy one TCG guests
# run several times slower, and RELAYX_BOOT_LIMIT_SCALE (percent, 100 by
# default) scales them, never past the deadline.

# The script that boots: scripts/vm-run, or a stand-in (the self-tests).
VM_RUN=${VM_RUN:-$RELAYX_TOP/scripts/vm-run}

boot_limits_init() {	# boot_limits_init START (seconds since the epoch)
	DEADLINE=$(($1 + ${RELAYX_CHECK_DEADLINE:-4800}))
	declare -gA timed_out=()
}

# vm KERNEL LIMIT VM-RUN-ARGS...: scripts/vm-run on KERNEL for LIMIT
# seconds at most; 124 on a timeout, 127 when not run.
vm() {
	local k=$1 limit=$2 left st
	shift 2
	if [ -n "${timed_out[$k]:-}" ]; then
		echo "not run: the $k kernel timed out earlier (${timed_out[$k]})"
		return 127
	fi
	limit=$((limit * ${RELAYX_BOOT_LIMIT_SCALE:-100} / 100))
	left=$((DEADLINE - $(date +%s)))
	if [ "$left" -lt 60 ]; then
		echo "not run: past make check's deadline (RELAYX_CHECK_DEADLINE)"
		return 127
	fi
	[ "$limit" -le "$left" ] || limit=$left
	"$VM_RUN" --kernel "$k" --timeout "$limit" "$@"
	st=$?
	if [ $st -eq 124 ]; then
		timed_out[$k]="a boot of it timed out after ${limit}s"
		echo "timed out after ${limit}s: no more boots of $k"
	fi
	return $st
}

past_deadline() {
	[ "$(date +%s)" -ge "$DEADLINE" ]
}

