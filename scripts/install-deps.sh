#!/bin/bash
# Debian packages the build needs beyond Swift: libcrypto (libssl-dev), zlib, liblzma, libzstd
# (headers + .a for the static binary), the gzip/xz/zstd tools the tests and guest images use,
# strace (the dry-run sandbox test), and what scripts/check-package.sh uses (file, mandoc,
# man-db, lintian; zsh and fish to parse the completions). Idempotent.
set -euo pipefail
build_deps="libssl-dev zlib1g-dev liblzma-dev libzstd-dev gzip xz-utils zstd strace file mandoc man-db lintian zsh fish"
missing=$(for p in $build_deps; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
done)
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || { echo "install-deps: need root to install:" $missing >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
    echo "install-deps: present: $build_deps"
fi
