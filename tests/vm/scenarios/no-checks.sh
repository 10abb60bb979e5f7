# -i (no purgatory checks) still boots; also exercises --ramdisk= and --command-line=
. /scenarios/lib.sh
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -i -l "$KERNEL" --ramdisk="$SECOND_INITRD" --command-line="$SECOND_APPEND"
expect_loaded 1
exec_loaded
