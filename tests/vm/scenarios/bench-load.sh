# Load time with the 64 MiB initrd: alternate ours (/bin/kexec), the peer (/bin/kexec-tools,
# Debian 12's 2.0.25) and, when the image has it, the second peer (/bin/kexec-tools-2.0.32,
# Debian sid's), BENCH_RUNS times each, kexec_load (-c) with purgatory checks; prints
# "BENCH ours|peer|peer32 SECONDS".
# A variant defines load_image BINARY before sourcing this file (bench-multiboot).
. /scenarios/lib.sh
command -v load_image > /dev/null || load_image() {
    "$1" -c -l "$KERNEL" --initrd="$INITRD" --append="$SECOND_APPEND"
}
N=${BENCH_RUNS:-5}
OURS=${BENCH_OURS:-/bin/kexec}
PEER=${BENCH_PEER:-/bin/kexec-tools}
PEER32=${BENCH_PEER32:-/bin/kexec-tools-2.0.32}
whos="ours peer"
[ -x "$PEER32" ] && whos="$whos peer32" || echo "BENCH-SKIP peer32 ($PEER32 missing)"
INITRD=${BENCH_INITRD:-/boot/big-initrd}
echo "SCENARIO-STEP clock: $( [ -r /proc/timer_list ] && echo timer_list || echo uptime)"
[ -e "$INITRD" ] && echo "SCENARIO-STEP initrd $INITRD: $(stat -c %s "$INITRD") bytes"
i=1
while [ "$i" -le "$N" ]; do
    for who in $whos; do
        case $who in ours) bin=$OURS ;; peer) bin=$PEER ;; *) bin=$PEER32 ;; esac
        if [ ! -x "$bin" ]; then
            echo "BENCH-SKIP $who ($bin missing)"
            continue
        fi
        t0=$(now_ns)
        load_image "$bin"
        rc=$?
        t1=$(now_ns)
        [ "$rc" -eq 0 ] || fail "$who load #$i failed with status $rc"
        echo "BENCH $who $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
        "$bin" -u || fail "$who unload failed"
    done
    i=$((i + 1))
done
step "clock overhead"
t0=$(now_ns); t1=$(now_ns)
echo "BENCH-CLOCK-OVERHEAD $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
