# Shared helpers for the scenarios (sourced; runs in the first kernel's busybox sh).
# Markers on the console:  SCENARIO-STEP <what>   SCENARIO-RUN <cmd>   SCENARIO-RC <status>
#                          SCENARIO-FAIL <reason> (then the scenario exits 1)

KEXEC=${KEXEC:-/bin/kexec}
# which load syscall the scenarios use: -c (kexec_load, our purgatory; the default) or -s
SYSCALL=${SYSCALL:--c}
KERNEL=/boot/vmlinuz
SECOND_INITRD=/boot/second.cpio.gz
# the command line handed to the second kernel; TOKEN comes from the host (run.py)
SECOND_APPEND="console=ttyS0 quiet panic=-1 swiftkexec-token=$TOKEN"

step() { echo "SCENARIO-STEP $*"; }
fail() { echo "SCENARIO-FAIL $*"; exit 1; }

# run CMD...: show the command, run it (its output goes to the console), show its status in RC
run() {
    echo "SCENARIO-RUN $*"
    "$@"
    RC=$?
    echo "SCENARIO-RC $RC"
}

# crash_now: the sysrq panic that hands over to the loaded capture kernel
crash_now() {
    step "panic"
    sync
    echo "SCENARIO-PANIC"
    echo c > /proc/sysrq-trigger
    fail "still running after the sysrq crash"
}

# expect_rc STATUS CMD...
expect_rc() {
    want=$1; shift
    run "$@"
    [ "$RC" = "$want" ] || fail "expected exit status $want, got $RC from: $*"
}

# expect_loaded 0|1: both `$KEXEC -S -l` (exit 1 = loaded) and /sys/kernel/kexec_loaded agree
expect_loaded() {
    run "$KEXEC" -S -l
    [ "$RC" = "$1" ] || fail "kexec -S -l: expected exit status $1, got $RC"
    sysfs=$(cat /sys/kernel/kexec_loaded)
    echo "SCENARIO-SYSFS kexec_loaded=$sysfs"
    [ "$sysfs" = "$1" ] || fail "/sys/kernel/kexec_loaded is $sysfs, expected $1"
}

# refused NAME CMD...: run CMD, print its output as HOSTILE-NAME: lines and its status
refused() {
    name=$1; shift
    out=$("$@" 2>&1); rc=$?
    echo "SCENARIO-RC $rc"
    printf '%s\n' "$out" | sed "s/^/HOSTILE-$name: /"
    echo "HOSTILE-$name-LINES: $(printf '%s\n' "$out" | grep -c .)"
}

# expect_crash_loaded 0|1: /sys/kernel/kexec_crash_loaded and `$KEXEC -S` (exit 1 = loaded) agree
expect_crash_loaded() {
    sysfs=$(cat /sys/kernel/kexec_crash_loaded)
    echo "SCENARIO-SYSFS kexec_crash_loaded=$sysfs"
    [ "$sysfs" = "$1" ] || fail "/sys/kernel/kexec_crash_loaded is $sysfs, expected $1"
    run "$KEXEC" -S
    [ "$RC" = "$1" ] || fail "kexec -S: expected exit status $1, got $RC"
}

# exec_loaded: kexec into the loaded image; returning at all is a failure
exec_loaded() {
    step "exec"
    sync
    echo "SCENARIO-EXEC"
    "$KEXEC" -e "$@"
    fail "kexec -e returned (status $?)"
}

# now_ns: monotonic guest time in nanoseconds (busybox date has no %N)
now_ns() {
    if [ -r /proc/timer_list ]; then
        awk '/^now at [0-9]+ nsecs/ { print $3; exit }' /proc/timer_list
    else
        awk '{ printf "%.0f\n", $1 * 1000000000 }' /proc/uptime
    fi
}

# split_time LABEL CMD...: run CMD (output discarded), print "SPLIT LABEL rc=N SECONDS"
split_time() {
    label=$1; shift
    t0=$(now_ns); "$@" > /dev/null; rc=$?; t1=$(now_ns)
    echo "SPLIT $label rc=$rc $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
}
