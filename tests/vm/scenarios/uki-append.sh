# kexec-tools cannot load a UKI (nothing gets loaded); ours, with the default syscall choice
# (-a: kexec_file_load first) and --append=, boots the UKI's kernel and initrd with the given
# command line instead of the UKI's .cmdline.
. /scenarios/lib.sh
UKI=/boot/uki.efi
step "peer"
run /bin/kexec-tools -l "$UKI"
[ "$RC" != 0 ] || fail "kexec-tools loaded the UKI"
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" -d -l "$UKI" --append="$SECOND_APPEND"
step "status"
expect_loaded 1
exec_loaded
