# Time from the panic to the capture kernel's first console line (run once with
# KEXEC=/bin/kexec and once with KEXEC=/bin/kexec-tools). The capture kernel is not quiet,
# so its "Linux version" line is the first it prints.
. /scenarios/lib.sh
expect_rc 0 "$KEXEC" -c -p "$KERNEL" --initrd=/boot/capture.cpio.gz \
    --append="console=ttyS0 panic=-1 nr_cpus=1 irqpoll reset_devices"
sync
echo "SCENARIO-PANIC"
echo c > /proc/sysrq-trigger
