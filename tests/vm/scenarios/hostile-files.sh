# Files that cannot be loaded must not cost the image already loaded, and never hang or crash:
# a kernel or initrd that shrinks while kexec reads it (SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP cuts
# the file right after it is mapped, as a concurrent writer would), with digests (the hashing
# meets the hole: SIGBUS) and with -i (the kernel's copy meets it: EFAULT), and FIFOs as kernel
# and initrd (open(2) would wait for a writer forever). Then -e boots the first image.
. /scenarios/lib.sh
step "good load"
expect_rc 0 "$KEXEC" -c -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
for opt in "" -i; do
    cp "$KERNEL" /tmp/k; cp "$SECOND_INITRD" /tmp/rd
    step "initrd shrinks ${opt:-with digests}"
    refused "rd$opt" env SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP=/tmp/rd "$KEXEC" -c $opt -l /tmp/k --initrd=/tmp/rd --append=x
    expect_loaded 1
    cp "$SECOND_INITRD" /tmp/rd
    step "kernel shrinks ${opt:-with digests}"
    refused "k$opt" env SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP=/tmp/k "$KEXEC" -c $opt -l /tmp/k --initrd=/tmp/rd --append=x
    expect_loaded 1
done
mkfifo /tmp/fifo
step "fifo kernel"
refused fifo-k timeout 20 "$KEXEC" -l /tmp/fifo
step "fifo initrd"
refused fifo-rd timeout 20 "$KEXEC" -s -l "$KERNEL" --initrd=/tmp/fifo
expect_loaded 1
step "dry runs of -u and -e change nothing"
expect_rc 0 "$KEXEC" --dry-run -u
expect_rc 0 "$KEXEC" --dry-run -e
expect_loaded 1
exec_loaded
