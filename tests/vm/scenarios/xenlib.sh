# Helpers for the Xen dom0 scenarios (sourced after lib.sh; runs in a PV dom0 booted by Xen).

# xen_setup: load the privcmd/evtchn/xenfs modules (dom0.cpio has them in /xen) and mount
# xenfs, which gives /dev/xen/privcmd, /dev/xen/hypercall and /proc/xen/capabilities.
xen_setup() {
    step "xen setup"
    for m in xen-privcmd xen-evtchn xenfs; do
        insmod "/xen/$m.ko" || fail "insmod $m failed"
    done
    mkdir -p /proc/xen
    mount -t xenfs xenfs /proc/xen || fail "mount -t xenfs failed"
    echo "SCENARIO-XEN type=$(cat /sys/hypervisor/type) guest_type=$(cat /sys/hypervisor/guest_type) caps=$(cat /proc/xen/capabilities) version=$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)"
    [ -c /dev/xen/privcmd ] || fail "/dev/xen/privcmd is missing"
    [ -c /dev/xen/hypercall ] || fail "/dev/xen/hypercall is missing"
}

# xen_expect_loaded DEFAULT CRASH: `-S -l` exits DEFAULT, `-S -p` and `-S` exit CRASH
# (kexec-tools' contract: 1 = loaded). Under Xen there is no sysfs to cross-check.
xen_expect_loaded() {
    run "$KEXEC" -S -l
    [ "$RC" = "$1" ] || fail "kexec -S -l: expected exit status $1, got $RC"
    run "$KEXEC" -S -p
    [ "$RC" = "$2" ] || fail "kexec -S -p: expected exit status $2, got $RC"
    run "$KEXEC" -S
    [ "$RC" = "$2" ] || fail "kexec -S: expected exit status $2, got $RC"
    echo "SCENARIO-XEN-STATUS default=$1 crash=$2"
}
