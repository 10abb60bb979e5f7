# -f loads and executes in one go
. /scenarios/lib.sh
step "force"
sync
echo "SCENARIO-EXEC"
"$KEXEC" $SYSCALL -f "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"
fail "kexec -f returned (status $?)"
