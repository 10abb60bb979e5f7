# kdump with a unified kernel image as the capture kernel: -p /boot/uki.efi with
# --initrd (the capture initramfs instead of the UKI's .initrd) and --append (instead of
# its .cmdline); then the kdump scenario's panic and /proc/vmcore checks.
CAPTURE_KERNEL=/boot/uki.efi
. /scenarios/kdump.sh
