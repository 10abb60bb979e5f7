#!/bin/bash
# A Debian 12 (bookworm) systemd guest disk for scripts/vm/debian-guest.py: kexec-tools,
# kdump-tools and makedumpfile installed the way a user installs them, every configuration
# file as their packages (and debconf's defaults) leave it.
#
#   scripts/vm/mkdebian.sh      -> work/debian/root.img   ext4, the whole root file system
#                                  work/debian/vmlinuz    the image's /boot/vmlinuz-KVER
#                                  work/debian/initrd.img the image's /boot/initrd.img-KVER
#                                  work/debian/release    KVER
#
# No loop mount: debootstrap into a directory (work/debian/rootfs, removed afterwards), then
# `mkfs.ext4 -d` copies it into the image. The image is cached under a key of this script's
# contents (work/debian/key): a rerun with the same script does nothing. DEBIAN_OUT=DIR
# builds elsewhere.
#
# Safety: nothing here may load or execute a kernel on the build machine. Every command that
# runs the packages' maintainer scripts (debootstrap, chroot) runs under strace, which fails
# kexec_load, kexec_file_load and reboot with EPERM; /usr/sbin/policy-rc.d (exit 101) keeps
# the init scripts (kdump-tools, kexec-load) from starting, and without /run/systemd/system
# deb-systemd-invoke starts nothing either.
#
# The mirror is the one the host's apt sources name for its own release (apt-get indextargets).
#
# What the image adds to the packages' defaults (none of it a kexec or kdump setting):
#  * /etc/fstab (root on /dev/vda), host name, an empty root password;
#  * serial-getty@ttyS0 masked: the test driver owns the serial console;
#  * debguest.service (multi-user.target): mounts the disk labelled DEBGUEST that the runner
#    attaches and runs its driver.sh, output on ttyS0. Not in the capture kernel's boot
#    (kdump-tools boots that into kdump-tools-dump.service; /proc/vmcore exists there anyway).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${DEBIAN_OUT:-$ROOT/work/debian}
SUITE=bookworm
# procps: kdump-config sets its panic sysctls with sysctl(8)
PACKAGES="systemd systemd-sysv udev kmod procps initramfs-tools linux-image-amd64 kexec-tools kdump-tools makedumpfile"

log() { echo "mkdebian: $*"; }
die() { echo "mkdebian: ERROR: $*" >&2; exit 1; }

key=$(sha256sum < "$0" | cut -c1-16)
if [ -s "$OUT/root.img" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] &&
   [ "$(cat "$OUT/key" 2>/dev/null)" = "$key" ]; then
    log "cached: $OUT/root.img ($(cat "$OUT/release"), key $key)"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"

# ---------------------------------------------------------------- host tools
need=""
for p in debootstrap e2fsprogs strace; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
    log "apt-get install$need"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi

# ---------------------------------------------------------------- mirror
# The host's sources for SUITE, SUITE-updates and SUITE-security (main): debootstrap takes SUITE's,
# the image's apt all of them, so that its kernel is the one scripts/vm/setup.sh downloads.
targets() {
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
        awk -v r="$SUITE" '($2 == r || $2 == r "-updates" || $2 == r "-security") && $3 == "main" { print $1, $2 }' |
        sort -u
}
sources=$(targets)
[ -n "$sources" ] || { apt-get update -qq; sources=$(targets); }
uri=$(echo "$sources" | awk -v r="$SUITE" '$2 == r { print $1; exit }')
[ -n "$uri" ] || die "no '$SUITE main' source in the host's apt configuration"

# ---------------------------------------------------------------- safety belt
# strace fails these system calls with EPERM for the traced command and all its children.
belt() {
    strace -f --seccomp-bpf -e trace=kexec_load,kexec_file_load,reboot \
        -e inject=kexec_load,kexec_file_load,reboot:error=EPERM -o /dev/null "$@"
}
belt true || die "strace cannot inject errors here (the safety belt)"

rootfs=$OUT/rootfs
mounted=""
cleanup() {
    for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
in_root() {
    belt chroot "$rootfs" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        LC_ALL=C.UTF-8 HOME=/root "$@"
}

start=$(date +%s)
mkdir -p "$OUT"
rm -f "$OUT/key"
[ -d "$rootfs" ] && { umount -l "$rootfs/proc" 2>/dev/null || true; rm -rf "$rootfs"; }
# no service may start while the image is built: debootstrap puts one in for its own run (and
# removes it afterwards); this one is there before it and for the chroot's apt-get
policy_rc_d() {
    mkdir -p "$rootfs/usr/sbin"
    printf '#!/bin/sh\n# no service starts while the image is built (mkdebian.sh)\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
}
policy_rc_d

log "debootstrap $SUITE (minbase) from the host's mirror"
belt debootstrap --variant=minbase --merged-usr "$SUITE" "$rootfs" "$uri" > "$OUT/debootstrap.log" 2>&1 ||
    { tail -n 30 "$OUT/debootstrap.log" >&2; die "debootstrap failed ($OUT/debootstrap.log)"; }
log "debootstrap: $(( $(date +%s) - start )) s"
policy_rc_d

echo "$sources" | awk '{ print "deb", $1, $2, "main" }' > "$rootfs/etc/apt/sources.list"
mount -t proc proc "$rootfs/proc"; mounted="$rootfs/proc"
in_root apt-get update -q > "$OUT/apt-update.log" 2>&1 ||
    { tail -n 30 "$OUT/apt-update.log" >&2; die "apt-get update in the image failed"; }
# One apt-get run, no initramfs during it (INITRD=No: the kernel hooks of initramfs-tools and
# kdump-tools skip it), then one initramfs for the image's kernel. kdump-tools' own initramfs
# (MODULES=dep) needs the guest's devices: the guest makes it at its first `kdump-config load`
# (kdump-tools.service at boot), as on a machine where kdump-tools was installed after the kernel.
log "apt-get install $PACKAGES"
in_root INITRD=No apt-get install -y -q --no-install-recommends $PACKAGES > "$OUT/apt.log" 2>&1 ||
    { tail -n 30 "$OUT/apt.log" >&2; die "installing $PACKAGES failed"; }
release=$(ls "$rootfs/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
[ -n "$release" ] || die "no /boot/vmlinuz-* in the image"
in_root update-initramfs -c -k "$release" > "$OUT/initramfs.log" 2>&1 ||
    { tail -n 30 "$OUT/initramfs.log" >&2; die "update-initramfs failed"; }
# /vmlinuz and /initrd.img (kexec-load's KERNEL_IMAGE and INITRD): the kernel's postinst made
# only the first, the initramfs being missing then; the same tool makes both now
in_root linux-update-symlinks install "$release" "/boot/vmlinuz-$release"
[ -e "$rootfs/initrd.img" ] && [ -e "$rootfs/vmlinuz" ] || die "no /vmlinuz or /initrd.img in the image"
in_root apt-get clean
umount "$rootfs/proc"; mounted=""
log "packages: $(( $(date +%s) - start )) s"

# ---------------------------------------------------------------- the guest's own files
[ -s "$rootfs/boot/initrd.img-$release" ] || die "no /boot/initrd.img-$release in the image"
rm -f "$rootfs/usr/sbin/policy-rc.d"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$rootfs/etc/fstab"
echo debguest > "$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 debguest\n' > "$rootfs/etc/hosts"
sed -i 's/^root:[^:]*:/root::/' "$rootfs/etc/shadow"
: > "$rootfs/etc/machine-id"
ln -sfn /dev/null "$rootfs/etc/systemd/system/serial-getty@ttyS0.service"
cat > "$rootfs/usr/local/sbin/debguest-start" <<'EOF'
#!/bin/sh
# Runs the test driver from the disk labelled DEBGUEST (scripts/vm/debian-guest.py attaches it).
mkdir -p /run/debguest
if ! mount -o ro LABEL=DEBGUEST /run/debguest; then
    echo "DEBIAN-GUEST: FAIL: no test disk labelled DEBGUEST"
    exit 1
fi
exec /bin/sh /run/debguest/driver.sh
EOF
chmod 755 "$rootfs/usr/local/sbin/debguest-start"
cat > "$rootfs/etc/systemd/system/debguest.service" <<'EOF'
[Unit]
Description=swift-kexec Debian guest test driver
After=kdump-tools.service kexec-load.service systemd-user-sessions.service
ConditionPathExists=!/proc/vmcore

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/debguest-start
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=0

[Install]
WantedBy=multi-user.target
EOF
ln -sfn /etc/systemd/system/debguest.service "$rootfs/etc/systemd/system/multi-user.target.wants/debguest.service"

cp "$rootfs/boot/vmlinuz-$release" "$OUT/vmlinuz.new"
cp "$rootfs/boot/initrd.img-$release" "$OUT/initrd.img.new"

# ---------------------------------------------------------------- the disk
used_mb=$(du -sm "$rootfs" | cut -f1)
size_mb=$(( used_mb + 1536 ))
rm -f "$OUT/root.img.new"
truncate -s "${size_mb}M" "$OUT/root.img.new"
mkfs.ext4 -q -F -L debroot -d "$rootfs" "$OUT/root.img.new" || die "mkfs.ext4 -d failed"
mv "$OUT/root.img.new" "$OUT/root.img"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
echo "$release" > "$OUT/release"
rm -rf "$rootfs"
echo "$key" > "$OUT/key"
log "$OUT/root.img: ${size_mb} MB (${used_mb} MB used), kernel $release, $(( $(date +%s) - start )) s in all"
