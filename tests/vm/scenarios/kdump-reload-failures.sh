# A loaded capture kernel survives crash reloads that fail: files our checks refuse before
# any syscall (garbage on the default path, -s and -c; a missing initrd), and refusals the
# kernel makes after it has already freed the loaded capture kernel (the test hook
# SWIFT_KEXEC_TEST_SKIP_VALIDATION sends garbage to kexec_file_load unchecked; a kernel
# file that shrinks under -c -i fails the kernel's copy with EFAULT): kexec loads the
# recorded capture kernel again. A record whose file changed is not reloaded, and says so.
# Then a panic boots the first capture kernel and its dump is read.
. /scenarios/lib.sh
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN"
head -c 65536 /dev/urandom > /tmp/garbage
step "a record whose file changed"
cp "$KERNEL" /tmp/old
expect_rc 0 "$KEXEC" -p /tmp/old --initrd=/boot/capture.cpio.gz --append="console=ttyS0 stale"
expect_crash_loaded 1
cp /tmp/garbage /tmp/old
refused stale env SWIFT_KEXEC_TEST_SKIP_VALIDATION=1 "$KEXEC" -s -p /tmp/garbage --append=x
expect_crash_loaded 0
step "load"
expect_rc 0 "$KEXEC" -d -p "$KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
expect_crash_loaded 1
for syscall in -a -s -c; do
    step "garbage $syscall"
    refused "garbage$syscall" "$KEXEC" $syscall -p /tmp/garbage --append=x
    expect_crash_loaded 1
    step "missing initrd $syscall"
    refused "initrd$syscall" "$KEXEC" $syscall -p "$KERNEL" --initrd=/tmp/no-such-initrd --append=x
    expect_crash_loaded 1
done
step "the kernel refuses after freeing"
refused freed-s env SWIFT_KEXEC_TEST_SKIP_VALIDATION=1 "$KEXEC" -s -p /tmp/garbage --append=x
expect_crash_loaded 1
step "the kernel's copy fails after freeing"
cp "$KERNEL" /tmp/k
refused freed-c env SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP=/tmp/k "$KEXEC" -c -i -p /tmp/k --initrd=/boot/capture.cpio.gz --append=x
expect_crash_loaded 1
crash_now
