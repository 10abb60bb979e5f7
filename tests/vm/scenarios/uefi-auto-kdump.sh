# uefi-kdump through the default path (-a: kexec_file_load, which the kernel accepts here).
SYSCALL=-a
. /scenarios/uefi-kdump.sh
