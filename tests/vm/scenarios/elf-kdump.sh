# kdump with the ELF vmlinux as the capture kernel (-p /boot/vmlinux.zst): its PT_LOADs move into
# the crash reservation as one 2 MiB-aligned block; then the kdump scenario's panic and checks.
CAPTURE_KERNEL=/boot/vmlinux.zst
. /scenarios/kdump.sh
