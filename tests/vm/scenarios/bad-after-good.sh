# A truncated kernel is rejected (non-zero exit, one line of diagnostics) and does not
# disturb the image loaded before it.  BAD_MAX_LINES (default 1) relaxes the line count:
# kexec-tools 2.0.25 prints two lines ("BzImage truncated?" and "Cannot load ...").
. /scenarios/lib.sh
step "load good"
expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd "$SECOND_INITRD" --append "$SECOND_APPEND"
expect_loaded 1
step "load bad"
echo "SCENARIO-RUN $KEXEC -l /boot/bad-vmlinuz --initrd=$SECOND_INITRD --append=bad-image"
out=$("$KEXEC" $SYSCALL -l /boot/bad-vmlinuz --initrd="$SECOND_INITRD" --append="bad-image" 2>&1)
RC=$?
echo "SCENARIO-RC $RC"
printf '%s\n' "$out" | sed 's/^/BAD-OUTPUT: /'
[ "$RC" -ne 0 ] || fail "loading a truncated kernel succeeded"
n=$(printf '%s\n' "$out" | grep -c .)
echo "SCENARIO-BAD-OUTPUT-LINES $n"
max=${BAD_MAX_LINES:-1}
[ "$n" -ge 1 ] && [ "$n" -le "$max" ] ||
    fail "expected 1 to $max lines of output for the bad kernel, got $n"
step "good image still loaded"
expect_loaded 1
exec_loaded
