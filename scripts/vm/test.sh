#!/bin/sh
# CI entry point: set up, build the guest images, run every correctness scenario in QEMU.
#
#   scripts/vm/test.sh            test ours (work/kexec, or $KEXEC_BIN) as /bin/kexec
#   scripts/vm/test.sh --peer     run the same scenarios with Debian's kexec-tools instead
#   scripts/vm/test.sh --peer32   the same with Debian sid's kexec-tools 2.0.32 (fetched into
#                                 work/vm-cache/peer2/ by fetch-kernel.sh's FETCH_KEXEC_TOOLS=1)
#   scripts/vm/test.sh [--peer|--peer32] SCENARIO...   only these scenarios
#
# Environment: VM_JOBS (guests in parallel, default 2), KEXEC_BIN (our binary),
#              KERNEL_SUITE=sid (that suite's kernel as first and second kernel, images and logs in
#              work/sid/ or VM_OUT; no Xen scenarios),
#              XEN_SUITE=trixie (that suite's Xen under the `machine xen` scenarios, dom0 still
#              Debian 12's kernel; logs tagged -xen-SUITE).
# Logs: work/vm-logs/NAME.log.  Exit status 0 iff every scenario passed.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM="$ROOT/scripts/vm"

kexec=/bin/kexec
extra=""
peer32=0
if [ "${1:-}" = "--peer" ] || [ "${1:-}" = "--peer32" ]; then
    if [ "$1" = "--peer32" ]; then kexec=/bin/kexec-tools-2.0.32; peer32=1; else kexec=/bin/kexec-tools; fi
    shift
    # kexec-tools (2.0.25 and 2.0.32) prints two lines for a truncated bzImage; ours must print one
    extra="--env BAD_MAX_LINES=2"
else
    bin=${KEXEC_BIN:-$ROOT/work/kexec}
    if [ ! -e "$bin" ]; then
        echo "test.sh: $bin does not exist (build it, set KEXEC_BIN, or use --peer)" >&2
        exit 2
    fi
fi

start=$(date +%s)
sh "$VM/setup.sh"
sh "$VM/mkcapture.sh"
[ "$peer32" = 0 ] || FETCH_KERNEL=0 FETCH_KEXEC_TOOLS=1 sh "$VM/fetch-kernel.sh" sid
NO_BENCH=1 sh "$VM/mkinitramfs.sh"
sh "$VM/mksecboot.sh"  # keys, enrolled OVMF variables, signed kernels: `firmware ovmf-secboot`
# dom0.cpio for the `machine xen` scenarios (Debian 12's kernel only: its Xen modules)
[ -n "${KERNEL_SUITE:-}" ] || sh "$VM/mkxen.sh"
tag=""
if [ -n "${XEN_SUITE:-}" ]; then
    FETCH_XEN=1 sh "$VM/fetch-kernel.sh" "$XEN_SUITE"
    tag="--tag xen-$XEN_SUITE"
fi
if [ $# -gt 0 ]; then
    set -- "$@"
else
    set -- --all
fi
rc=0
python3 "$VM/run.py" --kexec "$kexec" $extra $tag -j "${VM_JOBS:-2}" "$@" || rc=$?
echo "test.sh: $(( $(date +%s) - start )) s in all"
exit $rc
