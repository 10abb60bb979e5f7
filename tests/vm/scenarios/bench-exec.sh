# Time from kexec -e to the second kernel's first console line (measured on the host from the
# serial timestamps of BENCH-EXEC-START and "Linux version").  KEXEC selects the binary;
# BENCH_NOCHECKS=1 adds -i; BENCH_INITRD picks the initrd (default the 64 MiB one).
# kexec_load (-c) so that the userspace purgatory (and its checks) is what runs.
# --console-serial makes both purgatories print a line when they start (ours also one after
# the checks), so the time from purgatory to the kernel's first line excludes the copy of the
# segments that the old kernel does before it.
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
flags="-c --console-serial"
[ "${BENCH_NOCHECKS:-0}" = 1 ] && flags="$flags -i"
step "load $flags $INITRD"
# no "quiet": the second kernel's first line ("Linux version ...") is the end mark; earlyprintk
# prints it before the timer calibration, which under TCG sometimes stalls for seconds
expect_rc 0 "$KEXEC" $flags -l "$KERNEL" --initrd="$INITRD" --append="console=ttyS0 earlyprintk=ttyS0,115200 panic=-1 swiftkexec-token=$TOKEN"
sync
echo "BENCH-EXEC-START"
"$KEXEC" -e
fail "kexec -e returned (status $?)"
