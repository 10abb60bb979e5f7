#!/bin/bash
# Builds the static kexec and shows its main job inside a QEMU guest: the first kernel's
# /init runs `kexec -l vmlinuz --initrd=... --append=...` and `kexec -e`, and the second
# kernel's /init prints the command line and initrd marker it received.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/vm/setup.sh
scripts/install-deps.sh
scripts/build-static.sh
scripts/vm/test.sh load-exec
echo
echo "--- what the guest printed (work/vm-logs/load-exec.log):"
grep -E 'SCENARIO-RUN|SCENARIO-EXEC|SECOND-' work/vm-logs/load-exec.log
