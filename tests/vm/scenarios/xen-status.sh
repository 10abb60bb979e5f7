# Xen PV dom0: -S -l / -S -p / -S are right through nothing, load, reload over a loaded image,
# unload, unload of nothing, load, unload (Xen's own status sub-op reports load/unload parity,
# which is wrong after the reload and after the second unload; see docs/xen.md).
. /scenarios/lib.sh
. /scenarios/xenlib.sh
load() { expect_rc 0 "$KEXEC" $SYSCALL -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"; }
xen_setup
step "initially nothing loaded"
xen_expect_loaded 0 0
step "load"
load
xen_expect_loaded 1 0
step "reload over a loaded image"
load
xen_expect_loaded 1 0
step "unload"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 0
step "unload again (nothing loaded)"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 0
step "load after the unloads"
load
xen_expect_loaded 1 0
step "unload of the crash image (none loaded)"
expect_rc 0 "$KEXEC" -p -u
xen_expect_loaded 1 0
step "final unload"
expect_rc 0 "$KEXEC" -u
xen_expect_loaded 0 0
