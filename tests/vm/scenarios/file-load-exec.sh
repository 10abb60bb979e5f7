# The load-exec scenario through kexec_file_load (-s).
SYSCALL=-s
. /scenarios/load-exec.sh
