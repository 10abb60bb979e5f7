# Shared by run.sh and bench.sh (sourced): the targets, their input size limits, the build,
# and reading libFuzzer's final statistics.
PATH="/opt/swift/usr/bin:$PATH"
all_targets="image decompress memmap crash xen cmdline arm64"

# Inputs past 64 KiB: kernels and compressed kernels up to 1 MiB; kallsyms and kcore past
# SystemFiles' 64 KiB read chunks.
max_len() {
    case $1 in
    image | decompress) echo 1048576 ;;
    crash) echo 262144 ;;
    memmap | cmdline) echo 131072 ;;
    *) echo 65536 ;;
    esac
}

# Builds the instrumented binary into $here/../.build-fuzz; sets $bin.
build_fuzzer() {
    build_log=$(mktemp)
    (cd "$here" && swift build -c release --scratch-path "$here/../.build-fuzz" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library) >"$build_log" 2>&1 ||
        { tail -20 "$build_log"; echo "fuzz: build failed" >&2; exit 1; }
    rm -f "$build_log"
    bin="$here/../.build-fuzz/release/KexecFuzz"
}

# The fixture trees of the file-reading targets (FixtureTree.swift), gone when the script ends.
scratch=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}" )/kexec-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# fuzz TARGET LOG ARGS...: one libFuzzer run of TARGET (its output in LOG); the checked-in
# corpus is read (and so replayed) first. Returns libFuzzer's status.
fuzz() {
    target=$1 log=$2
    shift 2
    mkdir -p "$here/crashes"
    KEXEC_FUZZ_TARGET=$target KEXEC_FUZZ_SCRATCH=$scratch SWIFT_BACKTRACE=enable=no "$bin" -max_len="$(max_len "$target")" \
        -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 -artifact_prefix="$here/crashes/$target-" \
        "$@" "$here/corpus/$target" >"$log" 2>&1
}

# final_stat LOG NAME: a number from libFuzzer's final statistics (stat::NAME), or "-".
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1 | grep . || echo -; }

# status LOG FIELD: FIELD (cov, ft, corp) of libFuzzer's last status line, or "-".
status() { grep -E '^#[0-9]+.* cov: ' "$1" | tail -1 | sed -n "s/.* $2: \([^ ]*\).*/\1/p" | grep . || echo -; }
