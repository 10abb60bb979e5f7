# Under UEFI (OVMF) with 2 CPUs: the first kernel's firmware facts (efi-facts), then -d -l with
# --initrd= and --append= and -e; the second kernel's /init prints the same facts (SECOND-EFI...),
# which must show that EFI, its runtime services, systab, DMI, ACPI and both CPUs survived.
# SYSCALL: -c here (kexec_load, our purgatory), -s in uefi-file-load-exec.
. /scenarios/lib.sh
step "efi facts"
efi-facts FIRST
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -d -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "status"
expect_loaded 1
exec_loaded
