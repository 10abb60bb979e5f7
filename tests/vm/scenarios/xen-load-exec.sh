# Xen PV dom0: -s -l says kexec_file_load does not apply and loads through the hypercall;
# -l again (a reload, of the gzip'd kernel: decompressed by us under Xen too), -S -l reports it;
# -e makes Xen execute it and the second kernel boots on the bare machine with exactly our
# command line and initrd.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
xen_setup
xen_expect_loaded 0 0
step "load with -s"
expect_rc 0 "$KEXEC" -s -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "reload"
expect_rc 0 "$KEXEC" $SYSCALL -d -l /boot/vmlinuz.gz --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "status"
xen_expect_loaded 1 0
exec_loaded
