# kdump-hotplug: -c -p (kexec_load, our purgatory), then 256 MiB of memory are hot-added
# through QEMU's monitor, then a panic. The kernel rewrites our ELF core header on the change
# (KEXEC_UPDATE_ELFCOREHDR), so the dump covers the new memory. (A CPU hot-added the same way
# never appeared in 7.2 under TCG: "ACPI: Unable to map lapic to logical cpu number", also with
# possible_cpus=2; so CPUs are not part of this scenario.) HOTPLUG_OPT=--no-hotplug (run.py --env)
# shows what happens without: the dump ends below 4 GiB and the scenario fails.
. /scenarios/lib.sh
CAPTURE_APPEND="console=ttyS0 quiet panic=-1 nr_cpus=1 irqpoll reset_devices swiftkexec-token=$TOKEN"
step "reservation"
cat /sys/kernel/kexec_crash_size
"$KEXEC" --print-ckr-size
step "load"
expect_rc 0 "$KEXEC" -c -d -p ${HOTPLUG_OPT:-} "$KERNEL" --initrd=/boot/capture.cpio.gz --append="$CAPTURE_APPEND"
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
expect_crash_loaded 1
crash_now
