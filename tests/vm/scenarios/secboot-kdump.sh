# kdump under Secure Boot: -s -p with the db-signed kernel, panic, the dump is readable
# (the kdump scenario with CAPTURE_KERNEL and SYSCALL set).
CAPTURE_KERNEL=/boot/vmlinuz-db
SYSCALL=-s
. /scenarios/kdump.sh
