# The ELF vmlinux (extracted from Debian's bzImage by scripts/vm/extract-vmlinux.py, shipped
# zstd-compressed) loads at its PT_LOAD physical addresses with --args-linux (boot_params
# like the bzImage path; the type is found by probing) and -e boots it with our command line
# and initrd.
. /scenarios/lib.sh
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" -c -d -l /boot/vmlinux.zst --args-linux --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "status"
expect_loaded 1
exec_loaded
