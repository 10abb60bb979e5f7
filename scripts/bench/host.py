#!/usr/bin/env python3
"""Host benchmark: swift-kexec `--dry-run -c -l` against kexec-tools `-c -l`.

kexec-tools runs under strace with seccomp-bpf injection, so kexec_load, kexec_file_load and
reboot are refused (EPERM) before they run: it does all its userspace work, safely. Runs
alternate A B A B; each figure is the median, and the ratio is the median of pair ratios.
Wall time and peak RSS come from wait4(2) per child. Usage:
  scripts/bench/host.py [--runs N] [--kernel F] [--initrd F] [--ours BIN] [--peer BIN] [--arg A ...]
(--arg adds an option for both tools, e.g. --arg=--args-linux for an ELF vmlinux)
"""
import argparse, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUARD = ["strace", "-f", "-qq", "-o", "/dev/null", "--seccomp-bpf",
         "-e", "trace=kexec_load,kexec_file_load,reboot",
         "-e", "inject=kexec_load,kexec_file_load,reboot:error=EPERM"]


def run(cmd):
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    return wall, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--kernel", default=os.path.join(ROOT, "work/vm-cache/vmlinuz"))
    ap.add_argument("--initrd", default=os.path.join(ROOT, "work/bench-initrd-64M"))
    ap.add_argument("--ours", default=os.path.join(ROOT, "work/kexec"))
    ap.add_argument("--peer", default="/usr/sbin/kexec")
    ap.add_argument("--arg", action="append", default=[])
    a = ap.parse_args()
    if not os.path.exists(a.initrd):
        with open(a.initrd, "wb") as f:
            f.write(os.urandom(64 << 20))
    loaded = os.path.getsize(a.kernel) + os.path.getsize(a.initrd)
    common = a.arg + ["-c", "-l", a.kernel, "--initrd=" + a.initrd, "--append=console=ttyS0 root=/dev/vda quiet"]
    print(f"kernel {os.path.getsize(a.kernel)} B + initrd {os.path.getsize(a.initrd)} B = {loaded / 2**20:.1f} MiB loaded; {a.runs} runs each, alternating")
    for label, extra in (("digests on", []), ("-i (no digests)", ["-i"])):
        ours_cmd = [a.ours, "--dry-run"] + extra + common
        peer_cmd = GUARD + [a.peer] + extra + common
        run(ours_cmd); run(peer_cmd)  # warm the page cache
        ours, peer = [], []
        for _ in range(a.runs):
            ours.append(run(ours_cmd))
            peer.append(run(peer_cmd))
        if any(r[2] != 0 for r in ours):
            sys.exit(f"ours failed: {ours_cmd}")
        ow, pw = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in peer)
        orss, prss = statistics.median(r[1] for r in ours), statistics.median(r[1] for r in peer)
        ratio = statistics.median(o[0] / p[0] for o, p in zip(ours, peer))
        print(f"[{label}] wall median: ours {ow:.3f} s, kexec-tools {pw:.3f} s, ratio {ratio:.2f}x")
        print(f"[{label}] peak RSS median: ours {orss:.1f} MiB (budget {loaded / 2**20 + 16:.1f}), kexec-tools {prss:.1f} MiB")


if __name__ == "__main__":
    main()
