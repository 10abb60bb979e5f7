# The bad-after-good scenario through kexec_file_load (-s).
SYSCALL=-s
. /scenarios/bad-after-good.sh
