# The uefi-load-exec scenario through kexec_file_load (-s), whose kernel side keeps EFI.
SYSCALL=-s
. /scenarios/uefi-load-exec.sh
