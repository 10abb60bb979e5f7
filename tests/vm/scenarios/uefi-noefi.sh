# Under UEFI, -c --noefi -l: the second kernel gets no efi_info and no SETUP_EFI, so it runs
# without EFI, but it still finds ACPI (acpi_rsdp_addr) and both CPUs.
. /scenarios/lib.sh
step "load"
expect_rc 0 "$KEXEC" -c -d --noefi -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
exec_loaded
