# Under Xen a load the hypervisor refuses leaves the loaded image loaded, and -S right. The
# test hook SWIFT_KEXEC_TEST_XEN_REFUSE makes Xen refuse the load after all our checks passed
# (a segment count above Xen's limit: EINVAL, Xen's first check). An organic refusal, an
# initrd larger than Xen's free heap, is not used: Xen 4.17.7 then hits a BUG in
# free_domheap_pages (from kimage_free) and the machine dies (tests/vm/README.md). A reload
# over a loaded image never unloads first: it loads twice to keep Xen's status parity.
# Then -e boots the first image.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
xen_setup
step "load"
expect_rc 0 "$KEXEC" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
xen_expect_loaded 1 0
step "Xen refuses a reload"
refused xen-refuses env SWIFT_KEXEC_TEST_XEN_REFUSE=1 "$KEXEC" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="console=ttyS0 refused"
xen_expect_loaded 1 0
step "reload"
expect_rc 0 "$KEXEC" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
xen_expect_loaded 1 0
step "crash load"
expect_rc 0 "$KEXEC" -p "$KERNEL" --initrd="$SECOND_INITRD" --append="console=ttyS0 quiet"
xen_expect_loaded 1 1
step "Xen refuses a crash reload"
refused xen-refuses-p env SWIFT_KEXEC_TEST_XEN_REFUSE=1 "$KEXEC" -p "$KERNEL" --initrd="$SECOND_INITRD" --append="console=ttyS0 refused"
xen_expect_loaded 1 1
exec_loaded
