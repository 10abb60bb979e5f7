# -e takes network interfaces down only after its checks, and brings them back up when reboot
# returns: a dummy interface (dummy.ko) is up; --dry-run -e leaves it up; an -e whose reboot
# returns (the test hook SWIFT_KEXEC_TEST_UNLOAD_BEFORE_EXEC unloads the image right before
# reboot, as a process ignoring the lock could) says so in one line and the interface is up
# again; -e with nothing loaded fails before touching it. Then a load and -e boot.
. /scenarios/lib.sh
link() { echo "NET $1 $(ip -o link show dummy0 | grep -o '<[^>]*>')"; }
[ -e /lib/modules/dummy.ko ] || fail "no /lib/modules/dummy.ko in the initramfs"
insmod /lib/modules/dummy.ko numdummies=1 || fail "insmod dummy.ko failed"
ip link set dummy0 up || fail "ip link set dummy0 up failed"
link start
step "load"
expect_rc 0 "$KEXEC" -c -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
step "dry run"
expect_rc 0 "$KEXEC" --dry-run -e
link dry-run
expect_loaded 1
step "reboot returns"
refused returns env SWIFT_KEXEC_TEST_UNLOAD_BEFORE_EXEC=1 "$KEXEC" -e
link returned
expect_loaded 0
step "nothing loaded"
refused empty "$KEXEC" -e
link empty
step "load again"
expect_rc 0 "$KEXEC" -c -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
exec_loaded
