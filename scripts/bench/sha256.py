#!/usr/bin/env python3
"""Host SHA-256 throughput of a kexec binary, from outside: `--dry-run -c -l` of a kernel and a
large random initrd (in the page cache) with digests (the default) and with `-i` (no digests),
alternating. The throughput is the bytes hashed over the difference of the median user CPU
times (wait4's ru_utime: the hashing; the kernel's work of mapping the files is system time),
and, for comparison, over the difference of the median wall times (hashing plus mapping). Needs
no privileges and makes no kexec system call (--dry-run). Usage:
  scripts/bench/sha256.py [--runs N] [--mib M] [--kernel F] [BIN ...]   (default BIN: work/kexec)
"""
import argparse, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    """(wall seconds, user CPU seconds) of one run."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {cmd}")
    return time.monotonic() - start, usage.ru_utime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--mib", type=int, default=512, help="size of the random initrd")
    ap.add_argument("--kernel", default=os.path.join(ROOT, "work/vm-cache/vmlinuz"))
    ap.add_argument("bins", nargs="*", default=[os.path.join(ROOT, "work/kexec")])
    a = ap.parse_args()
    initrd = os.path.join(ROOT, f"work/bench-initrd-{a.mib}M")
    if not os.path.exists(initrd) or os.path.getsize(initrd) != a.mib << 20:
        with open(initrd, "wb") as f:
            for _ in range(a.mib):
                f.write(os.urandom(1 << 20))
    common = ["--dry-run", "-c", "-l", a.kernel, "--initrd=" + initrd, "--append=console=ttyS0"]
    for b in a.bins:
        on, off = [], []
        run([b] + common); run([b, "-i"] + common)   # warm the page cache
        for _ in range(a.runs):
            on.append(run([b] + common))
            off.append(run([b, "-i"] + common))
        # About the bytes hashed: the kernel's setup sectors are not, purgatory and boot_params are.
        hashed = os.path.getsize(a.kernel) + os.path.getsize(initrd)
        med = lambda rs, i: statistics.median(r[i] for r in rs)
        user = med(on, 1) - med(off, 1)
        wall = med(on, 0) - med(off, 0)
        print(f"{b}: {hashed / 2**20:.0f} MiB, median of {a.runs}: user {med(on, 1):.3f} s with digests, "
              f"{med(off, 1):.3f} s with -i: {hashed / user / 1e9:.2f} GB/s; "
              f"wall {med(on, 0):.3f} s / {med(off, 0):.3f} s: {hashed / wall / 1e9:.2f} GB/s")


if __name__ == "__main__":
    main()
