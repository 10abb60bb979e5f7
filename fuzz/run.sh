#!/bin/sh
# Builds the libFuzzer target and runs it for a bounded time (default 60 s).
# Usage: fuzz/run.sh [SECONDS]. Crashing inputs land in fuzz/crashes/ and fail the run.
set -eu
log=$(mktemp)
here=$(cd "$(dirname "$0")" && pwd)
PATH="/opt/swift/usr/bin:$PATH"
seconds=${1:-60}
cd "$here"
swift build -c release --scratch-path "$here/../.build-fuzz" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$log" 2>&1 ||
    { tail -20 "$log"; echo "fuzz: build failed" >&2; exit 1; }
bin="$here/../.build-fuzz/release/KexecFuzz"
mkdir -p "$here/../work/fuzz-corpus" "$here/crashes"
cp "$here"/corpus/* "$here/../work/fuzz-corpus/" 2>/dev/null || true
SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$here/crashes/" "$here/../work/fuzz-corpus" >"$log" 2>&1 ||
    { tail -40 "$log"; echo "fuzz: libFuzzer found a crash (input in fuzz/crashes/)" >&2; exit 1; }
tail -8 "$log"
echo "fuzz: no crash in ${seconds}s"
