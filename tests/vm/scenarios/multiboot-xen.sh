# A native Linux loads Debian's Xen 4.17 (xen.gz, decompressed by us) as a multiboot kernel
# with dom0's kernel and initrd as modules, executes it, and Xen boots dom0, whose /init
# (the second initramfs) prints its command line and marker. Xen strips the first word (the
# file name) of its own and of each module's command line.
. /scenarios/lib.sh
expect_loaded 0
step "load"
# MB_TYPE=multiboot2-x86: the same through the multiboot2 header (multiboot2-xen)
expect_rc 0 "$KEXEC" -d ${MB_TYPE:+-t $MB_TYPE} -l /boot/xen.gz \
    --append="console=com1 com1=115200,8n1 dom0_mem=512M" \
    --module="/boot/vmlinuz console=hvc0 quiet panic=-1 swiftkexec-token=$TOKEN" \
    --module="$SECOND_INITRD"
step "status"
expect_loaded 1
exec_loaded
