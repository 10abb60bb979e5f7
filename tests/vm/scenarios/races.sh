# Racing callers (udev reloading kdump while an admin loads): twelve rounds of two loads at
# once (kexec_load and kexec_file_load), then an unload racing a load; every command must
# succeed (they take turns through the operation lock instead of one meeting the kernel's
# EBUSY), and -S must agree with /sys/kernel/kexec_loaded after each round. Then a load and -e.
. /scenarios/lib.sh
# RACE_NOLOCK=1 (run.py --env RACE_NOLOCK=1) gives every process its own lock file, i.e. no
# serialization: a check that this scenario fails without the lock
lk() { if [ -n "${RACE_NOLOCK:-}" ]; then echo "/tmp/lock.$1"; else echo /run/kexec.lock; fi; }
load() { l=$1; shift; SWIFT_KEXEC_LOCK=$(lk $l) "$KEXEC" "$@" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"; }
i=1
while [ "$i" -le "${RACE_ROUNDS:-12}" ]; do
    load a -c > /tmp/a.out 2>&1 & a=$!
    load b -s > /tmp/b.out 2>&1 & b=$!
    wait $a; ra=$?; wait $b; rb=$?
    SWIFT_KEXEC_LOCK=$(lk u) "$KEXEC" -u > /tmp/u.out 2>&1 & u=$!
    load c -c > /tmp/c.out 2>&1 & c=$!
    SWIFT_KEXEC_LOCK=$(lk s) "$KEXEC" -S -l > /dev/null 2>&1 & s=$!
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
expect_rc 0 load f -c
expect_loaded 1
exec_loaded
