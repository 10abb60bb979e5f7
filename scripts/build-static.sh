#!/bin/bash
# Builds the fully static release binary (for an initramfs or /sbin) into work/kexec.
#   scripts/build-static.sh [--arch x86_64|arm64] [SWIFT-BUILD-ARGUMENTS...]
# --arch arm64 cross-builds the aarch64 binary into work/kexec-arm64 instead (scratch path
# .build-static-arm64), with what scripts/fetch-arm64-sdk.sh downloads into work/arm64-sdk/:
# sid's aarch64 Swift runtime (its standard library built from .swiftinterface by this
# toolchain's compiler) and Debian 12's arm64 glibc, libstdc++ and -dev libraries as the
# sysroot; linked by the toolchain's lld (README, "The arm64 binary").
# -static-executable links glibc statically; see ../shared/reference/swift-toolchain.md §1.
#   -Osize                  the smaller code (about 110 KB less than -O; SHA-256 is libcrypto's
#                           assembly either way)
#   --icf=safe              gold folds identical functions whose address is not taken (-110 KB)
#   -s                      stripped
#   *-prefix-map            no build path in the binary (#file, assertion messages, debug
#                           paths), so two checkouts in different directories give the same
#                           bytes (scripts/check-reproducible.sh)
#   -gnone                  no debug info (the binary is stripped anyway; 150 KB less)
#   -resource-dir           the toolchain's swift_static, except that the libswift*.a archives are
#                           copies where --gc-sections may drop unused public functions
#                           (scripts/clear-retain.py says why they are kept otherwise; -1.04 MB)
# Swift keeps a hash of each object's LLVM module in .swift_modhash (for incremental builds
# only); it differs between build directories, so the copy in the binary is zeroed below and the
# build-id (gold's: a SHA-1 of the file) computed again the same way.
# Not static-PIE: see README ("Binary size").
# The binary must stay at most $KEXEC_MAX_BYTES (default 8,000,000) and free of Foundation.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="/opt/swift/usr/bin:$PATH"
arch=x86_64
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --arch) [ $# -ge 2 ] || { echo "build-static: --arch needs x86_64 or arm64" >&2; exit 2; }
                arch=$2; shift 2 ;;
        --arch=*) arch=${1#--arch=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
case $arch in
    x86_64|amd64) arch=x86_64 scratch=.build-static out=work/kexec ;;
    arm64|aarch64) arch=arm64 scratch=.build-static-arm64 out=work/kexec-arm64 ;;
    *) echo "build-static: unknown --arch $arch (x86_64 or arm64)" >&2; exit 2 ;;
esac
max_bytes=${KEXEC_MAX_BYTES:-8000000}
here=$(pwd -P)
map=$scratch/kexec.map
# A mirror of the toolchain's swift_static (symbolic links), with the libswift*.a archives replaced by
# copies that scripts/clear-retain.py made, each rebuilt when its original or the script changes.
toolchain_static=$(cd "$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift_static" && pwd -P)
static_src=$toolchain_static
static=$scratch/swift_static
cross=()
if [ "$arch" = arm64 ]; then
    cache=$(scripts/fetch-arm64-sdk.sh)
    # The sysroot: links to the cached one's directories, and usr/lib/swift_static (the swift
    # driver takes swiftrt.o and the runtime archives of a static link from SDK/usr/lib/swift_static)
    # the mirror made below.
    sdk=$scratch/sdk
    for e in "$cache"/sysroot/* "$cache"/sysroot/usr/* "$cache"/sysroot/usr/lib/*; do
        rel=${e#"$cache"/sysroot/}
        case $rel in
            usr|usr/lib) mkdir -p "$sdk/$rel" ;;
            *) ln -sfn "$e" "$sdk/$rel" ;;
        esac
    done
    static_src=$cache/swift_static
    static=$sdk/usr/lib/swift_static
    cross=(--triple aarch64-unknown-linux-gnu --sdk "$here/$sdk" -Xswiftc -sdk -Xswiftc "$here/$sdk"
           -Xswiftc -use-ld=lld)
    # The runtime was compiled against a newer glibc than the sysroot's (scripts/glibc-isoc23.c).
    if ! nm "$sdk/usr/lib/aarch64-linux-gnu/libc.a" 2>/dev/null | grep -q ' T __isoc23_strtol$'; then
        compat=$scratch/glibc-isoc23.o
        if [ ! -f "$compat" ] || [ scripts/glibc-isoc23.c -nt "$compat" ]; then
            clang --target=aarch64-linux-gnu --sysroot="$sdk" -Os -c scripts/glibc-isoc23.c -o "$compat"
        fi
        cross+=(-Xlinker "$here/$compat")
    fi
fi
mkdir -p "$static/linux"
for e in "$static_src"/* "$static_src"/linux/*; do
    rel=${e#"$static_src"/}
    case $rel in
        linux) ;;
        linux/libswift*.a)
            if [ ! -f "$static/$rel" ] || [ -L "$static/$rel" ] || [ "$e" -nt "$static/$rel" ] ||
               [ scripts/clear-retain.py -nt "$static/$rel" ]; then
                rm -f "$static/$rel"
                python3 scripts/clear-retain.py "$e" "$static/$rel.tmp" >/dev/null
                mv "$static/$rel.tmp" "$static/$rel"
            fi ;;
        *) ln -sfn "$e" "$static/$rel" ;;
    esac
done
# The clang headers are the compiler's own, not those of the runtime's toolchain.
[ "$arch" = x86_64 ] || ln -sfn "$(readlink -f "$toolchain_static/clang")" "$static/clang"
swift build -c release --scratch-path "$scratch" --static-swift-stdlib ${cross[@]+"${cross[@]}"} \
    -Xswiftc -static-executable -Xswiftc -Osize -Xlinker --icf=safe -Xlinker -s \
    -Xswiftc -file-prefix-map -Xswiftc "$here=." -Xswiftc -debug-prefix-map -Xswiftc "$here=." \
    -Xcc -ffile-prefix-map="$here=." -Xswiftc -gnone -Xswiftc -resource-dir -Xswiftc "$here/$static" \
    -Xlinker -Map="$here/$map" \
    --product kexec ${args[@]+"${args[@]}"} 2>&1 | { grep -v -e "statically linked applications requires" \
    -e "icf=safe conservatively ignores SHT_LLVM_ADDRSIG" || true; }
bin=$scratch/release/kexec
test -x "$bin" || { echo "build-static: $bin was not built" >&2; exit 1; }
# Foundation (and ICU behind it) is in the toolchain; a stray call into it (e.g.
# String.contains(String), or a dependency that imports it, as swift-argument-parser does)
# multiplies the binary. Neither our objects nor the linked archives may bring it in.
leaks=$(for o in "$scratch"/release/KexecCore.build/*.o "$scratch"/release/KexecSystem.build/*.o \
        "$scratch"/release/kexec.build/*.o; do if nm -u "$o" | grep -q Foundation; then echo "$o"; fi; done)
if [ -n "$leaks" ]; then
    echo "build-static: these objects call into Foundation: $leaks" >&2
    exit 1
fi
if grep -q 'lib_\{0,1\}Foundation[A-Za-z]*\.a(' "$map"; then
    echo "build-static: the link pulled in Foundation (see $map):" >&2
    grep -o 'lib_\{0,1\}Foundation[A-Za-z]*\.a([^)]*)' "$map" | sort -u | head -5 >&2
    exit 1
fi
mkdir -p work
cp "$bin" "$out"
# section_range NAME: "offset size" of a section of $out, in decimal.
section_range() {
    local hex
    hex=$(readelf -SW "$out" | sed 's/^ *\[ *[0-9]*\] *//' | awk -v n="$1" '$1 == n { print $4, $5 }')
    [ -n "$hex" ] || return 1
    set -- $hex
    echo $((16#$1)) $((16#$2))
}
zero() { dd if=/dev/zero of="$out" bs=1 seek="$1" count="$2" conv=notrunc status=none; }
read -r off len < <(section_range .swift_modhash) && zero "$off" "$len"
read -r off len < <(section_range .note.gnu.build-id)
[ "$len" = 36 ] || { echo "build-static: unexpected build-id note ($len bytes)" >&2; exit 1; }
zero $((off + 16)) 20
sha=$(sha1sum "$out" | cut -c1-40)
printf "$(sed 's/../\\x&/g' <<<"$sha")" | dd of="$out" bs=1 seek=$((off + 16)) conv=notrunc status=none
size=$(stat -c %s "$out")
echo "build-static: $out ($size bytes, limit $max_bytes)"
if [ "$size" -gt "$max_bytes" ]; then
    echo "build-static: $out is larger than $max_bytes bytes" >&2
    exit 1
fi
