#!/bin/sh
# Builds the fully static release binary (for an initramfs or /sbin) into work/kexec.
# -static-executable links glibc statically; see ../shared/reference/swift-toolchain.md §1.
set -eu
cd "$(dirname "$0")/.."
PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --scratch-path .build-static --static-swift-stdlib \
    -Xswiftc -static-executable -Xlinker -s --product kexec "$@" 2>&1 | grep -v "statically linked applications requires" || true
bin=.build-static/release/kexec
test -x "$bin" || { echo "build-static: $bin was not built" >&2; exit 1; }
mkdir -p work
cp "$bin" work/kexec
echo "build-static: work/kexec ($(stat -c %s work/kexec) bytes)"
