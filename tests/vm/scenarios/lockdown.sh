# The first kernel runs with lockdown=integrity (booted by SeaBIOS: no UEFI, so the platform
# keyring is empty). kexec_load (-c) must be refused with a sentence naming lockdown; the
# default path tries kexec_file_load, which must verify Debian's signed kernel against the
# kernel's keyrings. What the kernel does with it is recorded (dmesg) and checked by
# lockdown.expect; the previously loaded state must be untouched.
. /scenarios/lib.sh
step "lockdown state"
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
cat /sys/kernel/security/lockdown
"$KEXEC" --status --json
step "kexec_load refused"
out=$("$KEXEC" -c -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND" 2>&1)
echo "SCENARIO-RC $?"
printf '%s\n' "$out" | sed 's/^/LOCKDOWN-C: /'
expect_loaded 0
step "default path"
out=$("$KEXEC" -d -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND" 2>&1)
echo "SCENARIO-RC $?"
printf '%s\n' "$out" | sed 's/^/LOCKDOWN-A: /'
dmesg | grep -iE 'kexec|lockdown|signature|PKCS|X\.509|keyring' | tail -8 | sed 's/^/LOCKDOWN-DMESG: /'
expect_loaded 0
step "unload under lockdown (file syscall)"
expect_rc 0 "$KEXEC" -u
