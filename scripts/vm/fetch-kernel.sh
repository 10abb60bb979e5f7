#!/bin/sh
# Download (never install) the current kernel of another Debian suite for the QEMU harness:
#
#   scripts/vm/fetch-kernel.sh [SUITE]     SUITE: sid (default, or $KERNEL_SUITE), trixie,
#                                          trixie-backports, ...
#
#  * a private apt configuration in work/vm-cache/apt-SUITE/ (its own sources.list, lists and
#    cache): the same mirror as the host's own apt sources, with suite SUITE; the host's apt
#    state is not touched
#  * the kernel that SUITE's linux-image-amd64 depends on, pinned at the first run to its exact
#    package and version in work/vm-cache/apt-SUITE/kernel ("PACKAGE VERSION"; delete the file
#    to take the suite's newer kernel)
#  * from it, into work/vm-cache/kernel/PACKAGE/: boot/vmlinuz-* and efi-modules/efivarfs.ko
#    (unpacked from .ko.xz: busybox insmod reads only plain modules); Xen modules are not kept
#  * work/vm-cache/suite-SUITE/{vmlinuz,efi-modules} point at them: KERNEL_SUITE=SUITE makes
#    mkinitramfs.sh, mkcapture.sh, mksecboot.sh and run.py use them instead of work/vm-cache/
#  * with FETCH_XEN=1 also SUITE's Xen hypervisor (the newest xen-hypervisor-4.*-amd64,
#    pinned like the kernel in apt-SUITE/xen), gunzipped to work/vm-cache/suite-SUITE/xen/xen.elf:
#    XEN_SUITE=SUITE makes run.py boot it under the `machine xen` scenarios (dom0 stays
#    Debian 12's kernel, whose Xen modules dom0.cpio holds)
#  * with FETCH_KEXEC_TOOLS=1 also SUITE's kexec-tools (pinned like the kernel in
#    apt-SUITE/kexec-tools), as a second peer: its sbin/kexec and the shared libraries it needs
#    (readelf -d, transitively: SUITE's glibc with its loader, libxenctrl and the Xen libraries
#    below it) from kexec-tools, libc6 and the libxen* packages, in work/vm-cache/peer2/
#    (`package` says which); mkinitramfs.sh puts it into every image as /bin/kexec-tools-VERSION
#    (VERSION: the upstream version, e.g. 2.0.32), a wrapper that runs it through SUITE's loader;
#    FETCH_KERNEL=0 leaves the kernel out (FETCH_KERNEL=0 FETCH_KEXEC_TOOLS=1 ... sid: only the peer)
#
# Idempotent: with the kernel (and kexec-tools) cached, it does no network access.
set -eu

SUITE=${1:-${KERNEL_SUITE:-sid}}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/work/vm-cache"
APT="$CACHE/apt-$SUITE"
PIN="$APT/kernel"

log() { echo "fetch-kernel: $*"; }
die() { echo "fetch-kernel: ERROR: $*" >&2; exit 1; }

# apt-get/apt-cache with only the private configuration's sources and package lists
aptc() {
    cmd=$1; shift
    $cmd -o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts=- \
         -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" "$@"
}

UPDATED=0
update() {
    [ "$UPDATED" = 1 ] && return 0
    if [ ! -s "$APT/sources.list" ]; then
        # the mirror the host's own release comes from, as its apt configuration names it
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
              awk -v r="$codename" '$2 == r && $3 == "main" { print $1; exit }')
        [ -n "$uri" ] || die "no '$codename main' source in the host's apt configuration"
        mkdir -p "$APT"
        printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
            "$uri" "$SUITE" > "$APT/sources.list"
    fi
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
    log "apt-get update ($SUITE, private lists in $APT)"
    aptc apt-get -qq update || die "apt-get update for $SUITE failed"
    UPDATED=1
}

# field PKG=VER FIELD: one field of a package version's record
field() { aptc apt-cache show "$1" 2>/dev/null | awk -v f="$2:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'; }

# FETCH_KERNEL=0: only what the FETCH_* variables ask for (e.g. kexec-tools for a 6.1 image)
if [ "${FETCH_KERNEL:-1}" = 1 ]; then
    # ---------------------------------------------------------------- pin
    if [ ! -s "$PIN" ]; then
        update
        pkg=$(aptc apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
        [ -n "$pkg" ] || die "$SUITE's linux-image-amd64 depends on no linux-image-* package"
        ver=$(aptc apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
        [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no version of $pkg in $SUITE"
        echo "$pkg $ver" > "$PIN"
        log "pinned $pkg $ver"
    fi
    read -r pkg ver < "$PIN"

    # ---------------------------------------------------------------- kernel and efivarfs.ko
    kdir="$CACHE/kernel/$pkg"
    if [ ! -e "$kdir/.complete" ]; then
        [ -d "$APT/lists" ] && field "$pkg=$ver" Version | grep -q . || update
        field "$pkg=$ver" Version | grep -q . || die "$pkg $ver is no longer in $SUITE (delete $PIN to take the current kernel)"
        # 6.12's linux-image-* holds the kernel and its modules; from 7.x on it is an empty package
        # depending on linux-binary-* (the signed bzImage) and linux-modules-*
        pkgs="$pkg $(field "$pkg=$ver" Depends | tr ',' '\n' | awk '$1 ~ /^linux-(binary|modules)-/ { print $1 }')"
        rm -rf "$kdir.tmp"; mkdir -p "$kdir.tmp/root" "$kdir.tmp/boot" "$kdir.tmp/efi-modules" "$APT/debs"
        for p in $pkgs; do
            # a download interrupted after this package is not repeated
            ls "$APT/debs/${p}_"*.deb >/dev/null 2>&1 && continue
            log "downloading $p $ver"
            ( cd "$APT/debs" && aptc apt-get download -qq -o APT::Sandbox::User=root "$p=$ver" ) || die "apt-get download $p=$ver failed"
        done
        for deb in "$APT"/debs/*.deb; do dpkg-deb -x "$deb" "$kdir.tmp/root"; done
        # 6.12 ships boot/vmlinuz-KVER; 7.x only usr/lib/modules/KVER/vmlinuz
        vmlinuz=$(ls "$kdir.tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
        if [ -n "$vmlinuz" ]; then
            mv "$vmlinuz" "$kdir.tmp/boot/"
        else
            vmlinuz=$(ls "$kdir.tmp"/root/usr/lib/modules/*/vmlinuz "$kdir.tmp"/root/lib/modules/*/vmlinuz 2>/dev/null | head -n 1)
            [ -n "$vmlinuz" ] || die "no boot/vmlinuz-* nor lib/modules/*/vmlinuz in $pkgs"
            mv "$vmlinuz" "$kdir.tmp/boot/vmlinuz-$(basename "$(dirname "$vmlinuz")")"
        fi
        m=$(ls "$kdir.tmp"/root/lib/modules/*/kernel/fs/efivarfs/efivarfs.ko* \
               "$kdir.tmp"/root/usr/lib/modules/*/kernel/fs/efivarfs/efivarfs.ko* 2>/dev/null | head -n 1)
        [ -n "$m" ] || die "no fs/efivarfs/efivarfs.ko* in $pkgs"
        case "$m" in
            *.ko.xz) xz -dc "$m" > "$kdir.tmp/efi-modules/efivarfs.ko" ;;
            *.ko.zst) zstd -qdc "$m" > "$kdir.tmp/efi-modules/efivarfs.ko" ;;
            *.ko) cp "$m" "$kdir.tmp/efi-modules/efivarfs.ko" ;;
            *) die "unknown module format: $m" ;;
        esac
        touch "$kdir.tmp/efi-modules/.complete"
        (cd "$APT/debs" && ls *.deb) > "$kdir.tmp/packages"
        # the .debs (110 MB of modules) and the rest of the tree are not needed any more
        rm -rf "$kdir.tmp/root" "$APT/debs"
        touch "$kdir.tmp/.complete"
        rm -rf "$kdir"; mv "$kdir.tmp" "$kdir"
    fi
    vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
    mkdir -p "$CACHE/suite-$SUITE"
    ln -sfn "../kernel/$pkg/boot/$(basename "$vmlinuz")" "$CACHE/suite-$SUITE/vmlinuz"
    ln -sfn "../kernel/$pkg/efi-modules" "$CACHE/suite-$SUITE/efi-modules"
    log "$SUITE: $pkg $ver: $vmlinuz ($(wc -c < "$vmlinuz") bytes) and efivarfs.ko, from $(tr '\n' ' ' < "$kdir/packages" | sed 's/ $//')"
fi

# ---------------------------------------------------------------- kexec-tools (FETCH_KEXEC_TOOLS=1)
if [ "${FETCH_KEXEC_TOOLS:-0}" = 1 ]; then
    KPIN="$APT/kexec-tools"
    P2="$CACHE/peer2"
    if [ ! -s "$KPIN" ]; then
        update
        kver=$(aptc apt-cache policy kexec-tools | awk '$1 == "Candidate:" { print $2 }')
        [ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no kexec-tools in $SUITE"
        echo "kexec-tools $kver" > "$KPIN"
        log "pinned kexec-tools $kver"
    fi
    read -r _ kver < "$KPIN"
    if [ "$(cat "$P2/package" 2>/dev/null)" != "kexec-tools $kver $SUITE" ] || [ ! -e "$P2/.complete" ]; then
        [ -d "$APT/lists" ] && field "kexec-tools=$kver" Version | grep -q . || update
        field "kexec-tools=$kver" Version | grep -q . || die "kexec-tools $kver is no longer in $SUITE (delete $KPIN to take the current one)"
        # kexec-tools, libc6 (not what libc6 depends on: libgcc_s is never loaded by kexec) and
        # the libxen* packages below libxenmisc*, which holds libxenctrl; each at SUITE's version
        deps="--no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances"
        pkgs="kexec-tools=$kver libc6 $(aptc apt-cache depends --recurse $deps "kexec-tools=$kver" 2>/dev/null | grep '^libxen' | sort -u | tr '\n' ' ')"
        rm -rf "$P2.tmp"; mkdir -p "$P2.tmp/root" "$P2.tmp/debs" "$P2.tmp/sbin" "$P2.tmp/lib"
        log "downloading $pkgs"
        ( cd "$P2.tmp/debs" && aptc apt-get download -qq -o APT::Sandbox::User=root $pkgs ) || die "apt-get download $pkgs failed"
        for deb in "$P2.tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$P2.tmp/root"; done
        bin=$(ls "$P2.tmp"/root/usr/sbin/kexec "$P2.tmp"/root/sbin/kexec 2>/dev/null | head -n 1)
        [ -n "$bin" ] || die "no sbin/kexec in kexec-tools $kver"
        cp "$bin" "$P2.tmp/sbin/kexec"
        # needed LIBRARY...: find each in the extracted tree, copy it, then what it needs
        interp=$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
        want="$(basename "$interp") $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)]/\1/p')"
        while [ -n "$want" ]; do
            next=""
            for so in $want; do
                [ -e "$P2.tmp/lib/$so" ] && continue
                f=$(find "$P2.tmp/root" -name "$so" \( -type f -o -type l \) | head -n 1)
                [ -n "$f" ] || die "$so (needed by kexec-tools $kver) is in none of: $pkgs"
                cp -L "$f" "$P2.tmp/lib/$so"
                next="$next $(readelf -d "$P2.tmp/lib/$so" | sed -n 's/.*(NEEDED).*\[\(.*\)]/\1/p')"
            done
            want=$next
        done
        (cd "$P2.tmp/debs" && ls *.deb) > "$P2.tmp/packages"
        echo "$SUITE" > "$P2.tmp/suite"
        echo "kexec-tools $kver $SUITE" > "$P2.tmp/package"
        rm -rf "$P2.tmp/root" "$P2.tmp/debs"
        touch "$P2.tmp/.complete"
        rm -rf "$P2"; mv "$P2.tmp" "$P2"
    fi
    log "$SUITE: kexec-tools $kver: $P2/sbin/kexec with $(ls "$P2/lib" | tr '\n' ' ')($(du -sk "$P2" | cut -f1) KiB)"
fi

# ---------------------------------------------------------------- Xen (FETCH_XEN=1)
[ "${FETCH_XEN:-0}" = 1 ] || exit 0
XPIN="$APT/xen"
XOUT="$CACHE/suite-$SUITE/xen"
if [ ! -s "$XPIN" ]; then
    update
    xpkg=$(aptc apt-cache pkgnames xen-hypervisor-4 | grep -E '^xen-hypervisor-4\.[0-9]+-amd64$' | sort -V | tail -n 1)
    [ -n "$xpkg" ] || die "no xen-hypervisor-4.*-amd64 in $SUITE"
    xver=$(aptc apt-cache policy "$xpkg" | awk '$1 == "Candidate:" { print $2 }')
    echo "$xpkg $xver" > "$XPIN"
    log "pinned $xpkg $xver"
fi
read -r xpkg xver < "$XPIN"
if [ ! -s "$XOUT/xen.elf" ]; then
    [ -d "$APT/lists" ] && field "$xpkg=$xver" Version | grep -q . || update
    rm -rf "$XOUT.tmp"; mkdir -p "$XOUT.tmp/root"
    log "downloading $xpkg $xver"
    ( cd "$XOUT.tmp" && aptc apt-get download -qq -o APT::Sandbox::User=root "$xpkg=$xver" ) || die "apt-get download $xpkg=$xver failed"
    dpkg-deb -x "$XOUT.tmp"/*.deb "$XOUT.tmp/root"
    gz=$(ls "$XOUT.tmp"/root/boot/xen-4.*-amd64.gz 2>/dev/null | head -n 1)
    [ -n "$gz" ] || die "no boot/xen-4.*-amd64.gz in $xpkg"
    gunzip -c "$gz" > "$XOUT.tmp/xen.elf"
    [ "$(head -c 4 "$XOUT.tmp/xen.elf" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$gz is not an ELF image"
    echo "$xpkg $xver" > "$XOUT.tmp/version"
    rm -rf "$XOUT.tmp/root" "$XOUT.tmp"/*.deb "$XOUT"
    mv "$XOUT.tmp" "$XOUT"
fi
log "$SUITE: $xpkg $xver: $XOUT/xen.elf ($(wc -c < "$XOUT/xen.elf") bytes)"
