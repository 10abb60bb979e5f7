# kdump through kexec_file_load (-s -p).
SYSCALL=-s
. /scenarios/kdump.sh
