# kdump-cma: crash memory from CMA (crashkernel=128M,cma beside crashkernel=256M, Linux 6.16+;
# the ranges are in /sys/kernel/kexec/crash_cma_ranges since 6.19). Loaded through kexec_load
# (-c, default) the capture kernel must get the CMA range as RAM and the dump must leave it
# out, as the kernel's own kexec_file_load does (SYSCALL=-s through run.py --env shows that).
# capture-init checks both from swiftkexec-cma=START-END on the capture command line.
. /scenarios/lib.sh
step "reservation"
cat /sys/kernel/kexec_crash_size
cma=$(head -n1 /sys/kernel/kexec/crash_cma_ranges 2>/dev/null)
[ -n "$cma" ] || fail "no CMA crash range in /sys/kernel/kexec/crash_cma_ranges"
echo "SCENARIO-CMA-RANGE $cma"
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN swiftkexec-cma=$cma"
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -p "$KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
expect_crash_loaded 1
"$KEXEC" --status --json | grep -o '"crash_cma_bytes":[0-9]*'
crash_now
