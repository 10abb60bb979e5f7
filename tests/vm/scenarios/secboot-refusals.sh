# Secure Boot refusals, each one line naming its cause, and nothing loaded by any of them; a
# refused load after a good one leaves the good one loaded.
. /scenarios/lib.sh
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
efi-facts FIRST > /dev/null    # mounts efivarfs
step "status and dry run"
"$KEXEC" --status --json
"$KEXEC" --dry-run -l /boot/vmlinuz-db | grep '^signature: ' | sed 's/^/SB-DRY: /'
# refused NAME CMD...: run CMD, print its output as SB-NAME: lines and its status
refused() {
    name=$1; shift
    out=$("$@" 2>&1); rc=$?
    echo "SCENARIO-RC $rc"
    printf '%s\n' "$out" | sed "s/^/SB-$name: /"
}
for k in unsigned foreign; do
    step "$k, default path"
    refused "$k" "$KEXEC" -l /boot/vmlinuz-$k --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    expect_loaded 0
    step "$k, -s"
    refused "$k-s" "$KEXEC" -s -l /boot/vmlinuz-$k --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    expect_loaded 0
done
step "Debian-signed, default path"
refused debian "$KEXEC" -l /boot/vmlinuz --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 0
step "kexec_load"
refused c "$KEXEC" -c -l /boot/vmlinuz-db --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 0
step "crash kernel, kexec_load"
refused cp "$KEXEC" -c -p /boot/vmlinuz-db --initrd=/boot/capture.cpio.gz --append="$SECOND_APPEND"
step "dry run of the unsigned kernel"
"$KEXEC" --dry-run -l /boot/vmlinuz-unsigned | grep '^signature: ' | sed 's/^/SB-DRY: /'
step "good, then a refused reload"
expect_rc 0 "$KEXEC" -l /boot/vmlinuz-db --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
refused reload "$KEXEC" -l /boot/vmlinuz-unsigned --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
exec_loaded
