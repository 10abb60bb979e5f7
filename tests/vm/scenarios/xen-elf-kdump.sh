# Xen dom0 kdump with the ELF vmlinux as the capture kernel: its PT_LOADs move into Xen's
# crash region; then the xen-kdump panic and checks.
CAPTURE_KERNEL=/boot/vmlinux.zst
. /scenarios/xen-kdump.sh
