# Load time in a Xen PV dom0: ours and Debian's kexec-tools alternate `-l` of the kernel with
# the small initrd (dom0.cpio has no 64 MiB one), each followed by an unload.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
xen_setup
i=1
while [ "$i" -le "${BENCH_RUNS:-3}" ]; do
    split_time ours /bin/kexec -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec -u
    split_time peer /bin/kexec-tools -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec-tools -u
    i=$((i + 1))
done
