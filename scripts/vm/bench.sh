#!/bin/sh
# Benchmarks in QEMU (TCG), ours (/bin/kexec) against Debian's kexec-tools (/bin/kexec-tools):
#   bench-load  one guest alternating RUNS loads of each: kexec -c -l vmlinuz --initrd=big-initrd
#               (64 MiB), timed inside the guest -> "BENCH ours|peer SECONDS"; when the image has
#               the second peer (sid's kexec-tools 2.0.32, FETCH_KEXEC_TOOLS=1 fetch-kernel.sh),
#               it takes turns as a third participant ("BENCH peer32 SECONDS", ratio ours/peer32)
#   bench-multiboot  the same for Xen (gunzipped) as multiboot-x86 with dom0's kernel and initrd
#               as --module (kexec-tools cannot probe Debian's xen.gz itself)
#   bench-exec  EXEC_RUNS boots per variant {ours,peer} x {checks, -i}: host-side time from the
#               serial line printed just before `kexec -e` to the second kernel's first console
#               line ("Linux version ...", printed by earlyprintk before the timer calibration,
#               whose failures under TCG add seconds at random) and to its /init (SECOND-KERNEL-UP);
#               with --console-serial, also from purgatory's first line to that line, and (ours
#               only) between purgatory's lines before and after its checks
# Prints medians and ratios ours/peer.  Results: work/vm-logs/bench-results.jsonl
# (with VM_OUT=DIR: images in DIR/vm, logs in DIR/vm-logs, so it can run beside test.sh)
#
# usage: scripts/vm/bench.sh [--runs N] [--exec-runs R] [--no-build] [--load-only|--exec-only]
# Environment: KEXEC_BIN (ours; if it does not exist only the peer is measured),
#              BENCH_CPU=qemu64 to run bench-exec on another QEMU CPU model (default: max),
#              BENCH_INITRD=/boot/second.cpio.gz to time exec with the small initrd instead.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VM="$ROOT/scripts/vm"
RUNS=5
EXEC_RUNS=3
BUILD=1
DO_LOAD=1
DO_EXEC=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --exec-runs) EXEC_RUNS=$2; shift ;;
        --no-build) BUILD=0 ;;
        --load-only) DO_EXEC=0 ;;
        --exec-only) DO_LOAD=0 ;;
        *) echo "usage: $0 [--runs N] [--exec-runs R] [--no-build] [--load-only|--exec-only]" >&2
           exit 2 ;;
    esac
    shift
done

if [ "$BUILD" = 1 ]; then
    sh "$VM/setup.sh"
    sh "$VM/mkinitramfs.sh"
fi
bin=${KEXEC_BIN:-$ROOT/work/kexec}
whos="ours peer"
if [ ! -e "$bin" ]; then
    echo "bench.sh: $bin does not exist: measuring the peer only"
    whos="peer"
fi

LOGS="${VM_OUT:-$ROOT/work${KERNEL_SUITE:+/$KERNEL_SUITE}}/vm-logs"   # as run.py's
RES="$LOGS/bench-results.jsonl"
mkdir -p "$LOGS"
: > "$RES"
initrd_env=""
[ -n "${BENCH_INITRD:-}" ] && initrd_env="--env BENCH_INITRD=$BENCH_INITRD"
rc=0

if [ "$DO_LOAD" = 1 ]; then
    python3 "$VM/run.py" bench-load --env "BENCH_RUNS=$RUNS" --results "$RES" || rc=1
    python3 "$VM/run.py" bench-multiboot --env "BENCH_RUNS=$RUNS" --results "$RES" || rc=1
fi
if [ "$DO_EXEC" = 1 ]; then
    # interleaved (round by round) so that a busy host slows every variant alike
    i=1
    while [ "$i" -le "$EXEC_RUNS" ]; do
        for mode in checks nochecks; do
            nc=0; [ "$mode" = nochecks ] && nc=1
            for who in $whos; do
                if [ "$who" = ours ]; then k=/bin/kexec; else k=/bin/kexec-tools; fi
                python3 "$VM/run.py" bench-exec --kexec "$k" --env "BENCH_NOCHECKS=$nc" ${BENCH_CPU:+--cpu "$BENCH_CPU"} \
                    $initrd_env --tag "$who-$mode-$i" --results "$RES" || rc=1
            done
        done
        i=$((i + 1))
    done
fi

python3 - "$RES" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(xs):
    return statistics.median(xs) if xs else None
def fmt(x):
    return "%.3f s" % x if x is not None else "n/a"
def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "n/a"
print()
print("== summary (medians) ==")
LOADS = {"bench-load": "load -c -l vmlinuz + 64 MiB initrd",
         "bench-multiboot": "load -c -l xen --module vmlinuz --module initrd"}
for r in rows:
    if r["scenario"] in LOADS:
        o, p = r["results"].get("ours", []), r["results"].get("peer", [])
        p32 = r["results"].get("peer32", [])
        mo, mp, m32 = med(o), med(p), med(p32)
        more = ("  peer32 %s (n=%d)" % (fmt(m32), len(p32))) if p32 else ""
        print("%s: ours %s (n=%d)  peer %s (n=%d)%s  ours/peer %s%s"
              % (LOADS[r["scenario"]], fmt(mo), len(o), fmt(mp), len(p), more, ratio(mo, mp),
                 ("  ours/peer32 %s" % ratio(mo, m32)) if p32 else ""))
        print("  samples ours %s" % o)
        print("  samples peer %s" % p)
        if p32:
            print("  samples peer32 %s" % p32)
ex = {}
for r in rows:
    if r["scenario"] == "bench-exec":
        who = "ours" if r["kexec"] == "/bin/kexec" else "peer"
        mode = "-i" if "BENCH_NOCHECKS=1" in r["env"] else "checks"
        d = ex.setdefault((who, mode), {"first": [], "user": [], "purg": [], "checks": [], "fail": 0})
        if r["ok"]:
            d["first"].append(r["results"]["exec_to_first_line"])
            d["user"].append(r["results"]["exec_to_userspace"])
            d["purg"].append(r["results"]["purgatory_to_first_line"])
            if "purgatory_checks" in r["results"]:
                d["checks"].append(r["results"]["purgatory_checks"])
        else:
            d["fail"] += 1
for mode in ("checks", "-i"):
    for metric, label in (("first", "exec -> second kernel's first line"),
                          ("user", "exec -> second /init (SECOND-KERNEL-UP)"),
                          ("purg", "purgatory's first line -> second kernel's first line")):
        o = ex.get(("ours", mode), {}).get(metric, [])
        p = ex.get(("peer", mode), {}).get(metric, [])
        if not o and not p:
            continue
        print("%s [%s]: ours %s  peer %s  ours/peer %s   (samples ours %s peer %s)"
              % (label, mode, fmt(med(o)), fmt(med(p)), ratio(med(o), med(p)), o, p))
# The verification's cost: purgatory -> first line with checks minus the same with -i (the
# decompression and the rest of purgatory are the same work); ours is also timed directly.
def cost(who):
    c, n = ex.get((who, "checks"), {}).get("purg", []), ex.get((who, "-i"), {}).get("purg", [])
    return med(c) - med(n) if c and n else None
co, cp = cost("ours"), cost("peer")
if co is not None or cp is not None:
    direct = ex.get(("ours", "checks"), {}).get("checks", [])
    print("verification (purgatory -> first line, checks minus -i): ours %s  peer %s  ours/peer %s"
          "   (ours timed between its own lines: median %s, samples %s)"
          % (fmt(co), fmt(cp), ratio(co, cp), fmt(med(direct)), direct))
fails = sum(d["fail"] for d in ex.values()) + sum(1 for r in rows if r["scenario"] in LOADS and not r["ok"])
if fails:
    print("%d benchmark run(s) FAILED: see the vm-logs directory" % fails)
PY
exit $rc
