#!/usr/bin/env python3
"""A real Debian 12 systemd guest in which swift-kexec's .deb replaces kexec-tools' kexec.

usage: debian-guest.py [--deb FILE] [-v] [--keep]

Boots work/debian/root.img (scripts/vm/mkdebian.sh) under QEMU (TCG, 2 vCPUs) with the image's
own kernel and initramfs, a copy-on-write overlay over the cached image (so every run starts
from the pristine image) and a second, read-only disk labelled DEBGUEST that holds the .deb
(work/swift-kexec_*.deb by default) and tests/vm/debian/driver.sh. The guest's debguest.service
runs the driver at every boot; the driver's lines start with "DEBIAN-GUEST: ". One QEMU process
lives through every reboot of the guest (cold reboots, kdump-tools' capture boot, kexec) and
exits when the guest powers off.

Each stage has its own time limit, counted from the stage before. A "DEBIAN-GUEST: FAIL" line,
a stage over its limit or QEMU ending early fails the run, which prints the console's last lines.
Log: work/vm-logs/debian-guest.log (every console line with host seconds since QEMU started,
the command, the result and the measured times). Exit status 0 iff the run passed.
"""
import argparse
import glob
import json
import os
import re
import secrets
import select
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_DIR = os.environ.get("DEBIAN_OUT") or os.path.join(ROOT, "work", "debian")
LOG_DIR = os.path.join(os.environ.get("VM_OUT") or os.path.join(ROOT, "work"), "vm-logs")
DRIVER = os.path.join(ROOT, "tests", "vm", "debian", "driver.sh")
# kdump-tools' own crashkernel= for x86 (its /etc/default/grub.d/kdump-tools.cfg)
APPEND = "root=/dev/vda rw console=ttyS0 crashkernel=384M-:128M"
ANSI = re.compile(r"\x1b(\[[0-9;?=>]*[A-Za-z]|[()][A-Z0-9]|[A-Za-z=>])")
M = r"^DEBIAN-GUEST: "

# (name, regex of the line that ends the stage, seconds allowed since the previous stage ended).
# A stage in OPTIONAL may go unseen: the next stage's line or the end of its time moves on.
# Generous: a TCG guest on a 2-core machine that also compiles took 270 s for its first boot
# (kdump-tools making its initramfs) and 175 to 185 s for a reboot.
STAGES = [
    ("first boot", M + r"boot 1: stage 1", 600),
    ("install + kdump-tools restart", M + r"stage 1 PASS", 240),
    ("reboot", M + r"boot 2: stage 2", 420),
    ("kdump-tools loaded at boot", M + r"stage 2 PASS", 120),
    ("panic", r"sysrq: Trigger a crash", 30),
    ("capture kernel up", r"Linux version .*\(", 120),
    ("dump saved", r"saved vmcore in /var/crash", 420),
    ("boot after the dump", M + r"boot 3: stage 3", 420),
    ("dump checked, boot loader entry written", M + r"stage 3 PASS", 240),
    ("systemctl kexec", M + r"boot 4: stage 4", 420),
    ("pass", M + r"PASS$", 120),
]
# The sysrq line reaches the console only if the crashing CPU gets to print it: when another CPU
# holds the console at that moment, the printk is deferred and the crash kernel starts first (seen
# once in CI). The line is still in the dump's log, which the driver checks in stage 3.
OPTIONAL = {"panic": "kdump-tools loaded at boot"}  # stage -> the stage whose end stands in for it
# host times between two stage ends, for the report
MEASURES = [
    ("first boot (QEMU start to the driver)", None, "first boot"),
    ("install + restart", "first boot", "install + kdump-tools restart"),
    ("cold reboot (systemctl reboot to the driver)", "install + kdump-tools restart", "reboot"),
    ("panic to capture kernel up", "panic", "capture kernel up"),
    ("panic to dump saved", "panic", "dump saved"),
    ("dump saved to the driver after the reboot", "dump saved", "boot after the dump"),
    ("systemctl kexec to the driver in the new kernel", "dump checked, boot loader entry written", "systemctl kexec"),
]


def take_lines(buf):
    """The complete console lines in buf, without terminal escapes and CRs, and what is left."""
    *done, rest = buf.split(b"\n")
    return [ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "") for raw in done], rest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", help="the package (default: newest work/swift-kexec_*.deb)")
    ap.add_argument("--memory", type=int, default=2048, help="guest memory in MiB")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the console")
    ap.add_argument("--keep", action="store_true", help="keep the run's disks (work/debian-run/)")
    args = ap.parse_args()

    for f in ("root.img", "vmlinuz", "initrd.img"):
        if not os.path.exists(os.path.join(IMAGE_DIR, f)):
            sys.exit("debian-guest: %s/%s is missing: run scripts/vm/mkdebian.sh" % (IMAGE_DIR, f))
    deb = args.deb or (sorted(glob.glob(os.path.join(ROOT, "work", "swift-kexec_*.deb"))) or [None])[-1]
    if not deb or not os.path.exists(deb):
        sys.exit("debian-guest: no .deb: run scripts/package-deb.sh (or give --deb)")

    run_dir = os.path.join(os.path.dirname(IMAGE_DIR), "debian-run")
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(os.path.join(run_dir, "disk"))
    os.makedirs(LOG_DIR, exist_ok=True)
    logpath = os.path.join(LOG_DIR, "debian-guest.log")

    # the run's root disk: writes go to the overlay, the cached image stays as built
    overlay = os.path.join(run_dir, "root.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                    os.path.join(IMAGE_DIR, "root.img"), overlay], check=True)
    # the test disk: the .deb, the driver and a token of this run
    token = secrets.token_hex(8)
    disk = os.path.join(run_dir, "disk")
    shutil.copy(deb, disk)
    shutil.copy(DRIVER, os.path.join(disk, "driver.sh"))
    with open(os.path.join(disk, "token"), "w") as f:
        f.write(token + "\n")
    test_img = os.path.join(run_dir, "test.img")
    with open(test_img, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "DEBGUEST", "-d", disk, test_img], check=True)

    cmd = [args.qemu, "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", str(args.memory),
           # no floppy, CD-ROM, VGA or NIC to probe: the serial console and the two disks
           "-nodefaults", "-display", "none", "-serial", "stdio",
           "-kernel", os.path.join(IMAGE_DIR, "vmlinuz"),
           "-initrd", os.path.join(IMAGE_DIR, "initrd.img"), "-append", APPEND,
           "-drive", "file=%s,if=virtio,format=qcow2" % overlay,
           "-drive", "file=%s,if=virtio,format=raw,readonly=on" % test_img]

    release = open(os.path.join(IMAGE_DIR, "release")).read().strip()
    print("debian-guest: Debian 12 guest, kernel %s, %s; log %s" % (release, os.path.basename(deb), logpath),
          flush=True)
    lines = []   # (host seconds since QEMU start, text)
    ends = {}    # stage name -> host seconds
    reason = None
    stage = 0
    stage_start = 0.0
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    fd = proc.stdout.fileno()
    buf = b""
    fail_rx = re.compile(M + r"FAIL")
    token_seen = False
    while reason is None and stage < len(STAGES):
        name, rx, limit = STAGES[stage]
        left = stage_start + limit - (time.monotonic() - t0)
        if left <= 0 and name in OPTIONAL:
            print("debian-guest: %8.1f s  (%s: not seen)" % (time.monotonic() - t0, name), flush=True)
            stage += 1
            continue
        if left <= 0:
            reason = "stage '%s': no line matching %r within %d s" % (name, rx, limit)
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not r:
            continue
        chunk = os.read(fd, 65536)
        now = time.monotonic() - t0
        if not chunk:
            reason = "QEMU ended (exit %s) in stage '%s'" % (proc.wait(), name)
            break
        done, buf = take_lines(buf + chunk)
        for text in done:
            lines.append((now, text))
            if args.verbose:
                print("  %8.3f %s" % (now, text), flush=True)
            if text.startswith("DEBIAN-GUEST: token: "):
                token_seen = token_seen or text.endswith(token)
                if not text.endswith(token):
                    reason = "the guest ran another run's driver disk: %r" % text
            if reason is not None:
                continue
            if fail_rx.search(text):
                reason = text[len("DEBIAN-GUEST: "):]
            elif stage < len(STAGES):
                if (STAGES[stage][0] in OPTIONAL and stage + 1 < len(STAGES)
                        and re.search(STAGES[stage + 1][1], text)):
                    print("debian-guest: %8.1f s  (%s: not seen)" % (now, STAGES[stage][0]), flush=True)
                    stage += 1
                if re.search(STAGES[stage][1], text):
                    ends[STAGES[stage][0]] = now
                    print("debian-guest: %8.1f s  %s" % (now, STAGES[stage][0]), flush=True)
                    stage += 1
                    stage_start = now
    if reason is None and not token_seen:
        reason = "the driver never printed this run's token"
    # a passing guest powers itself off; a failing one gets a few seconds to show more
    deadline = time.monotonic() + (60 if reason is None else 5)
    while proc.poll() is None and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            done, buf = take_lines(buf + chunk)
            lines += [(time.monotonic() - t0, text) for text in done]
    # QEMU closes its output a moment before it exits: wait for the exit, not only the EOF
    try:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        if reason is None:
            reason = "the guest did not power off after PASS"
        proc.kill()
    proc.wait()
    elapsed = time.monotonic() - t0

    results = {"elapsed": round(elapsed, 1), "stages": {k: round(v, 1) for k, v in ends.items()}}
    for label, a, b in MEASURES:
        if a in OPTIONAL and a not in ends:
            a = OPTIONAL[a]
        if b in ends and (a is None or a in ends):
            results[label] = round(ends[b] - (ends[a] if a else 0.0), 1)
    sizes = [t for _, t in lines if t.startswith("DEBIAN-GUEST: dump size:")]
    if sizes:
        results["dump"] = sizes[-1][len("DEBIAN-GUEST: "):]
    with open(logpath, "w") as f:
        f.write("# debian-guest: %s\n# command: %s\n# result: %s\n# results: %s\n# qemu exit status: %s, %.1f s\n" % (
            os.path.basename(deb), " ".join(shlex.quote(c) for c in cmd),
            "PASS" if reason is None else "FAIL: " + reason, json.dumps(results), proc.returncode, elapsed))
        for t, text in lines:
            f.write("[%9.3f] %s\n" % (t, text))
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)

    for label, a, b in MEASURES:
        if label in results:
            print("debian-guest: %-48s %6.1f s" % (label, results[label]))
    if "dump" in results:
        print("debian-guest: " + results["dump"])
    if reason is None:
        print("debian-guest: PASS (%.0f s)" % elapsed)
        print("1 passed, 0 failed")
        return 0
    print("debian-guest: FAIL: %s (%.0f s); the console's last lines:" % (reason, elapsed))
    for t, text in lines[-40:]:
        print("  [%9.3f] %s" % (t, text))
    print("0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
