# Secure Boot on (OVMF with PK/KEK/db = our test key, scripts/vm/mksecboot.sh), the first kernel
# is Debian's re-signed with the db key, so it locks down (integrity) and trusts db through its
# platform keyring. The db-signed kernel loads through the default path and through -s, and -e
# boots it: the second kernel keeps EFI and Secure Boot.
. /scenarios/lib.sh
step "efi facts"
efi-facts FIRST
step "default path"
expect_rc 0 "$KEXEC" -d -l /boot/vmlinuz-db --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
expect_rc 0 "$KEXEC" -u
expect_loaded 0
step "file syscall"
expect_rc 0 "$KEXEC" -s -l /boot/vmlinuz-db --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
exec_loaded
