# -l with --initrd= and --append=, -S -l reports it, -e boots it with exactly that command line
. /scenarios/lib.sh
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "status"
expect_loaded 1
exec_loaded
