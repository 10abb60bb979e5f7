# Xen PV dom0 kdump: -p loads a capture kernel into Xen's crash region (crashkernel= on Xen's
# command line), -S -p reports it, then dom0 panics: Xen runs the capture kernel, whose
# /proc/vmcore is checked by capture-init. CAPTURE_KERNEL (default: the bzImage) is what
# xen-elf-kdump sets to the ELF vmlinux.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN"
CAPTURE_KERNEL=${CAPTURE_KERNEL:-$KERNEL}
xen_setup
xen_expect_loaded 0 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -p "$CAPTURE_KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
xen_expect_loaded 0 1
step "panic"
sync
echo "SCENARIO-PANIC"
echo c > /proc/sysrq-trigger
fail "still running after the sysrq crash"
