#!/bin/sh
# CI's fuzz step: builds the libFuzzer binary and runs every target for SECONDS in all
# (default 60, split evenly), each first replaying its checked-in corpus fuzz/corpus/TARGET
# (seeds and regress-* inputs of fixed crashes). New inputs go to work/fuzz-corpus/TARGET.
# Usage: fuzz/run.sh [SECONDS [TARGET...]]. A crashing input lands in fuzz/crashes/ and
# fails the run; replay one with KEXEC_FUZZ_TARGET=TARGET .build-fuzz/release/KexecFuzz FILE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$all_targets}
count=$(echo $targets | wc -w)
each=$(( seconds / count > 5 ? seconds / count : 5 ))
build_fuzzer
failed=""
for t in $targets; do
    log=$(mktemp)
    mkdir -p "$here/../work/fuzz-corpus/$t"
    if fuzz "$t" "$log" -max_total_time="$each" "$here/../work/fuzz-corpus/$t"; then
        echo "fuzz: $t: $(final_stat "$log" number_of_executed_units) runs in ${each}s, $(final_stat "$log" average_exec_per_sec)/s," \
            "cov $(status "$log" cov) ft $(status "$log" ft), no crash"
    else
        tail -40 "$log"
        echo "fuzz: $t: libFuzzer found a crash (input in fuzz/crashes/)" >&2
        failed="$failed $t"
    fi
    rm -f "$log"
done
[ -z "$failed" ] || { echo "fuzz: crashes in:$failed" >&2; exit 1; }
echo "fuzz: no crash in ${seconds}s ($targets)"
