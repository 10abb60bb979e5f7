# The force scenario through kexec_file_load (-s).
SYSCALL=-s
. /scenarios/force.sh
