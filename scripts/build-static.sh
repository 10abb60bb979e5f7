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
#   -gnone                  no debug info (the binary is stripped anyway): with it, the hash of
#                           each object's LLVM module that Swift keeps in .swift_modhash differs
#                           between build directories
# Not static-PIE: see README ("Binary size").
# The binary must stay at most $KEXEC_MAX_BYTES (default 8,300,000) and free of Foundation.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="/opt/swift/usr/bin:$PATH"
max_bytes=${KEXEC_MAX_BYTES:-8300000}
here=$(pwd -P)
map=.build-static/kexec.map
swift build -c release --scratch-path .build-static --static-swift-stdlib \
    -Xswiftc -static-executable -Xswiftc -Osize -Xlinker --icf=safe -Xlinker -s \
    -Xswiftc -file-prefix-map -Xswiftc "$here=." -Xswiftc -debug-prefix-map -Xswiftc "$here=." \
    -Xcc -ffile-prefix-map="$here=." -Xswiftc -gnone \
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
size=$(stat -c %s work/kexec)
echo "build-static: work/kexec ($size bytes, limit $max_bytes)"
if [ "$size" -gt "$max_bytes" ]; then
    echo "build-static: work/kexec is larger than $max_bytes bytes" >&2
    exit 1
fi
