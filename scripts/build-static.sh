#!/bin/bash
# Builds the fully static release binary (for an initramfs or /sbin) into work/kexec.
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
max_bytes=${KEXEC_MAX_BYTES:-8000000}
here=$(pwd -P)
map=.build-static/kexec.map
# A mirror of the toolchain's swift_static (symbolic links), with the libswift*.a archives replaced by
# copies that scripts/clear-retain.py made, each rebuilt when its original or the script changes.
toolchain_static=$(cd "$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift_static" && pwd -P)
static=.build-static/swift_static
mkdir -p "$static/linux"
for e in "$toolchain_static"/* "$toolchain_static"/linux/*; do
    rel=${e#"$toolchain_static"/}
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
swift build -c release --scratch-path .build-static --static-swift-stdlib \
    -Xswiftc -static-executable -Xswiftc -Osize -Xlinker --icf=safe -Xlinker -s \
    -Xswiftc -file-prefix-map -Xswiftc "$here=." -Xswiftc -debug-prefix-map -Xswiftc "$here=." \
    -Xcc -ffile-prefix-map="$here=." -Xswiftc -gnone -Xswiftc -resource-dir -Xswiftc "$here/$static" \
    -Xlinker -Map="$here/$map" \
    --product kexec "$@" 2>&1 | { grep -v "statically linked applications requires" || true; }
bin=.build-static/release/kexec
test -x "$bin" || { echo "build-static: $bin was not built" >&2; exit 1; }
# Foundation (and ICU behind it) is in the toolchain; a stray call into it (e.g.
# String.contains(String), or a dependency that imports it, as swift-argument-parser does)
# multiplies the binary. Neither our objects nor the linked archives may bring it in.
leaks=$(for o in .build-static/release/KexecCore.build/*.o .build-static/release/KexecSystem.build/*.o \
        .build-static/release/kexec.build/*.o; do if nm -u "$o" | grep -q Foundation; then echo "$o"; fi; done)
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
cp "$bin" work/kexec
# section_range NAME: "offset size" of a section of work/kexec, in decimal.
section_range() {
    local hex
    hex=$(readelf -SW work/kexec | sed 's/^ *\[ *[0-9]*\] *//' | awk -v n="$1" '$1 == n { print $4, $5 }')
    [ -n "$hex" ] || return 1
    set -- $hex
    echo $((16#$1)) $((16#$2))
}
zero() { dd if=/dev/zero of=work/kexec bs=1 seek="$1" count="$2" conv=notrunc status=none; }
read -r off len < <(section_range .swift_modhash) && zero "$off" "$len"
read -r off len < <(section_range .note.gnu.build-id)
[ "$len" = 36 ] || { echo "build-static: unexpected build-id note ($len bytes)" >&2; exit 1; }
zero $((off + 16)) 20
sha=$(sha1sum work/kexec | cut -c1-40)
printf "$(sed 's/../\\x&/g' <<<"$sha")" | dd of=work/kexec bs=1 seek=$((off + 16)) conv=notrunc status=none
size=$(stat -c %s work/kexec)
echo "build-static: work/kexec ($size bytes, limit $max_bytes)"
if [ "$size" -gt "$max_bytes" ]; then
    echo "build-static: work/kexec is larger than $max_bytes bytes" >&2
    exit 1
fi
