# A unified kernel image (/boot/uki.efi: Debian's systemd-boot stub with the kernel as .linux,
# second.cpio.gz as .initrd and a .cmdline with the marker token, made by mkinitramfs.sh)
# loaded with neither --initrd nor --append: -e boots the embedded kernel with the UKI's own
# command line and initrd. SYSCALL: -c here, -s in uki-file-load-exec.
. /scenarios/lib.sh
UKI=/boot/uki.efi
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -l "$UKI"
step "status"
expect_loaded 1
exec_loaded
