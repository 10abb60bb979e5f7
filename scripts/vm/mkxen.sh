#!/bin/sh
# Build the Xen dom0 initramfs (run scripts/vm/setup.sh and scripts/vm/mkinitramfs.sh first):
#   dom0.cpio   first.cpio followed by an archive holding /xen/{xen-privcmd,xen-evtchn,xenfs}.ko
#               (the modules of the same kernel; the scenarios insmod them, see
#               tests/vm/scenarios/xenlib.sh)
# run.py boots it for scenarios with `machine xen`: Xen 4.17 (work/vm-cache/xen/xen.elf) with
# the same kernel as a PV dom0.
# Environment: VM_OUT (build into $VM_OUT/vm instead of work/vm).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/work/vm-cache"
OUT="${VM_OUT:-$ROOT/work}/vm"
CPIO="python3 $ROOT/scripts/vm/cpio.py"

die() { echo "mkxen: ERROR: $*" >&2; exit 1; }
log() { echo "mkxen: $*"; }

# the modules are Debian 12's kernel's; fetch-kernel.sh keeps none of another suite's kernel
[ -z "${KERNEL_SUITE:-}" ] || die "no Xen modules for KERNEL_SUITE=$KERNEL_SUITE (the Xen scenarios run on Debian 12's kernel)"

[ -s "$CACHE/xen/xen.elf" ] || die "$CACHE/xen/xen.elf missing: run scripts/vm/setup.sh"
[ -e "$CACHE/xen-modules/.complete" ] || die "$CACHE/xen-modules missing: run scripts/vm/setup.sh"
[ -e "$OUT/first.cpio" ] || die "$OUT/first.cpio missing: run scripts/vm/mkinitramfs.sh"

STAGE="$OUT/xen-stage"
rm -rf "$STAGE"
mkdir -p "$STAGE/xen"
for m in xen-privcmd.ko xen-evtchn.ko xenfs.ko; do
    install -m 0644 "$CACHE/xen-modules/$m" "$STAGE/xen/$m"
done
$CPIO tree "$OUT/xen-extra.cpio" "$STAGE"
cat "$OUT/first.cpio" "$OUT/xen-extra.cpio" > "$OUT/dom0.cpio.new"
mv "$OUT/dom0.cpio.new" "$OUT/dom0.cpio"
rm -rf "$STAGE" "$OUT/xen-extra.cpio"
log "dom0.cpio: $(wc -c < "$OUT/dom0.cpio") bytes"
