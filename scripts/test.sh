#!/bin/bash
# The whole test suite: host unit tests (incl. the purgatory blob check), a bounded fuzz
# run, the static build, and the QEMU scenarios. Installs what it needs (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
fuzz_seconds=${FUZZ_SECONDS:-60}

step() { printf '\n=== %s\n' "$*"; }

step "setup: packages, Debian kernel, kexec-tools (for comparisons in the guest)"
scripts/vm/setup.sh

step "build dependencies: libcrypto, zlib, liblzma, libzstd (headers + .a for the static build); xz/zstd CLIs for the tests"
scripts/install-deps.sh

step "unit tests (swift test)"
swift build --build-tests
SWIFT_KEXEC_NO_SYSCALLS=1 swift test 2>&1 | tee work/unit-tests.log | grep -E '✘|Test run|error:' || true
grep -q 'Test run with .* passed' work/unit-tests.log

step "purgatory under QEMU: a bare-metal test kernel enters the blob (registers, backup copy, both SHA-256 paths, mismatch halt, --console-serial lines)"
bash purgatory/tests/run.sh

step "fuzz: image loaders, decompression, memory maps, crash planning, Xen's map, command line (${fuzz_seconds}s in all, plus each corpus replayed)"
fuzz/run.sh "$fuzz_seconds"

step "static release binary"
scripts/build-static.sh

step "reproducible: the static binary built in two other directories, byte for byte"
scripts/check-reproducible.sh

step "Debian package: reproducible .deb, files, control, man page, completions, diversions, lintian"
scripts/check-package.sh

step "QEMU scenarios"
scripts/vm/test.sh

# A whole Debian 12 systemd guest (tests/vm/README.md, "The Debian guest"): swift-kexec's .deb
# installed over kexec-tools, kdump-tools' unchanged configuration loading the capture kernel
# through it, a panic whose dump kdump-tools saves, and systemctl kexec.
step "Debian 12 systemd guest: the .deb over kexec-tools, kdump-tools, a saved dump, systemctl kexec"
scripts/package-deb.sh
scripts/vm/mkdebian.sh
scripts/vm/debian-guest.py

# The kernel dimension: Debian sid's current kernel (7.x) as first, second and capture kernel,
# UEFI, Secure Boot, kdump and the reliability scenarios (tests/vm/README.md, "Another kernel").
# One retry there: sid's 7.2.13 with 2 vCPUs under TCG oopsed once in about 20 boots on an int3
# left by its own text patching (sched_clock_cpu, early in the second kernel's boot, also on
# the kernel's own kexec_file_load path); the retry and the first failure are both printed.
step "QEMU scenarios on Debian sid's kernel (subset)"
KERNEL_SUITE=sid scripts/vm/test.sh --retries 1 uefi-load-exec uefi-file-load-exec uefi-auto-load-exec uefi-kdump uefi-noefi uefi-noruntime \
    secboot-load-exec secboot-refusals secboot-kdump load-exec kdump lockdown hostile-files races elf-load-exec elf-kdump \
    kdump-reload-failures raw-bytes kdump-hotplug kdump-cma

# Debian 13's 6.12: the same paths once more on the kernel in between (load/exec on both
# syscalls, kdump with crash hotplug, UEFI, Secure Boot, lockdown).
step "QEMU scenarios on Debian 13's kernel (6.12, subset)"
KERNEL_SUITE=trixie scripts/vm/test.sh --retries 1 load-exec file-load-exec kdump file-kdump kdump-hotplug \
    uefi-kdump secboot-refusals lockdown

# Xen 4.20 (Debian 13's) under the Xen scenarios that load, execute, dump and report status.
step "QEMU scenarios under Debian 13's Xen 4.20 (subset)"
XEN_SUITE=trixie scripts/vm/test.sh xen-load-exec xen-kdump xen-status xen-failed-load
