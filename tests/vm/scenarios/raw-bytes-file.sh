# raw-bytes through kexec_file_load (-s).
SYSCALL=-s
. /scenarios/raw-bytes.sh
