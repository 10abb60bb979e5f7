# Under UEFI with the first kernel booted efi=noruntime: no runtime services, so no EFI can be
# handed over on the kexec_load path; -d says why, and the second kernel still finds ACPI
# (acpi_rsdp_addr) and both CPUs.
. /scenarios/lib.sh
ls /sys/firmware/efi/runtime-map > /dev/null 2>&1 && echo "NORUNTIME-MAP: present" || echo "NORUNTIME-MAP: absent"
step "load"
expect_rc 0 "$KEXEC" -c -d -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
exec_loaded
