# --args-none: a bare ELF64 executable (tests/vm/elf-hello.S, /boot/hello.elf) loaded with
# -t elf-x86_64 --args-none runs at its entry in 64-bit mode with nothing in rsi (no
# boot_params) and prints one line on COM1, then halts. --initrd with --args-none is refused
# (it could not reach the program) and leaves nothing loaded.
. /scenarios/lib.sh
expect_loaded 0
step "initrd refused"
run "$KEXEC" -c -t elf-x86_64 --args-none -l /boot/hello.elf --initrd="$SECOND_INITRD"
[ "$RC" != 0 ] || fail "--args-none with --initrd was accepted"
expect_loaded 0
step "load"
expect_rc 0 "$KEXEC" -c -d -t elf-x86_64 --args-none -l /boot/hello.elf
expect_loaded 1
exec_loaded
