# bench-place in a Xen PV dom0: our loads with the default bottom-up placement against the
# same segments forced high in machine memory with --mem-min, with and without digests.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
xen_setup
for i in $(seq ${BENCH_RUNS:-3}); do
    split_time low /bin/kexec -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec -u
    split_time high /bin/kexec -l --mem-min=0x70000000 "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec -u
    split_time low-i /bin/kexec -i -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec -u
    split_time high-i /bin/kexec -i -l --mem-min=0x70000000 "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
    /bin/kexec -u
done
