# kdump under UEFI (OVMF, 2 CPUs): the kdump scenario with its capture kernel loaded by -c -p
# (kexec_load, our purgatory and EFI hand-over); capture-init prints the capture kernel's
# firmware facts (CAPTURE-EFI...) after the dump checks. uefi-auto-kdump uses the default -a.
SYSCALL=${SYSCALL:--c}
. /scenarios/kdump.sh
