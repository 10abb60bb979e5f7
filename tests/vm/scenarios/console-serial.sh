# --console-serial with the default -a: only our purgatory prints, so kexec_load is used (-d
# says so); after -e purgatory reports the checks and the jump on ttyS0, then the kernel boots.
. /scenarios/lib.sh
step "load"
expect_rc 0 "$KEXEC" -d --console-serial --serial=ttyS0 -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
expect_loaded 1
exec_loaded
