# -S -l and /sys/kernel/kexec_loaded agree through load, unload, and unload of nothing
. /scenarios/lib.sh
step "initially nothing loaded"
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
step "unload"
expect_rc 0 "$KEXEC" $SYSCALL -u
expect_loaded 0
step "unload again (nothing loaded)"
expect_rc 0 "$KEXEC" $SYSCALL -u
expect_loaded 0
step "load again"
expect_rc 0 "$KEXEC" $SYSCALL ${LOAD_AGAIN_OPT:-} -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
step "unload again"
expect_rc 0 "$KEXEC" $SYSCALL -u
expect_loaded 0
