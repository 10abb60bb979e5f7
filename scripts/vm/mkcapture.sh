#!/bin/sh
# Builds work/vm/capture.cpio.gz, the kdump capture kernel's initramfs: busybox, /init
# (tests/vm/initramfs/capture-init), /bin/efi-facts with /lib/modules/efivarfs.ko (as in
# mkinitramfs.sh), and independent dump readers with their libraries:
# vmcore-dmesg (Debian's kexec-tools package, extracted by setup.sh), makedumpfile and
# readelf (installed on the host from Debian's makedumpfile and binutils packages).
# Environment: VM_OUT, KERNEL_SUITE (efivarfs.ko of that suite's kernel), as for mkinitramfs.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="${VM_OUT:-$ROOT/work${KERNEL_SUITE:+/$KERNEL_SUITE}}/vm"
KT="$ROOT/work/vm-cache/kexec-tools"
log() { echo "mkcapture: $*"; }
die() { echo "mkcapture: ERROR: $*" >&2; exit 1; }
for p in makedumpfile:makedumpfile binutils:readelf; do
    command -v "${p#*:}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${p%:*}" >/dev/null; } ||
        die "cannot install ${p%:*}"
done
vmcore_dmesg=$(ls "$KT"/root/sbin/vmcore-dmesg "$KT"/root/usr/sbin/vmcore-dmesg 2>/dev/null | head -n 1)
[ -n "$vmcore_dmesg" ] || die "vmcore-dmesg not in $KT/root: run scripts/vm/setup.sh"
S="$OUT/stage-capture"
rm -rf "$S"
# the module must match the capture kernel, which is the image's /boot/vmlinuz
EFIVARFS="$ROOT/work/vm-cache${KERNEL_SUITE:+/suite-$KERNEL_SUITE}/efi-modules/efivarfs.ko"
[ -s "$EFIVARFS" ] || die "$EFIVARFS missing: run ${KERNEL_SUITE:+KERNEL_SUITE=$KERNEL_SUITE }scripts/vm/setup.sh"
mkdir -p "$S/bin" "$S/sbin" "$S/proc" "$S/sys" "$S/dev" "$S/tmp" "$S/lib/x86_64-linux-gnu" "$S/lib64" "$S/lib/modules"
cp "$(command -v busybox)" "$S/bin/busybox"
for a in sh mount cat head od tr grep sed sort uniq wc tail poweroff; do ln -s busybox "$S/bin/$a"; done
install -m 0755 "$ROOT/tests/vm/initramfs/capture-init" "$S/init"
install -m 0755 "$ROOT/tests/vm/initramfs/efi-facts" "$S/bin/efi-facts"
install -m 0644 "$EFIVARFS" "$S/lib/modules/efivarfs.ko"
for bin in "$vmcore_dmesg" "$(command -v makedumpfile)" "$(command -v readelf)"; do
    install -m 0755 "$bin" "$S/sbin/$(basename "$bin")"
    ldd "$bin" | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' | while read -r so; do
        case "$so" in
            */ld-linux-x86-64.so.2) cp -L "$so" "$S/lib64/" ;;
            *) cp -L "$so" "$S/lib/x86_64-linux-gnu/" ;;
        esac
    done
done
python3 "$ROOT/scripts/vm/cpio.py" tree "$OUT/capture.cpio.gz" "$S" --gzip --nod /dev/console:c:5:1:600
rm -rf "$S"
log "capture.cpio.gz: $(wc -c < "$OUT/capture.cpio.gz") bytes"
