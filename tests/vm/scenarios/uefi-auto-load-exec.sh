# The uefi-load-exec scenario through the default path (-a: kexec_file_load first).
SYSCALL=-a
. /scenarios/uefi-load-exec.sh
