# Paths and command lines are bytes: a kernel and an initrd whose names are not UTF-8 load,
# an --append that is not UTF-8 reaches the second kernel byte for byte (SECOND-CMDLINE-HEX),
# and an error names such a file with its own bytes. -c here; raw-bytes-file uses -s.
. /scenarios/lib.sh
k=$(printf '/tmp/vmlinuz-\377\376')
rd=$(printf '/tmp/initrd-\351')
cp "$KERNEL" "$k"
cp "$SECOND_INITRD" "$rd"
step "a missing file whose name is not UTF-8"
echo "RAW-ERROR-HEX: $("$KEXEC" $SYSCALL -l "$(printf '/tmp/missing-\377')" 2>&1 | od -An -tx1 | tr -d ' \n')"
step "load"
expect_rc 0 "$KEXEC" $SYSCALL -l "$k" --initrd="$rd" --append="$SECOND_APPEND $(printf 'raw=\377\376\351')"
expect_loaded 1
exec_loaded
