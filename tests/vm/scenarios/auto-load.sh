# The default (-a): kexec_file_load first; -d says which syscall loaded the image.
. /scenarios/lib.sh
step "load"
expect_rc 0 "$KEXEC" -d -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
exec_loaded
