#!/bin/sh
# The Debian guest's test driver (scripts/vm/debian-guest.py). debguest.service runs it at every
# boot of the guest's own kernel (not in kdump-tools' capture boot), from the read-only disk
# labelled DEBGUEST, with its output on ttyS0. The stage it is at is kept on the root disk.
#
#   stage 1  install swift-kexec's .deb over kexec-tools; restart kdump-tools; reboot
#   stage 2  kdump-tools loaded the capture kernel at boot with swift-kexec; panic
#            (kdump-tools' capture boot saves the dump into /var/crash and reboots)
#   stage 3  the dump is there and readable; systemctl kexec with nothing loaded: systemd
#            loads the boot loader entry's kernel itself ("kexec --load K --append X --initrd I")
#   stage 4  this kernel came through kexec, with the entry's options; dpkg -r swift-kexec gives
#            kexec-tools' /sbin/kexec back and kdump-tools loads with it; PASS; power off
#
# Every line the host reads starts with "DEBIAN-GUEST: "; "DEBIAN-GUEST: FAIL: why" ends the
# test (the guest powers off), "DEBIAN-GUEST: PASS" is the last line of a good run.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C
D=$(dirname "$0")
S=/var/lib/debguest
CRASH_RECORD=/run/kexec.crash
mkdir -p "$S"

say() { echo "DEBIAN-GUEST: $*"; }
# show a command's output, each line indented under a marker
show() { label=$1; shift; "$@" 2>&1 | sed "s|^|DEBIAN-GUEST:   $label: |"; }
fail() {
    say "FAIL: $*"
    show journal journalctl -b --no-pager -n 40 -o short-monotonic
    sync
    systemctl --no-block poweroff
    exit 1
}
check() { what=$1; shift; if "$@"; then say "ok: $what"; else fail "$what"; fi; }
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

stage=$(cat "$S/stage" 2>/dev/null || echo 1)
boot=$(( $(cat "$S/boots" 2>/dev/null || echo 0) + 1 ))
echo "$boot" > "$S/boots"
say "boot $boot: stage $stage, kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s, systemd $(systemctl is-system-running 2>/dev/null)"
say "cmdline: $(cat /proc/cmdline)"
[ "$boot" -le 5 ] || fail "boot $boot: more boots than the stages need"
[ -f "$D/token" ] && say "token: $(cat "$D/token")"

# kdump-tools has the capture kernel loaded, and swift-kexec loaded it: its record of the last
# -p (/run/kexec.crash, tmpfs: this boot's), written no earlier than $1 (seconds since the
# epoch), names kdump-tools' kernel and initrd.
kdump_loaded_by_us() {
    since=$1
    check "kdump-tools.service is active" systemctl -q is-active kdump-tools.service
    show "kdump-config status" kdump-config status
    check "kdump-config status: ready to kdump" sh -c 'kdump-config status | grep -q "ready to kdump"'
    check "/sys/kernel/kexec_crash_loaded is 1" grep -qx 1 /sys/kernel/kexec_crash_loaded
    check "swift-kexec's crash record $CRASH_RECORD exists" test -s "$CRASH_RECORD"
    t=$(stat -c %Y "$CRASH_RECORD")
    check "the crash record is from this load ($t >= $since)" test "$t" -ge "$since"
    check "the record's kernel is /var/lib/kdump/vmlinuz" \
        grep -qx "kernel $(hex /var/lib/kdump/vmlinuz)" "$CRASH_RECORD"
    check "the record's initrd is /var/lib/kdump/initrd.img" \
        grep -qx "initrd $(hex /var/lib/kdump/initrd.img)" "$CRASH_RECORD"
    show "kexec command recorded by kdump-config" cat /var/crash/kexec_cmd
}

ours() { /sbin/kexec --version 2>&1 | grep -q '^swift-kexec '; }

case "$stage" in
1)
    say "stage 1: install swift-kexec over kexec-tools"
    show "before" kdump-config status
    show "/etc/default/kdump-tools" grep -v -e '^#' -e '^$' /etc/default/kdump-tools
    show "/etc/default/kexec" grep -v -e '^#' -e '^$' /etc/default/kexec
    check "USE_KDUMP=1 (kdump-tools' debconf default)" grep -qx 'USE_KDUMP=1' /etc/default/kdump-tools
    check "/sbin/kexec is kexec-tools' before the install" sh -c '/sbin/kexec --version | grep -q kexec-tools'
    md5sum /etc/default/kdump-tools /etc/default/kexec > "$S/configs.md5"
    deb=$(ls "$D"/swift-kexec_*.deb | tail -n 1)
    check "dpkg -i $(basename "$deb")" sh -c "dpkg -i '$deb' > $S/dpkg.log 2>&1"
    show dpkg cat "$S/dpkg.log"
    show "dpkg-divert --list" sh -c 'dpkg-divert --list | grep swift-kexec'
    check "3 diversions by swift-kexec" test "$(dpkg-divert --list | grep -c 'by swift-kexec')" = 3
    check "/usr/sbin/kexec is diverted to kexec.kexec-tools" \
        test "$(dpkg-divert --truename /usr/sbin/kexec)" = /usr/sbin/kexec.kexec-tools
    show "kexec --version" kexec --version
    check "kexec --version says swift-kexec" ours
    show "kexec.kexec-tools --version" /usr/sbin/kexec.kexec-tools --version
    check "kexec-tools stays installed" sh -c "dpkg-query -W -f='\${Status}' kexec-tools | grep -qx 'install ok installed'"
    check "kdump-tools stays installed" sh -c "dpkg-query -W -f='\${Status}' kdump-tools | grep -qx 'install ok installed'"
    check "configuration files unchanged by the install" md5sum --quiet -c "$S/configs.md5"
    since=$(date +%s)
    say "systemctl restart kdump-tools"
    show "restart" systemctl restart kdump-tools.service
    show "journal" journalctl -b --no-pager -o cat -u kdump-tools.service -n 12
    kdump_loaded_by_us "$since"
    echo 2 > "$S/stage"
    sync
    say "stage 1 PASS; systemctl reboot"
    systemctl --no-block reboot
    ;;
2)
    say "stage 2: kdump-tools at boot, then a panic"
    check "a cold boot (no kexec marker on the command line)" sh -c '! grep -q debguest_kexec /proc/cmdline'
    check "/sbin/kexec is swift-kexec" ours
    # kexec-load.service (kexec-tools' kexec-load init script, LOAD_KEXEC=true by debconf's
    # default) ran swift-kexec's -l during the reboot; systemd's reboot stays a cold one.
    if [ -d /var/log/journal ]; then
        show "previous boot's kexec-load" journalctl -b -1 --no-pager -o cat -u kexec-load.service
        check "kexec-load loaded a kernel at the reboot" \
            sh -c 'journalctl -b -1 --no-pager -o cat -u kexec-load.service | grep -q "Loading new kernel image into memory...done"'
    else
        say "skipped: kexec-load at the reboot (no persistent journal)"
    fi
    kdump_loaded_by_us 0
    echo 3 > "$S/stage"
    sync
    say "stage 2 PASS; triggering a panic: echo c > /proc/sysrq-trigger"
    sleep 1
    echo c > /proc/sysrq-trigger
    fail "still running after the sysrq crash"
    ;;
3)
    say "stage 3: the dump, then systemctl kexec"
    dir=$(ls -d /var/crash/2*/ 2>/dev/null | tail -n 1)
    show "ls /var/crash" ls -lR /var/crash
    check "kdump-tools saved a dump directory under /var/crash" test -n "$dir"
    dump=$(ls "$dir"dump.* 2>/dev/null | head -n 1)
    dmesgf=$(ls "$dir"dmesg.* 2>/dev/null | head -n 1)
    check "$dir has dump.* (not kdump-config's cp fallback)" test -s "$dump"
    check "$dir has dmesg.*" test -s "$dmesgf"
    say "dump size: $(stat -c %s "$dump") bytes ($dump); dmesg: $(stat -c %s "$dmesgf") bytes"
    check "dmesg.* has the sysrq crash" grep -q 'sysrq: Trigger a crash' "$dmesgf"
    check "dmesg.* has the panic" grep -q 'Kernel panic - not syncing' "$dmesgf"
    # the dump itself is readable: makedumpfile rearranges kdump-config's flattened (-F) file
    # into a kdump-compressed one and reads the log out of it
    check "makedumpfile -R rearranges the flattened dump" sh -c "makedumpfile -R /var/tmp/dump.kdump < '$dump' > $S/mdf.log 2>&1"
    check "makedumpfile --dump-dmesg reads the dump" sh -c "makedumpfile --dump-dmesg /var/tmp/dump.kdump /var/tmp/dump.dmesg >> $S/mdf.log 2>&1"
    show makedumpfile tail -n 3 "$S/mdf.log"
    check "the dump's log has the sysrq crash" grep -q 'sysrq: Trigger a crash' /var/tmp/dump.dmesg
    show "the dump's log" grep -m 3 -e 'sysrq: Trigger a crash' -e 'Kernel panic' -e 'RIP:' /var/tmp/dump.dmesg
    say "the dump's log: $(wc -l < /var/tmp/dump.dmesg) lines; rearranged dump $(stat -c %s /var/tmp/dump.kdump) bytes"
    rm -f /var/tmp/dump.kdump
    check "/sbin/kexec is swift-kexec" ours
    kdump_loaded_by_us 0
    check "no kernel loaded for kexec yet" grep -qx 0 /sys/kernel/kexec_loaded
    # A Boot Loader Specification entry where systemd looks when it has no ESP to search:
    # /run/boot-loader-entries/ (as if it were an ESP; the paths in the entry are relative to
    # it). With nothing loaded, `systemctl kexec` loads the default entry itself by running
    # `/sbin/kexec --load KERNEL --append OPTIONS --initrd INITRD`, then asks for the kexec.
    E=/run/boot-loader-entries
    mkdir -p "$E/loader/entries"
    ln -sf "$(readlink -f /vmlinuz)" "$E/vmlinuz"
    ln -sf "$(readlink -f /initrd.img)" "$E/initrd.img"
    options="$(sed -e 's/^BOOT_IMAGE=[^ ]* //' /proc/cmdline) debguest_kexec=1 debguest_loader=systemd"
    printf 'title Debian guest (loaded by systemctl kexec)\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
        "$options" > "$E/loader/entries/debguest.conf"
    show "boot loader entry" cat "$E/loader/entries/debguest.conf"
    show "systemctl kexec --dry-run" systemctl kexec --dry-run
    cat /proc/sys/kernel/random/boot_id > "$S/boot_id"
    echo 4 > "$S/stage"
    sync
    say "stage 3 PASS; systemctl kexec (systemd loads the entry)"
    show "systemctl kexec" systemctl --no-block kexec
    check "systemctl kexec loaded a kernel (/sys/kernel/kexec_loaded is 1)" grep -qx 1 /sys/kernel/kexec_loaded
    ;;
4)
    say "stage 4: the kernel that systemctl kexec started"
    check "this kernel came through kexec (debguest_kexec=1 on its command line)" grep -q 'debguest_kexec=1' /proc/cmdline
    check "systemd loaded it from the boot loader entry (debguest_loader=systemd)" grep -q 'debguest_loader=systemd' /proc/cmdline
    check "a new boot (boot_id changed)" test "$(cat /proc/sys/kernel/random/boot_id)" != "$(cat "$S/boot_id")"
    show "previous boot's systemctl kexec" sh -c 'journalctl -b -1 --no-pager -o cat | grep -m 2 -e "kexec --load" -e "kexec -l"'
    check "/sbin/kexec is swift-kexec" ours
    kdump_loaded_by_us 0
    say "dpkg -r swift-kexec"
    check "dpkg -r swift-kexec" sh -c "dpkg -r swift-kexec > $S/dpkg-r.log 2>&1"
    show dpkg cat "$S/dpkg-r.log"
    check "no diversions by swift-kexec are left" test "$(dpkg-divert --list | grep -c 'by swift-kexec')" = 0
    check "/sbin/kexec is kexec-tools' again" sh -c '/sbin/kexec --version | grep -q kexec-tools'
    check "no /usr/sbin/kexec.kexec-tools is left" test ! -e /usr/sbin/kexec.kexec-tools
    check "kexec(8) is kexec-tools' again" sh -c '! zcat /usr/share/man/man8/kexec.8.gz | grep -qi swift-kexec'
    check "configuration files unchanged by install and removal" md5sum --quiet -c "$S/configs.md5"
    say "systemctl restart kdump-tools (with kexec-tools)"
    show "restart" systemctl restart kdump-tools.service
    check "kdump-config status: ready to kdump (kexec-tools loaded it)" sh -c 'kdump-config status | grep -q "ready to kdump"'
    check "/sys/kernel/kexec_crash_loaded is 1" grep -qx 1 /sys/kernel/kexec_crash_loaded
    echo done > "$S/stage"
    sync
    say "PASS"
    systemctl --no-block poweroff
    ;;
*)
    fail "unexpected stage '$stage'"
    ;;
esac
exit 0
