# Where a load's time goes: ours --dry-run (all userspace work, no syscall), with and
# without digests, then the full load; the peer's full load for comparison.
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
t() {
    label=$1; shift
    t0=$(now_ns); "$@" > /dev/null; rc=$?; t1=$(now_ns)
    echo "SPLIT $label rc=$rc $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
}
grep -o -w -E 'sha_ni|avx2|ssse3' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
for i in 1 2 3; do
    t dry-run /bin/kexec --dry-run -c -l "$KERNEL" --initrd="$INITRD" --append=x
    t dry-run-i /bin/kexec --dry-run -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    t ours-load /bin/kexec -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    t ours-load-i /bin/kexec -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    t peer-load /bin/kexec-tools -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec-tools -u
    t peer-load-i /bin/kexec-tools -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec-tools -u
done
