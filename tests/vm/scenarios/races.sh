# Racing callers (udev reloading kdump while an admin loads): twelve rounds of two loads at
# once (kexec_load and kexec_file_load), then an unload racing a load; every command must
# succeed (they take turns through the operation lock instead of one meeting the kernel's
# EBUSY), and -S must agree with /sys/kernel/kexec_loaded after each round. Then a load and -e.
. /scenarios/lib.sh
load() { "$KEXEC" "$@" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"; }
i=1
while [ "$i" -le "${RACE_ROUNDS:-12}" ]; do
    load -c > /tmp/a.out 2>&1 & a=$!
    load -s > /tmp/b.out 2>&1 & b=$!
    wait $a; ra=$?; wait $b; rb=$?
    "$KEXEC" -u > /tmp/u.out 2>&1 & u=$!
    load -c > /tmp/c.out 2>&1 & c=$!
    "$KEXEC" -S -l > /dev/null 2>&1 & s=$!
    wait $u; ru=$?; wait $c; rc=$?; wait $s
    "$KEXEC" -S -l; st=$?
    sysfs=$(cat /sys/kernel/kexec_loaded)
    echo "RACE $i loads=$ra,$rb unload=$ru load=$rc status=$st sysfs=$sysfs"
    if [ "$ra$rb$ru$rc" != 0000 ]; then
        sed 's/^/RACE-OUT: /' /tmp/a.out /tmp/b.out /tmp/u.out /tmp/c.out
        fail "round $i: a racing command failed"
    fi
    [ "$st" = "$sysfs" ] || fail "round $i: kexec -S -l says $st, sysfs says $sysfs"
    i=$((i + 1))
done
step "final load"
expect_rc 0 load -c
expect_loaded 1
exec_loaded
