# Where a load's time goes: ours --dry-run (all userspace work, no syscall), with and
# without digests, then the full load; the peer's full load for comparison.
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
grep -o -w -E 'sha_ni|avx2|ssse3' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
for i in 1 2 3; do
    split_time dry-run /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    split_time dry-run-i /bin/kexec --dry-run -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    split_time ours-load /bin/kexec -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    split_time ours-load-i /bin/kexec -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    split_time peer-load /bin/kexec-tools -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec-tools -u
    split_time peer-load-i /bin/kexec-tools -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec-tools -u
done
