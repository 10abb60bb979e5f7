# The unload-status scenario through kexec_file_load (-s).
SYSCALL=-s
. /scenarios/unload-status.sh
