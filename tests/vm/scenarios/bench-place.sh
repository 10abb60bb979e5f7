# The kernel's share of a load (-i: no digests, so almost all of it is kexec_load copying)
# by where the segments go: our default (bottom-up from 16 MiB) against the same segments
# forced near the top of RAM with --mem-min, where a freshly booted kernel's page allocator
# hands out pages first; and kexec-tools' -i load for reference.
. /scenarios/lib.sh
INITRD=${BENCH_INITRD:-/boot/big-initrd}
top=$(awk -F'[- :]+' '/System RAM/ { end = $2 } END { print end }' /proc/iomem)
high=$(printf '0x%x' $(( (0x$top - (160 << 20)) & ~0x1fffff )))
echo "SCENARIO-STEP RAM ends at 0x$top; the high variant uses --mem-min=$high"
/bin/kexec --dry-run -d -i -c -l "$KERNEL" --initrd="$INITRD" --append=x 2>&1 | grep -E '^ +[0-9] '
/bin/kexec --dry-run -d -i -c --mem-min="$high" -l "$KERNEL" --initrd="$INITRD" --append=x 2>&1 | grep -E '^ +[0-9] '
for i in $(seq ${BENCH_RUNS:-3}); do
    split_time low /bin/kexec -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    split_time high /bin/kexec -i -c --mem-min="$high" -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec -u
    split_time peer /bin/kexec-tools -i -c -l "$KERNEL" --initrd="$INITRD" --append=x
    /bin/kexec-tools -u
done
