# kdump: load a capture kernel with -p into the crashkernel=256M reservation, check the
# status contract, then panic. capture-init checks /proc/vmcore with independent readers.
# CAPTURE_KERNEL (default: the bzImage) is what uki-kdump sets to a UKI.
. /scenarios/lib.sh
CAPTURE_KERNEL=${CAPTURE_KERNEL:-$KERNEL}
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN"
step "reservation"
cat /sys/kernel/kexec_crash_size
"$KEXEC" --print-ckr-size
step "nothing loaded"
run "$KEXEC" -S
[ "$RC" = 0 ] || fail "kexec -S before loading: expected 0, got $RC"
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -p "$CAPTURE_KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
echo "SCENARIO-SYSFS kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
run "$KEXEC" -S
[ "$RC" = 1 ] || fail "kexec -S after -p: expected 1, got $RC"
run "$KEXEC" -S -l
[ "$RC" = 0 ] || fail "kexec -S -l (default image) after -p: expected 0, got $RC"
step "unload and reload"
expect_rc 0 "$KEXEC" $SYSCALL -p -u
echo "SCENARIO-SYSFS kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
expect_rc 0 "$KEXEC" $SYSCALL -p "$CAPTURE_KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
crash_now
