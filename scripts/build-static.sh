#!/bin/bash
# Builds the fully static release binary (for an initramfs or /sbin) into work/kexec.
# -static-executable links glibc statically; see ../shared/reference/swift-toolchain.md §1.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --scratch-path .build-static --static-swift-stdlib \
    -Xswiftc -static-executable -Xlinker -s --product kexec "$@" 2>&1 | { grep -v "statically linked applications requires" || true; }
bin=.build-static/release/kexec
test -x "$bin" || { echo "build-static: $bin was not built" >&2; exit 1; }
# Foundation (and ICU behind it) is in the toolchain; a stray call into it
# (e.g. String.contains(String)) quadruples the binary. Our own modules must not use it.
leaks=$(for o in .build-static/release/KexecCore.build/*.o .build-static/release/KexecSystem.build/*.o \
        .build-static/release/kexec.build/*.o; do if nm -u "$o" | grep -q Foundation; then echo "$o"; fi; done)
if [ -n "$leaks" ]; then
    echo "build-static: these objects call into Foundation: $leaks" >&2
    exit 1
fi
mkdir -p work
cp "$bin" work/kexec
echo "build-static: work/kexec ($(stat -c %s work/kexec) bytes)"
