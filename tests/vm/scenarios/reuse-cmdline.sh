# --reuse-cmdline takes the running kernel's command line without BOOT_IMAGE=, then --append
. /scenarios/lib.sh
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd="$SECOND_INITRD" --reuse-cmdline --append=extra=1
expect_loaded 1
exec_loaded
