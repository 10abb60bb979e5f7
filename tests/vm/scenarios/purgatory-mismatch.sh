# Purgatory must not jump when a digest does not match: it reports on the serial port and
# halts. --test-corrupt-digest (hidden) gives purgatory a wrong digest for one segment.
. /scenarios/lib.sh
step "load with a wrong digest"
expect_rc 0 "$KEXEC" -c -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND" --test-corrupt-digest
expect_loaded 1
exec_loaded
