# Racing callers in a Xen PV dom0: two loads at once, then an unload racing a load, in each of
# RACE_ROUNDS rounds. Every command must succeed, and -S must stay right: Xen's status sub-op
# reports load/unload parity, which two unserialized processes could invert, so after each
# race a known unload and a known load must read back 0 and 1. Then -e boots the last load.
. /scenarios/lib.sh
. /scenarios/xenlib.sh
xen_setup
# RACE_NOLOCK=1 (run.py --env RACE_NOLOCK=1) gives every process its own lock file, i.e. no
# serialization: a check that this scenario fails without the lock
lk() { if [ -n "${RACE_NOLOCK:-}" ]; then echo "/tmp/lock.$1"; else echo /run/kexec.lock; fi; }
load() { SWIFT_KEXEC_LOCK=$(lk $1) "$KEXEC" -l "$KERNEL" --initrd="$SECOND_INITRD" --append="$SECOND_APPEND"; }
i=1
while [ "$i" -le "${RACE_ROUNDS:-6}" ]; do
    load a > /tmp/a.out 2>&1 & a=$!
    load b > /tmp/b.out 2>&1 & b=$!
    wait $a; ra=$?; wait $b; rb=$?
    "$KEXEC" -S -l; s1=$?
    SWIFT_KEXEC_LOCK=$(lk u) "$KEXEC" -u > /tmp/u.out 2>&1 & u=$!
    load c > /tmp/c.out 2>&1 & c=$!
    SWIFT_KEXEC_LOCK=$(lk s) "$KEXEC" -S -l > /dev/null 2>&1 & s=$!
    wait $u; ru=$?; wait $c; rc=$?; wait $s
    "$KEXEC" -u; "$KEXEC" -S -l; s2=$?
    load d; "$KEXEC" -S -l; s3=$?
    echo "XEN-RACE $i loads=$ra,$rb status=$s1 unload=$ru load=$rc then-unloaded=$s2 then-loaded=$s3"
    if [ "$ra$rb$ru$rc" != 0000 ]; then
        sed 's/^/RACE-OUT: /' /tmp/a.out /tmp/b.out /tmp/u.out /tmp/c.out
        fail "round $i: a racing command failed"
    fi
    [ "$s1$s2$s3" = 101 ] || fail "round $i: kexec -S -l read $s1 $s2 $s3, expected 1 0 1"
    i=$((i + 1))
done
xen_expect_loaded 1 0
exec_loaded
