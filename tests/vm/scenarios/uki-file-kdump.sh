# kdump with a UKI through kexec_file_load (-s -p): .linux goes to the kernel in a sealed memfd.
SYSCALL=-s
CAPTURE_KERNEL=/boot/uki.efi
. /scenarios/kdump.sh
