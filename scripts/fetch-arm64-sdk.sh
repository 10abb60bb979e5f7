#!/bin/sh
# Download (never install) what `scripts/build-static.sh --arch arm64` needs to cross-build the
# static aarch64 kexec on an x86_64 Debian 12 host, into work/arm64-sdk/:
#
#  * apt-sid/, apt-bookworm/: private apt configurations (own sources.list, lists and cache) for
#    the arm64 architecture, from the same mirror as the host's own apt sources; the host's apt
#    and dpkg state is not touched (as in scripts/vm/fetch-kernel.sh)
#  * packages: "SUITE PACKAGE VERSION" of every package used, pinned at the first run (delete
#    the file to take the suites' current versions)
#  * swift_static/: usr/libexec/swift/lib/swift_static of sid's swiftlang:arm64 (the aarch64
#    Swift runtime and static standard library, version 6.2.3 today). The binary .swiftmodule
#    files are removed: the host's compiler (6.3.1) refuses modules of another compiler version
#    and builds the standard library from the .swiftinterface files beside them instead. The
#    embedded/ modules are left out (not used).
#  * sysroot/: Debian 12's arm64 libc6-dev, linux-libc-dev, libgcc-12-dev, libstdc++-12-dev and
#    the -dev packages of libcrypto, zlib, liblzma, libzstd (headers and .a files), unpacked
#
# Idempotent: with everything cached, it does no network access. Prints the sysroot's path last.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$ROOT/work/arm64-sdk"
PIN="$CACHE/packages"
SYSROOT_PKGS="libc6-dev linux-libc-dev libgcc-12-dev libstdc++-12-dev libssl-dev zlib1g-dev liblzma-dev libzstd-dev"

log() { echo "fetch-arm64-sdk: $*" >&2; }
die() { echo "fetch-arm64-sdk: ERROR: $*" >&2; exit 1; }

# aptc SUITE CMD ARGS...: apt-get/apt-cache with only SUITE's private configuration, arm64 only
aptc() {
    apt=$CACHE/apt-$1 cmd=$2; shift 2
    $cmd -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- \
         -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
         -o APT::Architecture=arm64 -o APT::Architectures::=arm64 "$@"
}

# update SUITE: writes SUITE's sources.list (bookworm: with -updates and -security, as the host
# has them) and runs apt-get update, once per run
UPDATED=" "
update() {
    case "$UPDATED" in *" $1 "*) return 0 ;; esac
    apt=$CACHE/apt-$1
    if [ ! -s "$apt/sources.list" ]; then
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
        targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages')
        uri=$(echo "$targets" | awk -v r="$codename" '$2 == r && $3 == "main" { print $1; exit }')
        [ -n "$uri" ] || die "no '$codename main' source in the host's apt configuration"
        mkdir -p "$apt"
        if [ "$1" = "$codename" ]; then
            echo "$targets" | awk -v r="$codename" '$3 == "main" && index($2, r) == 1 {
                print "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " $1 " " $2 " main" }' |
                sort -u > "$apt/sources.list"
        else
            printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
                "$uri" "$1" > "$apt/sources.list"
        fi
    fi
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    log "apt-get update ($1, arm64, private lists in $apt)"
    aptc "$1" apt-get -qq update || die "apt-get update for $1 failed"
    UPDATED="$UPDATED$1 "
}

candidate() { aptc "$1" apt-cache policy "$2:arm64" | awk '$1 == "Candidate:" { print $2 }'; }

# ---------------------------------------------------------------- pin
if [ ! -s "$PIN" ]; then
    bookworm=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ "$bookworm" = bookworm ] || log "the host is $bookworm, not bookworm: its arm64 packages make the sysroot"
    update sid
    update "$bookworm"
    {
        v=$(candidate sid swiftlang)
        [ -n "$v" ] && [ "$v" != "(none)" ] || die "no swiftlang for arm64 in sid"
        echo "sid swiftlang $v"
        for p in $SYSROOT_PKGS; do
            v=$(candidate "$bookworm" "$p")
            [ -n "$v" ] && [ "$v" != "(none)" ] || die "no $p for arm64 in $bookworm"
            echo "$bookworm $p $v"
        done
    } > "$PIN.tmp"
    mv "$PIN.tmp" "$PIN"
    log "pinned: $(tr '\n' ';' < "$PIN")"
fi

# download SUITE PACKAGE VERSION DIR: the .deb into DIR, unless a download already left it there
download() {
    ls "$4/${2}_"*_arm64.deb >/dev/null 2>&1 && return 0
    [ -d "$CACHE/apt-$1/lists" ] && aptc "$1" apt-cache show "$2:arm64=$3" >/dev/null 2>&1 || update "$1"
    aptc "$1" apt-cache show "$2:arm64=$3" >/dev/null 2>&1 ||
        die "$2 $3 is no longer in $1 (delete $PIN to take the current versions)"
    log "downloading $2 $3 ($1)"
    ( cd "$4" && aptc "$1" apt-get download -qq -o APT::Sandbox::User=root "$2:arm64=$3" ) ||
        die "apt-get download $2:arm64=$3 failed"
}

# ---------------------------------------------------------------- swift_static (sid swiftlang)
# .complete holds the pinned line it was made from: a new pin unpacks again
line=$(awk '$2 == "swiftlang"' "$PIN")
if [ "$(cat "$CACHE/swift_static/.complete" 2>/dev/null)" != "$line" ]; then
    set -- $line
    rm -rf "$CACHE/swift_static.tmp" "$CACHE/debs-swift"
    mkdir -p "$CACHE/swift_static.tmp" "$CACHE/debs-swift"
    download "$1" "$2" "$3" "$CACHE/debs-swift"
    log "unpacking usr/libexec/swift/lib/swift_static of $(ls "$CACHE"/debs-swift)"
    dpkg-deb --fsys-tarfile "$CACHE"/debs-swift/*.deb |
        tar -x -C "$CACHE/swift_static.tmp" --strip-components=6 --exclude='*/swift_static/embedded' \
            './usr/libexec/swift/lib/swift_static' ||
        die "no usr/libexec/swift/lib/swift_static in swiftlang $3"
    [ -f "$CACHE/swift_static.tmp/linux/libswiftCore.a" ] &&
        [ -f "$CACHE/swift_static.tmp/linux/Swift.swiftmodule/aarch64-unknown-linux-gnu.swiftinterface" ] ||
        die "swiftlang $3 has no aarch64 libswiftCore.a or Swift.swiftinterface"
    find "$CACHE/swift_static.tmp" -type f -name '*.swiftmodule' -delete
    echo "$line" > "$CACHE/swift_static.tmp/.complete"
    # the 500 MB .deb is not needed any more
    rm -rf "$CACHE/swift_static" "$CACHE/debs-swift"
    mv "$CACHE/swift_static.tmp" "$CACHE/swift_static"
fi

# ---------------------------------------------------------------- sysroot (bookworm -dev packages)
lines=$(awk '$2 != "swiftlang"' "$PIN")
if [ "$(cat "$CACHE/sysroot/.complete" 2>/dev/null)" != "$lines" ]; then
    rm -rf "$CACHE/sysroot.tmp"
    mkdir -p "$CACHE/sysroot.tmp" "$CACHE/debs"
    echo "$lines" | while read -r suite p v; do download "$suite" "$p" "$v" "$CACHE/debs"; done
    for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$CACHE/sysroot.tmp"; done
    for f in usr/lib/aarch64-linux-gnu/libc.a usr/lib/aarch64-linux-gnu/libcrypto.a \
             usr/lib/gcc/aarch64-linux-gnu/12/libstdc++.a; do
        [ -f "$CACHE/sysroot.tmp/$f" ] || die "the sysroot has no $f"
    done
    echo "$lines" > "$CACHE/sysroot.tmp/.complete"
    rm -rf "$CACHE/sysroot" "$CACHE/debs"
    mv "$CACHE/sysroot.tmp" "$CACHE/sysroot"
fi
echo "$CACHE"
