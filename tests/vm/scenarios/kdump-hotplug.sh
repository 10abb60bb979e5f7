# kdump-hotplug: -c -p (kexec_load, our purgatory), then 256 MiB of memory and a CPU are
# hot-added through QEMU's monitor, then a panic. The kernel rewrites our ELF core header on
# each change (KEXEC_UPDATE_ELFCOREHDR), so the dump covers the new memory and the new CPU.
. /scenarios/lib.sh
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN"
step "reservation"
cat /sys/kernel/kexec_crash_size
"$KEXEC" --print-ckr-size
step "load"
expect_rc 0 "$KEXEC" -c -d -p "$KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
echo "SCENARIO-CRASH-HOTPLUG memory=$(cat /sys/devices/system/memory/crash_hotplug) cpu=$(cat /sys/devices/system/cpu/crash_hotplug)"
"$KEXEC" --status --json
before=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
step "hot-add memory"
echo "SCENARIO-PLUG-MEMORY"
i=0
while :; do
    # blocks the kernel did not online by itself (memhp_default_state) are onlined here
    for s in /sys/devices/system/memory/memory*/state; do
        [ "$(cat "$s")" = offline ] && echo online > "$s" 2>/dev/null
    done
    now=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
    [ "$now" -gt "$before" ] && break
    i=$((i + 1))
    [ $i -lt 60 ] || fail "MemTotal stayed $before kB after the hot-add"
    sleep 1
done
echo "SCENARIO-MEMORY-ADDED $((now - before)) kB"
grep -i "system ram" /proc/iomem | tail -1
step "hot-add a CPU"
echo "SCENARIO-PLUG-CPU"
i=0
until [ -e /sys/devices/system/cpu/cpu1/online ]; do
    i=$((i + 1))
    [ $i -lt 60 ] || fail "cpu1 did not appear after the hot-add"
    sleep 1
done
[ "$(cat /sys/devices/system/cpu/cpu1/online)" = 1 ] || echo 1 > /sys/devices/system/cpu/cpu1/online
echo "SCENARIO-CPUS-ONLINE $(cat /sys/devices/system/cpu/online)"
expect_crash_loaded 1
crash_now
