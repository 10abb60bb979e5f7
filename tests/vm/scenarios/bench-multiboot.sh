# Load time of Xen as a multiboot kernel with dom0's kernel and initrd as modules, kexec_load
# with purgatory checks: ours and kexec-tools alternating in one guest, BENCH_RUNS times each
# (the loop is bench-load's). kexec-tools cannot load Debian's xen.gz as shipped ("Cannot
# determine the file type"), so both get it gunzipped; its answer on xen.gz is shown first.
gunzip -c /boot/xen.gz > /tmp/xen
echo "SCENARIO-STEP peer on xen.gz:"
/bin/kexec-tools -c -l /boot/xen.gz --module=/boot/second.cpio.gz
echo "PEER-XEN-GZ-RC $?"
load_image() {
    "$1" -c -l /tmp/xen --append="console=com1 dom0_mem=512M" \
        --module="/boot/vmlinuz console=hvc0" --module=/boot/second.cpio.gz
}
. /scenarios/bench-load.sh
