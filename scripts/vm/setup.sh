#!/bin/sh
# Prepare everything the QEMU test harness needs on a Debian bookworm machine.
#
#  * installs (if missing): qemu-system-x86 busybox-static cpio python3 binutils
#    (objcopy/objdump build the UKI in mkinitramfs.sh)
#  * downloads WITHOUT installing (apt-get download + dpkg-deb -x) into work/vm-cache/:
#      - the kernel that linux-image-amd64 currently depends on  -> work/vm-cache/vmlinuz
#      - its Xen modules (xen-privcmd, xen-evtchn, xenfs)          -> work/vm-cache/xen-modules/
#      - its efivarfs module (for the EFI facts of the initramfs)  -> work/vm-cache/efi-modules/
#      - OVMF (UEFI firmware for `firmware ovmf` scenarios)         -> work/vm-cache/ovmf/OVMF_*_4M*.fd
#      - Debian's Xen 4.17 hypervisor, gunzipped                 -> work/vm-cache/xen/xen.elf
#      - kexec-tools (the peer)                                  -> work/vm-cache/kexec-tools/kexec
#        plus every shared library its kexec needs (by ldd)      -> work/vm-cache/kexec-tools/lib/
#      - systemd-boot-efi's UKI stub                             -> work/vm-cache/systemd-boot/linuxx64.efi.stub
#
# Idempotent: a second run with everything cached does no network access.
# Environment: KERNEL_PKG=linux-image-... to pin another kernel package;
#              KERNEL_SUITE=sid (or trixie, ...) also fetches that suite's kernel and efivarfs.ko
#              into work/vm-cache/suite-SUITE/ (scripts/vm/fetch-kernel.sh), for the images
#              that mkinitramfs.sh etc. build with the same KERNEL_SUITE.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/work/vm-cache"
mkdir -p "$CACHE/debs"

log() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

APT_UPDATED=0
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    log "apt-get update"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq || die "apt-get update failed"
    else
        log "not root: skipping apt-get update (using existing package lists)"
    fi
    APT_UPDATED=1
}

# ---------------------------------------------------------------- host tools
missing=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in qemu-system-x86 busybox-static cpio python3 binutils; do
    have_pkg "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "need root to install:$missing"
    apt_update_once
    log "apt-get install -y$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing || die "apt-get install failed"
else
    log "host packages present (qemu-system-x86 busybox-static cpio python3 binutils)"
fi

# apt-get download helper: download package $1 into $CACHE/debs (cached), print the .deb path
fetch_deb() {
    pkg=$1
    # reuse any cached version of this package
    deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | sort | tail -n 1 || true)
    if [ -z "$deb" ]; then
        ( cd "$CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" ) >&2 || {
            apt_update_once >&2
            ( cd "$CACHE/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" ) >&2 || die "apt-get download $pkg failed"
        }
        deb=$(ls "$CACHE/debs/${pkg}_"*.deb | sort | tail -n 1)
    fi
    echo "$deb"
}

# ---------------------------------------------------------------- kernel
if [ -n "${KERNEL_PKG:-}" ]; then
    kpkg=$KERNEL_PKG
else
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    if [ -z "$kpkg" ]; then
        apt_update_once
        kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    fi
    if [ -z "$kpkg" ]; then
        # offline and no package lists: fall back on whatever is cached
        kpkg=$(ls -d "$CACHE"/kernel/linux-image-* 2>/dev/null | tail -n 1 | xargs -r basename)
    fi
    [ -n "$kpkg" ] || die "cannot determine the kernel package (apt-cache depends linux-image-amd64)"
fi
kdir="$CACHE/kernel/$kpkg"
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
if [ -z "$vmlinuz" ]; then
    log "downloading $kpkg"
    deb=$(fetch_deb "$kpkg")
    rm -rf "$kdir.tmp"; mkdir -p "$kdir.tmp"
    # only boot/ is needed; extract everything (dpkg-deb has no path filter) then prune modules
    dpkg-deb -x "$deb" "$kdir.tmp"
    rm -rf "$kdir.tmp/lib/modules" "$kdir.tmp/usr"
    rm -rf "$kdir"; mv "$kdir.tmp" "$kdir"
    vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
    # the .deb is large (~70 MB); the extracted bzImage is all we keep
    rm -f "$deb"
fi
ln -sfn "kernel/$kpkg/boot/$(basename "$vmlinuz")" "$CACHE/vmlinuz"
log "kernel: $vmlinuz ($(wc -c < "$vmlinuz") bytes)"

# ---------------------------------------------------------------- modules; Xen (dom0 scenarios)
# The three modules a PV dom0 needs for /dev/xen/privcmd, /dev/xen/hypercall and /proc/xen,
# from the same kernel package (Debian builds them as modules), and Debian's Xen 4.17
# hypervisor, gunzipped to the multiboot ELF that QEMU's -kernel boots.
# efivarfs is a module too (no dependencies): the initramfs insmod it to read EFI variables;
# so is dummy (a network interface to take down and bring back: exec-returns).
# Each set has its own marker, so a cache made before a set existed gets it on the next run.
XM="$kdir/xen-modules"
EM="$kdir/efi-modules"
NM="$kdir/net-modules"
if [ ! -e "$XM/.complete" ] || [ ! -e "$EM/.complete" ] || [ ! -e "$NM/.complete" ]; then
    log "extracting the Xen and EFI modules of $kpkg"
    deb=$(fetch_deb "$kpkg")
    rm -rf "$kdir.xtmp"; mkdir -p "$kdir.xtmp" "$XM" "$EM" "$NM"
    dpkg-deb -x "$deb" "$kdir.xtmp"
    for m in xen-privcmd.ko xen-evtchn.ko xenfs/xenfs.ko; do
        f=$(ls "$kdir.xtmp"/lib/modules/*/kernel/drivers/xen/$m 2>/dev/null | head -n 1)
        [ -n "$f" ] || die "$kpkg has no drivers/xen/$m"
        cp "$f" "$XM/"
    done
    f=$(ls "$kdir.xtmp"/lib/modules/*/kernel/fs/efivarfs/efivarfs.ko 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "$kpkg has no fs/efivarfs/efivarfs.ko"
    cp "$f" "$EM/"
    f=$(ls "$kdir.xtmp"/lib/modules/*/kernel/drivers/net/dummy.ko 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "$kpkg has no drivers/net/dummy.ko"
    cp "$f" "$NM/"
    rm -rf "$kdir.xtmp"
    rm -f "$deb"
    touch "$XM/.complete" "$EM/.complete" "$NM/.complete"
fi
ln -sfn "kernel/$kpkg/xen-modules" "$CACHE/xen-modules"
ln -sfn "kernel/$kpkg/efi-modules" "$CACHE/efi-modules"
ln -sfn "kernel/$kpkg/net-modules" "$CACHE/net-modules"
XEN="$CACHE/xen"
if [ ! -s "$XEN/xen.elf" ]; then
    log "downloading xen-hypervisor-4.17-amd64"
    deb=$(fetch_deb xen-hypervisor-4.17-amd64)
    rm -rf "$XEN"; mkdir -p "$XEN/root"
    dpkg-deb -x "$deb" "$XEN/root"
    gz=$(ls "$XEN"/root/boot/xen-4.17-amd64.gz 2>/dev/null | head -n 1)
    [ -n "$gz" ] || die "no boot/xen-4.17-amd64.gz in $deb"
    gunzip -c "$gz" > "$XEN/xen.elf.new"
    [ "$(head -c 4 "$XEN/xen.elf.new" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$gz is not an ELF image"
    mv "$XEN/xen.elf.new" "$XEN/xen.elf"
    rm -rf "$XEN/root"
fi
log "xen: $XEN/xen.elf ($(wc -c < "$XEN/xen.elf") bytes); modules: $(ls "$XM" | tr '\n' ' ')"

# ---------------------------------------------------------------- kexec-tools (peer)
KT="$CACHE/kexec-tools"
if [ ! -x "$KT/kexec" ] || [ ! -e "$KT/lib/.complete" ]; then
    log "downloading kexec-tools and its Xen libraries"
    rm -rf "$KT"; mkdir -p "$KT/root" "$KT/lib"
    deb=$(fetch_deb kexec-tools)
    dpkg-deb -x "$deb" "$KT/root"
    bin=""
    for c in "$KT/root/sbin/kexec" "$KT/root/usr/sbin/kexec"; do [ -x "$c" ] && bin=$c && break; done
    [ -n "$bin" ] || die "no sbin/kexec in $deb"
    # library packages kexec-tools depends on directly, and every libxen* package below them
    # (libxenmisc pulls in libxencall1, libxentoollog1, ...), except libc6 (the host's, same release)
    deps="--no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances"
    direct=$(apt-cache depends $deps kexec-tools 2>/dev/null | awk '/Depends: lib/ {print $2}')
    xen=$(apt-cache depends --recurse $deps kexec-tools 2>/dev/null | grep '^libxen' || true)
    for lp in $(printf '%s\n' $direct $xen | grep -v '^libc6$' | sort -u); do
        ldeb=$(fetch_deb "$lp")
        dpkg-deb -x "$ldeb" "$KT/root"
    done
    # Resolve the binary's libraries with ldd, extracted libraries first; pull in the package of
    # any library that is still missing from the second level of dependencies.
    libpath="$KT/root/lib/x86_64-linux-gnu:$KT/root/usr/lib/x86_64-linux-gnu"
    for round in 1 2 3; do
        notfound=$(LD_LIBRARY_PATH="$libpath" ldd "$bin" | awk '/not found/ {print $1}')
        [ -z "$notfound" ] && break
        for so in $notfound; do
            # libfoo.so.1 -> a dependency package named libfoo1 / libfoo-1 / libfoo.so.1's owner
            cand=$(echo "$so" | sed -e 's/\.so\./ /' -e 's/\.so$//' | awk '{print $1 $2}')
            log "library $so not found; trying package $cand"
            ldeb=$(fetch_deb "$cand") && dpkg-deb -x "$ldeb" "$KT/root"
        done
    done
    out=$(LD_LIBRARY_PATH="$libpath" ldd "$bin")
    log "ldd of the extracted kexec:"; echo "$out" >&2
    echo "$out" | grep -q 'not found' && die "unresolved libraries for kexec-tools:
$out"
    cp "$bin" "$KT/kexec"
    echo "$out" | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' | while read -r so; do
        cp -L "$so" "$KT/lib/$(basename "$so")"
    done
    [ -e "$KT/lib/ld-linux-x86-64.so.2" ] || die "ldd did not report ld-linux-x86-64.so.2"
    touch "$KT/lib/.complete"
fi
log "kexec-tools: $KT/kexec; libraries: $(ls "$KT/lib" | tr '\n' ' ')"

# ---------------------------------------------------------------- systemd-boot stub (uki-* scenarios)
# Debian's EFI stub for unified kernel images; mkinitramfs.sh adds the kernel, the second
# initramfs and a command line to it with objcopy.
SB="$CACHE/systemd-boot"
if [ ! -s "$SB/linuxx64.efi.stub" ]; then
    log "downloading systemd-boot-efi"
    deb=$(fetch_deb systemd-boot-efi)
    rm -rf "$SB"; mkdir -p "$SB/root"
    dpkg-deb -x "$deb" "$SB/root"
    stub="$SB/root/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
    [ -s "$stub" ] || die "no usr/lib/systemd/boot/efi/linuxx64.efi.stub in $deb"
    cp "$stub" "$SB/linuxx64.efi.stub.new"
    mv "$SB/linuxx64.efi.stub.new" "$SB/linuxx64.efi.stub"
    basename "$deb" > "$SB/package"
    rm -rf "$SB/root"
fi
log "systemd-boot stub: $SB/linuxx64.efi.stub ($(cat "$SB/package" 2>/dev/null || echo '?'), $(wc -c < "$SB/linuxx64.efi.stub") bytes)"

# ---------------------------------------------------------------- OVMF (`firmware ovmf` scenarios)
# Debian's UEFI firmware for QEMU: CODE is mapped read-only, each guest gets a copy of VARS
# (run.py). The secboot CODE and the VARS with Microsoft's keys enrolled are for Secure Boot.
OVMF="$CACHE/ovmf"
if [ ! -s "$OVMF/OVMF_CODE_4M.fd" ] || [ ! -s "$OVMF/OVMF_VARS_4M.fd" ]; then
    log "downloading ovmf"
    deb=$(fetch_deb ovmf)
    rm -rf "$OVMF"; mkdir -p "$OVMF/root"
    dpkg-deb -x "$deb" "$OVMF/root"
    for fd in OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.ms.fd OVMF_VARS_4M.fd OVMF_CODE_4M.fd; do
        if [ -s "$OVMF/root/usr/share/OVMF/$fd" ]; then cp "$OVMF/root/usr/share/OVMF/$fd" "$OVMF/"; fi
    done
    # CODE last: its presence (with VARS) marks the cache complete
    [ -s "$OVMF/OVMF_VARS_4M.fd" ] && [ -s "$OVMF/OVMF_CODE_4M.fd" ] || die "no usr/share/OVMF/OVMF_{CODE,VARS}_4M.fd in $deb"
    basename "$deb" > "$OVMF/package"
    rm -rf "$OVMF/root"
fi
log "ovmf: $OVMF ($(cat "$OVMF/package" 2>/dev/null || echo '?')): $(ls "$OVMF" | grep '\.fd$' | tr '\n' ' ')"

# ---------------------------------------------------------------- another suite's kernel
# Only when asked: the rest (kexec-tools, OVMF, the UKI stub, Xen) stays Debian 12's.
if [ -n "${KERNEL_SUITE:-}" ]; then
    sh "$ROOT/scripts/vm/fetch-kernel.sh" "$KERNEL_SUITE" || die "fetch-kernel.sh $KERNEL_SUITE failed"
fi
log "done"
