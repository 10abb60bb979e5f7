# uefi-kdump-noefi: under UEFI, -c --noefi -p hands the capture kernel no EFI; it still finds
# ACPI through boot_params' acpi_rsdp_addr, without the acpi_rsdp= option kexec-tools appends.
SYSCALL="-c --noefi"
. /scenarios/kdump.sh
