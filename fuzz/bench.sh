#!/bin/sh
# The benchmark-style fuzz job (not run in CI): each target from its checked-in corpus only,
# for RUNS executions (default 1,000,000) or BENCH_MAX_SECONDS (default 1200), whichever
# comes first. Prints a Markdown table: executions, wall time, exec/s, coverage (libFuzzer's
# cov: edges and ft: features), final corpus size, crashes (libFuzzer stops at the first; the
# input lands in fuzz/crashes/). Logs in work/fuzz-bench/. Usage: fuzz/bench.sh [RUNS [TARGET...]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
runs=${1:-1000000}
[ $# -gt 0 ] && shift
targets=${*:-$all_targets}
limit=${BENCH_MAX_SECONDS:-1200}
build_fuzzer
logs="$here/../work/fuzz-bench"
mkdir -p "$logs"
echo "fuzz/bench.sh $runs ($targets): $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| target | max_len | executions | time | exec/s | cov | ft | corpus | crashes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for t in $targets; do
    new=$(mktemp -d)
    start=$(date +%s)
    crashes=0
    fuzz "$t" "$logs/$t.log" -runs="$runs" -max_total_time="$limit" "$new" ||
        crashes="1: $(sed -n 's/^SUMMARY: libFuzzer: //p; s/^SUMMARY: AddressSanitizer: //p' "$logs/$t.log" | head -1)"
    log="$logs/$t.log"
    echo "| $t | $(max_len "$t") | $(final_stat "$log" number_of_executed_units) | $(( $(date +%s) - start )) s |" \
        "$(final_stat "$log" average_exec_per_sec) | $(status "$log" cov) | $(status "$log" ft) | $(status "$log" corp) | $crashes |"
    rm -rf "$new"
done
