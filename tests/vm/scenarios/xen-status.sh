# Xen PV dom0: -S -l / -S -p / -S are right through the sequence (nothing; crash
# loaded; crash reloaded; default loaded; unload; unload again; crash unloaded) and then a
# default reload and an unload of nothing. Xen's own status sub-op reports load/unload parity,
# which is wrong after a reload and after an unload of nothing; see docs/xen.md. First:
# --print-ckr-size and --status --json give Xen's crash region (crashkernel=256M@512M on
# Xen's command line), not dom0's.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
load() { expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"; }
load_crash() { expect_rc 0 "$KEXEC" -p "$KERNEL" --initrd=/boot/capture.cpio.gz --append="console=hvc0 nr_cpus=1"; }
xen_setup
step "crash region size"
echo "SCENARIO-DOM0-KEXEC-CRASH-SIZE $(cat /sys/kernel/kexec_crash_size 2>&1)"
run "$KEXEC" --print-ckr-size
"$KEXEC" --status --json | grep -o '"crash_reservation_bytes":[0-9]*'
step "initially nothing loaded"
xen_expect_loaded 0 0
step "crash loaded"
load_crash
xen_expect_loaded 0 1
step "crash reloaded"
load_crash
xen_expect_loaded 0 1
step "default loaded"
load
xen_expect_loaded 1 1
step "unload"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 1
step "unload again (nothing loaded)"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 1
step "crash unloaded"
expect_rc 0 "$KEXEC" -p -u
xen_expect_loaded 0 0
step "load"
load
xen_expect_loaded 1 0
step "reload over a loaded image"
load
xen_expect_loaded 1 0
step "unload of the crash image (none loaded)"
expect_rc 0 "$KEXEC" -p -u
xen_expect_loaded 1 0
step "final unload"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 0
