#!/bin/bash
# Builds swift-kexec_VERSION_amd64.deb from a static kexec binary, with dpkg-deb only:
#   scripts/package-deb.sh [BINARY [OUTDIR]]     (defaults: work/kexec, work)
# Contents: /usr/sbin/kexec (stripped), its man page, bash/zsh/fish completions (all three
# committed under docs/, see scripts/make-docs.sh), /usr/share/doc/swift-kexec/{copyright,
# changelog.gz}, lintian overrides; preinst/postrm divert kexec-tools' kexec aside
# (packaging/deb/, README "Install" says why).
# Reproducible: every time stamp is SOURCE_DATE_EPOCH (default: the last commit's), owners
# root:root, modes fixed, files sorted by dpkg-deb, xz (its output does not depend on the
# thread count; one thread leaves the other core to other jobs): the same inputs give the
# same bytes. Built-Using names the Debian static libraries installed here, so build the
# binary on this machine (scripts/build-static.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-work/kexec}
outdir=${2:-work}

die() { echo "package-deb: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin: not an executable (build it with scripts/build-static.sh)"
file -b "$bin" | grep -q 'ELF 64-bit.*x86-64.*statically linked' || die "$bin: not a static x86-64 executable"
version=$(sed -n 's/^ *static let number = "\(.*\)"$/\1/p' Sources/kexec/Program.swift)
[ -n "$version" ] || die "no SwiftKexecVersion.number in Sources/kexec/Program.swift"
binversion=$("$bin" --version | cut -d' ' -f2)
[ "$binversion" = "$version" ] || die "$bin is version $binversion, the source says $version"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>')}
commit=$(git rev-parse --short=12 HEAD)

# Built-Using: the source packages of the static libraries linked in (glibc's LGPL asks that
# its source stay available; Debian names it this way).
built_using=$(for dev in libc6-dev libstdc++-12-dev libssl-dev zlib1g-dev liblzma-dev libzstd-dev; do
        dpkg-query -W -f='${source:Package} (= ${source:Version})\n' "$dev" 2>/dev/null ||
            echo "package-deb: $dev is not installed; left out of Built-Using" >&2
    done | sort -u | paste -sd, | sed 's/,/, /g')

umask 022
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
doc=$root/usr/share/doc/swift-kexec
mkdir -p "$root/DEBIAN" "$root/usr/sbin" "$root/usr/share/man/man8" "$doc" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/lintian/overrides"

install -m 755 "$bin" "$root/usr/sbin/kexec"
strip --remove-section=.comment --remove-section=.note "$root/usr/sbin/kexec"
gzip -9n < docs/kexec.8 > "$root/usr/share/man/man8/kexec.8.gz"
# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
sed '1{/^#!/d}' docs/completions/kexec.bash > "$root/usr/share/bash-completion/completions/kexec"
install -m 644 docs/completions/_kexec "$root/usr/share/zsh/vendor-completions/_kexec"
install -m 644 docs/completions/kexec.fish "$root/usr/share/fish/vendor_completions.d/kexec.fish"
install -m 644 packaging/deb/copyright "$doc/copyright"
install -m 644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/swift-kexec"
{
    printf 'swift-kexec (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * swift-kexec %s, built from commit %s (README.md describes it).\n\n' "$version" "$commit"
    printf ' -- %s  %s\n' "$maintainer" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
install -m 755 packaging/deb/preinst packaging/deb/postrm "$root/DEBIAN/"

# Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, and 1 per other entry.
installed_size=$(find "$root" -path "$root/DEBIAN" -prune -o -mindepth 1 -printf '%y %s\n' |
    awk '$1 == "f" { k += int(($2 + 1023) / 1024); next } { k += 1 } END { print k }')
cat > "$root/DEBIAN/control" <<EOF
Package: swift-kexec
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: usr-is-merged
Suggests: kexec-tools, kdump-tools
Built-Using: $built_using
Section: admin
Priority: optional
Description: kexec(8) written in Swift, a drop-in for kexec-tools' kexec
 swift-kexec loads a new Linux kernel from the running one and boots it
 (kexec_file_load, kexec_load), with kexec-tools' command line: -l, -e, -f, -u,
 -S, -p (kdump), --append, --initrd, --reuse-cmdline and the rest. It reads
 bzImage, unified kernel images, ELF vmlinux and multiboot kernels, brings its
 own purgatory, keeps a loaded image loaded until a new one has replaced it,
 and works in a Xen dom0. The binary is static, for initramfs use too.
 .
 It diverts kexec-tools' kexec and its man page aside, so kexec-tools can stay
 installed for vmcore-dmesg, kexec-load and kdump-tools; removing swift-kexec
 gives kexec-tools its kexec back.
EOF
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$outdir"
deb="$outdir/swift-kexec_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "$root" "$deb" >/dev/null
echo "$deb"
