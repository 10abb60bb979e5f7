# load-exec with a gzip-compressed kernel through kexec_load (-c): we decompress it before
# parsing; -d names the format and sizes. -e boots it with our command line and initrd.
. /scenarios/lib.sh
KERNEL=${COMPRESSED_KERNEL:-/boot/vmlinuz.gz}
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "status"
expect_loaded 1
exec_loaded
