#!/bin/bash
# Builds the static binary (scripts/build-static.sh) from two copies of the committed tree in
# two different directories and compares the bytes: no build path, time or other host detail
# may reach the binary. Two release builds of the kexec product (a few minutes on 2 CPUs).
# The dependency checkouts are copied from this tree's .build-static (or .build) when present,
# so no network is needed then. Usage: scripts/check-reproducible.sh [REV] (default HEAD).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct "$rev")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deps=""
for d in .build-static .build; do
    if [ -d "$d/checkouts" ] && [ -f "$d/workspace-state.json" ]; then deps=$d; break; fi
done
start=$(date +%s)
for copy in a/one b/two/deeper; do
    mkdir -p "$tmp/$copy"
    git archive "$rev" | tar -x -C "$tmp/$copy"
    if [ -n "$deps" ]; then
        mkdir -p "$tmp/$copy/.build-static"
        cp -a "$deps/checkouts" "$deps/workspace-state.json" "$tmp/$copy/.build-static/"
        [ ! -d "$deps/repositories" ] || cp -a "$deps/repositories" "$tmp/$copy/.build-static/"
    fi
    (cd "$tmp/$copy" && scripts/build-static.sh --only-use-versions-from-resolved-file >"$tmp/build.log" 2>&1) ||
        { tail -20 "$tmp/build.log"; echo "check-reproducible: the build in $tmp/$copy failed" >&2; exit 1; }
done
one=$tmp/a/one/work/kexec two=$tmp/b/two/deeper/work/kexec
echo "check-reproducible: $rev built in $tmp/a/one and $tmp/b/two/deeper in $(( $(date +%s) - start )) s:" \
    "$(stat -c %s "$one") and $(stat -c %s "$two") bytes"
if ! cmp "$one" "$two"; then
    echo "check-reproducible: the two binaries differ in $(cmp -l "$one" "$two" | wc -l) bytes; kept: $tmp" >&2
    trap - EXIT
    exit 1
fi
if strings "$one" | grep -q "$tmp"; then
    echo "check-reproducible: the binary names its build directory:" >&2
    strings "$one" | grep "$tmp" | head -5 >&2
    exit 1
fi
echo "check-reproducible: identical ($(sha256sum "$one" | cut -d' ' -f1))"
