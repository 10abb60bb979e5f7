#!/usr/bin/env python3
"""Boot QEMU guests that run kexec scenarios and check their serial console.

usage: run.py [options] SCENARIO... | --all

Each scenario is tests/vm/scenarios/NAME.sh (run by the first kernel's /init) plus
NAME.expect (what its console must and must not show; see load-exec.expect for the
directives).  The serial console is read line by line with host monotonic timestamps;
the whole log goes to work/vm-logs/NAME[-TAG].log ($VM_OUT/vm-logs if VM_OUT is set).
One result line per scenario, then "N passed, M failed".  Exit status 0 iff everything passed.

Firmware: SeaBIOS by default; `firmware ovmf` in NAME.expect (or --firmware ovmf for any
native scenario) boots the same kernel directly (-kernel) under Debian's OVMF on q35.

Kernel: Debian 12's (work/vm-cache/vmlinuz) by default; KERNEL_SUITE=sid boots that suite's
(work/vm-cache/suite-sid/vmlinuz, scripts/vm/fetch-kernel.sh) with the images that
mkinitramfs.sh built for it (in work/sid/ unless VM_OUT is set), whose /boot/vmlinuz is the same
kernel; the `machine xen` scenarios need Debian 12's.

Build the images first: scripts/vm/setup.sh && scripts/vm/mkinitramfs.sh
"""
import argparse
import concurrent.futures
import json
import os
import re
import secrets
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCEN_DIR = os.path.join(ROOT, "tests", "vm", "scenarios")
# another Debian suite's kernel (scripts/vm/fetch-kernel.sh), e.g. sid; "" = Debian 12's
KERNEL_SUITE = os.environ.get("KERNEL_SUITE", "")
# another suite's Xen for the `machine xen` scenarios (FETCH_XEN=1 scripts/vm/fetch-kernel.sh
# SUITE), e.g. trixie's 4.20; "" = Debian 12's 4.17 (setup.sh)
XEN_SUITE = os.environ.get("XEN_SUITE", "")
# VM_OUT (default work/, work/SUITE/ for KERNEL_SUITE as in mkinitramfs.sh) separates concurrent
# users and kernels: images in $VM_OUT/vm, logs in $VM_OUT/vm-logs
OUTROOT = (os.environ.get("VM_OUT")
           or os.path.join(ROOT, "work", *([KERNEL_SUITE] if KERNEL_SUITE else [])))
BUILD = os.path.join(OUTROOT, "vm")
CACHE = os.path.join(ROOT, "work", "vm-cache")
# where the kernel is: setup.sh's, or fetch-kernel.sh's suite-SUITE/
KCACHE = os.path.join(CACHE, "suite-" + KERNEL_SUITE) if KERNEL_SUITE else CACHE
OVMF = os.path.join(CACHE, "ovmf")   # scripts/vm/setup.sh
FIRMWARES = ("seabios", "ovmf", "ovmf-secboot")
# seconds added to a scenario's timeout under OVMF for the firmware's own start: the first
# kernel's /init came 4.5 to 5 s later than under SeaBIOS (TCG, idle 2-core machine)
OVMF_EXTRA_TIMEOUT = 30.0

DEFAULT_FORBID = [
    r"^SCENARIO-FAIL",
    r"Kernel panic",
    r"BUG: ",
    r"general protection fault",
    r"Oops",
    r"Unable to handle kernel",
]
# terminal escapes on the console (OVMF sends ESC[=3h, a screen mode, before the kernel starts)
ANSI = re.compile(r"\x1b(\[[0-9;?=>]*[A-Za-z]|[()][A-Z0-9]|[A-Za-z=>])")
print_lock = threading.Lock()


def say(msg):
    with print_lock:
        print(msg, flush=True)


class Expect:
    def __init__(self, name):
        self.name = name
        self.timeout = 120.0
        self.initrd = "first"
        self.append = []
        self.expect = []     # raw regex templates
        self.require = []    # raw regex templates that must match somewhere, in any order
        self.forbid = list(DEFAULT_FORBID)
        self.tags = set()
        self.measures = {}   # name -> [start_re, end_re]
        self.optional = set()  # measures whose lines may be missing (one binary prints them)
        self.collect = {}    # name -> regex
        self.halts = None    # seconds of quiet after the last expect: the guest hangs on purpose
        self.machine = "native"  # or "xen": Xen 4.17 boots the kernel as a PV dom0
        self.xen_append = []
        self.cpu = "max"     # QEMU -cpu for a native guest (Xen as a PV host needs qemu64)
        self.firmware = "seabios"  # or "ovmf": UEFI (q35 + pflash), the kernel still from -kernel
        self.smp = 1
        self.maxcpus = None    # `smp N MAX`: room for CPUs hot-added through the monitor
        self.maxmem = None     # `memory-hotplug SIZE`: DIMM slots up to SIZE (e.g. 4G)
        self.monitor = []      # (regex template, HMP command): sent when a console line matches
        self.min_kernel = None  # (major, minor): --all skips the scenario on older kernels
        self.parse(name)
        if self.machine == "xen" and self.firmware != "seabios":
            raise SystemExit("run.py: %s: machine xen boots only under seabios" % name)

    def parse(self, name):
        # NAME.expect is a scenario; NAME.inc is only a part that scenarios include
        path = os.path.join(SCEN_DIR, name + ".expect")
        if not os.path.exists(path):
            path = os.path.join(SCEN_DIR, name + ".inc")
        if not os.path.exists(path):
            raise SystemExit("run.py: no such scenario: %s (missing %s)" % (name, path))
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                key, _, rest = line.partition(" ")
                if key == "timeout":
                    self.timeout = float(rest)
                elif key == "initrd":
                    self.initrd = rest.strip()
                elif key == "append":
                    self.append.append(rest.strip())
                elif key == "expect":
                    self.expect.append(rest)
                elif key == "require":
                    self.require.append(rest)
                elif key == "forbid":
                    self.forbid.append(rest)
                elif key == "tag":
                    self.tags.update(rest.split())
                elif key in ("measure-start", "measure-end"):
                    mname, _, rx = rest.partition(" ")
                    self.measures.setdefault(mname, [None, None])[key == "measure-end"] = rx
                elif key == "measure-optional":
                    self.optional.update(rest.split())
                elif key == "allow":
                    # a default forbid that this scenario provokes on purpose (e.g. a panic)
                    self.forbid = [f for f in self.forbid if f != rest]
                elif key == "include":
                    self.parse(rest.strip())   # another scenario's directives, in place
                elif key == "halts":
                    self.halts = float(rest or 3)
                elif key == "machine":
                    if rest.strip() not in ("native", "xen"):
                        raise SystemExit("%s:%d: machine is native or xen" % (path, lineno))
                    self.machine = rest.strip()
                elif key == "cpu":
                    self.cpu = rest.strip()
                elif key == "firmware":
                    if rest.strip() not in FIRMWARES:
                        raise SystemExit("%s:%d: firmware is seabios, ovmf or ovmf-secboot" % (path, lineno))
                    self.firmware = rest.strip()
                elif key == "smp":
                    counts = rest.split()
                    if not 1 <= len(counts) <= 2 or not all(c.isdigit() and 1 <= int(c) <= 64 for c in counts):
                        raise SystemExit("%s:%d: smp is a CPU count (1 to 64), optionally the most "
                                         "CPUs (hot-added later)" % (path, lineno))
                    self.smp = int(counts[0])
                    self.maxcpus = int(counts[1]) if len(counts) == 2 else None
                elif key == "memory-hotplug":
                    if not re.fullmatch(r"[0-9]+[MG]", rest.strip()):
                        raise SystemExit("%s:%d: memory-hotplug is the most memory, e.g. 4G" % (path, lineno))
                    self.maxmem = rest.strip()
                elif key == "monitor":
                    # monitor REGEX :: HMP COMMAND  (the guest asks, the host plugs)
                    rx, sep, command = rest.partition(" :: ")
                    if not sep or not command.strip():
                        raise SystemExit("%s:%d: monitor is REGEX :: COMMAND" % (path, lineno))
                    self.monitor.append((rx, command.strip()))
                elif key == "min-kernel":
                    m = re.fullmatch(r"([0-9]+)\.([0-9]+)", rest.strip())
                    if not m:
                        raise SystemExit("%s:%d: min-kernel is MAJOR.MINOR" % (path, lineno))
                    self.min_kernel = (int(m.group(1)), int(m.group(2)))
                elif key == "xen-append":
                    self.xen_append.append(rest.strip())
                elif key == "collect":
                    cname, _, rx = rest.partition(" ")
                    self.collect[cname] = rx
                else:
                    raise SystemExit("%s:%d: unknown directive %r" % (path, lineno, key))


def expand(template, vars_):
    def sub(m):
        if m.group(1) not in vars_:
            raise SystemExit("unknown variable ${%s} in %r" % (m.group(1), template))
        return re.escape(vars_[m.group(1)])
    return re.compile(re.sub(r"\$\{(\w+)\}", sub, template))


def kernel_version(path):
    """(major, minor) from a Debian kernel's file name (vmlinuz-6.1.0-28-amd64), or None."""
    m = re.match(r"vmlinuz-([0-9]+)\.([0-9]+)", os.path.basename(os.path.realpath(path)))
    return (int(m.group(1)), int(m.group(2))) if m else None


def send_monitor(sock_path, commands, lines, t0):
    """Sends HMP commands to QEMU's monitor socket; their answers go into the log."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sock_path)
        def until_prompt():
            out = b""
            while not out.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            return ANSI.sub("", out.decode("utf-8", "replace")).replace("\r", "")
        until_prompt()   # the banner
        for c in commands:
            s.sendall(c.encode() + b"\n")
            answer = until_prompt().replace("(qemu) ", "").strip()
            lines.append((time.monotonic() - t0, "HOST-MONITOR: %s%s" % (c, " -> " + answer.splitlines()[-1] if answer.splitlines()[1:] else "")))
    except OSError as e:
        lines.append((time.monotonic() - t0, "HOST-MONITOR-ERROR: %s" % e))
    finally:
        s.close()


def xen_version():
    """MAJOR.MINOR of the hypervisor the `machine xen` scenarios boot: Debian 12's 4.17, or
    XEN_SUITE's as fetch-kernel.sh recorded it ("xen-hypervisor-4.20-amd64 VERSION")."""
    if not XEN_SUITE:
        return "4.17"
    path = os.path.join(CACHE, "suite-" + XEN_SUITE, "xen", "version")
    try:
        with open(path) as f:
            m = re.match(r"xen-hypervisor-([0-9]+\.[0-9]+)-", f.read())
    except OSError:
        m = None
    if not m:
        raise SystemExit("run.py: %s missing or unreadable: run FETCH_XEN=1 scripts/vm/fetch-kernel.sh %s"
                         % (path, XEN_SUITE))
    return m.group(1)


def read_marker():
    path = os.path.join(BUILD, "second.token")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        raise SystemExit("run.py: %s missing; run scripts/vm/mkinitramfs.sh" % path)


def run_scenario(name, args):
    exp = Expect(name)
    token = secrets.token_hex(8)
    kernel = args.kernel or os.path.join(KCACHE, "vmlinuz")
    initrd = os.path.join(BUILD, {"first": "first.cpio", "bench": "first-bench.cpio",
                                  "secboot": "first-secboot.cpio"}[exp.initrd])
    xen = exp.machine == "xen"
    version = kernel_version(kernel)
    if exp.min_kernel and version and version < exp.min_kernel:
        return (name, False, "needs Linux %d.%d or later; the first kernel is %d.%d" % (exp.min_kernel + version),
                0.0, {})
    if xen and KERNEL_SUITE:
        return (name, False, "machine xen: dom0.cpio holds Debian 12's kernel's Xen modules "
                "(unset KERNEL_SUITE)", 0.0, {})
    if xen:
        # Xen boots first; our kernel becomes its PV dom0 with dom0.cpio (scripts/vm/mkxen.sh)
        hypervisor = os.path.join(CACHE, *(["suite-" + XEN_SUITE] if XEN_SUITE else []), "xen", "xen.elf")
        initrd = os.path.join(BUILD, "dom0.cpio")
    firmware = args.firmware or exp.firmware
    if xen and firmware != "seabios":
        # QEMU's multiboot loader (-kernel xen.elf) is a SeaBIOS option ROM
        return name, False, "machine xen boots only under seabios", 0.0, {}
    uefi = firmware.startswith("ovmf")
    ovmf_code = os.path.join(OVMF, "OVMF_CODE_4M.fd")
    ovmf_vars = os.path.join(OVMF, "OVMF_VARS_4M.fd")
    if firmware == "ovmf-secboot":
        # scripts/vm/mksecboot.sh: PK/KEK/db = our test key, Secure Boot on; the first kernel
        # is Debian's re-signed with that key
        ovmf_code = os.path.join(OVMF, "OVMF_CODE_4M.secboot.fd")
        ovmf_vars = os.path.join(BUILD, "secboot", "VARS.fd")
        kernel = args.kernel or os.path.join(BUILD, "secboot", "vmlinuz-db")
    for p in ((kernel, initrd) + ((hypervisor,) if xen else ())
              + ((ovmf_code, ovmf_vars) if uefi else ())):
        if not os.path.exists(p):
            return name, False, "missing %s (run setup.sh and mkinitramfs.sh)" % p, 0.0, {}
    base = ["console=hvc0" if xen else "console=ttyS0"] + ([] if args.no_quiet else ["quiet"]) + ["panic=-1", "scenario=" + name, "KEXEC=" + args.kexec,
            "SWIFT_BACKTRACE=enable=no,swift-backtrace=/none", "TOKEN=" + token]
    base += args.env
    base_append = " ".join(base)
    append = " ".join(exp.append + [base_append])
    timeout = args.timeout or exp.timeout + (OVMF_EXTRA_TIMEOUT if uefi else 0)
    vars_ = {"TOKEN": token, "MARKER": read_marker(), "APPEND": append,
             "BASE_APPEND": base_append, "KEXEC": args.kexec, "XEN_VERSION": xen_version()}
    expects = [expand(t, vars_) for t in exp.expect]
    forbids = [expand(t, vars_) for t in exp.forbid]
    requires = [expand(t, vars_) for t in exp.require]
    measures = {k: (expand(s, vars_), expand(e, vars_)) for k, (s, e) in exp.measures.items()}
    collects = {k: expand(v, vars_) for k, v in exp.collect.items()}
    monitor = [(expand(rx, vars_), c) for rx, c in exp.monitor]

    if xen:
        # reference vm-testing.md: PV dom0 needs -cpu qemu64 (it dies early with -cpu max);
        # QEMU's multiboot loader takes "module args" pairs separated by commas (",," escapes)
        xen_append = " ".join(["console=com1 com1=115200,8n1 dom0_mem=768M crashkernel=256M@512M"]
                              + exp.xen_append)
        modules = "%s %s,%s" % (kernel.replace(",", ",,"), append.replace(",", ",,"),
                                initrd.replace(",", ",,"))
        cmd = [args.qemu, "-accel", "tcg", "-cpu", "qemu64", "-m", str(max(args.memory, 2048)),
               "-smp", str(exp.smp), "-nographic", "-no-reboot", "-kernel", hypervisor,
               "-append", xen_append, "-initrd", modules] + args.qemu_arg
    else:
        memory = str(args.memory) + (",slots=4,maxmem=" + exp.maxmem if exp.maxmem else "")
        smp = str(exp.smp) + (",maxcpus=%d" % exp.maxcpus if exp.maxcpus else "")
        cmd = [args.qemu, "-accel", "tcg", "-cpu", args.cpu or exp.cpu, "-m", memory,
               "-smp", smp, "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
               "-append", append] + args.qemu_arg
    os.makedirs(args.log_dir, exist_ok=True)
    logname = name + ("-" + args.tag if args.tag else "")
    logpath = os.path.join(args.log_dir, logname + ".log")
    tmpdir = None
    if uefi:
        # OVMF writes its variables (boot entries, ...): each guest gets a fresh copy of VARS
        tmpdir = tempfile.mkdtemp(prefix=logname + ".ovmf-", dir=args.log_dir)
        vars_copy = os.path.join(tmpdir, "OVMF_VARS_4M.fd")
        shutil.copyfile(ovmf_vars, vars_copy)
        # the secboot build keeps its variables in SMM, which must be on and own the flash
        secure = firmware == "ovmf-secboot"
        cmd[1:1] = (["-machine", "q35,smm=on" if secure else "q35"]
                    + (["-global", "driver=cfi.pflash01,property=secure,value=on"] if secure else [])
                    + ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmf_code,
                       "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy])

    monitor_sock = None
    if monitor:
        tmpdir = tmpdir or tempfile.mkdtemp(prefix=logname + ".", dir=args.log_dir)
        monitor_sock = os.path.join(tmpdir, "monitor.sock")
        cmd += ["-monitor", "unix:%s,server=on,wait=off" % monitor_sock]
    lines = []   # (host seconds since QEMU start, text)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    fd = proc.stdout.fileno()
    buf = b""
    timed_out = False
    halted = False
    early_fail = None
    deadline = t0 + timeout
    matched = 0   # for `halts`: how many expects matched so far, in order
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not r:
            continue
        now = time.monotonic()
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        # a line's timestamp is when its newline arrived (a line can start with leftovers
        # such as "Probing EDD ... ok" long before the kernel's text follows on it)
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            text = ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
            lines.append((now - t0, text))
            if args.verbose:
                say("  %s | %8.3f %s" % (logname, now - t0, text))
            due = [c for rx, c in monitor if rx.search(text)]
            if due:
                send_monitor(monitor_sock, due, lines, t0)
            if exp.halts is not None and matched < len(expects) and expects[matched].search(text):
                matched += 1
                if matched == len(expects):
                    # everything expected has shown; watch a little longer, then stop the guest
                    deadline = min(deadline, time.monotonic() + exp.halts)
                    halted = True
            if not early_fail:
                for rx in forbids:
                    if rx.search(text):
                        early_fail = "forbidden line: %r" % text
                        # let QEMU run a little longer so the log shows what followed
                        deadline = min(deadline, time.monotonic() + 3.0)
    if buf:
        lines.append((time.monotonic() - t0, buf.decode("utf-8", "replace")))
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    elapsed = time.monotonic() - t0
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)

    # ---- evaluate
    reason = None
    results = {}
    # a forbidden line (e.g. SCENARIO-FAIL reason) explains a failure best
    for rx in forbids:
        for _, text in lines:
            if rx.search(text):
                reason = reason or "forbidden line: %r" % text
                break
    i = 0
    for rx in expects:
        while i < len(lines) and not rx.search(lines[i][1]):
            i += 1
        if i >= len(lines):
            reason = reason or "expected line not seen (in order): %s" % rx.pattern
            break
        i += 1
    for rx in requires:
        if not any(rx.search(text) for _, text in lines):
            reason = reason or "required line not seen: %s" % rx.pattern
    for mname, (srx, erx) in measures.items():
        ts = te = None
        for t, text in lines:
            if ts is None:
                if srx.search(text):
                    ts = t
            elif erx.search(text):
                te = t
                break
        if ts is not None and te is not None:
            results[mname] = round(te - ts, 4)
        elif mname not in exp.optional:
            reason = reason or "measure %s: start or end line not seen" % mname
    for cname, rx in collects.items():
        vals = []
        for _, text in lines:
            m = rx.search(text)
            if m:
                vals.append(float(m.group(1)))
        results[cname] = vals
    if timed_out and not early_fail and not halted:
        # also a failure when every expectation was met: the guest must power off by itself
        reason = "timeout after %.0f s" % timeout + ("; " + reason if reason else
                                                      " (guest did not power off)")
    ok = reason is None

    with open(logpath, "w") as f:
        f.write("# scenario: %s\n# command: %s\n# result: %s\n" %
                (name, " ".join(shlex.quote(c) for c in cmd), "PASS" if ok else "FAIL: " + reason))
        if results:
            f.write("# results: %s\n" % json.dumps(results))
        f.write("# qemu exit status: %s, %.2f s\n" % (proc.returncode, elapsed))
        for t, text in lines:
            f.write("[%9.3f] %s\n" % (t, text))
    if args.results:
        with print_lock, open(args.results, "a") as f:
            f.write(json.dumps({"scenario": name, "tag": args.tag, "kexec": args.kexec,
                                "env": args.env, "ok": ok, "reason": reason,
                                "seconds": round(elapsed, 3), "results": results,
                                "log": logpath}) + "\n")
    return logname, ok, reason if reason else logpath, elapsed, results


def run_with_retries(name, args):
    """run_scenario, again up to args.retries times after a failure, each run with its own log
    (NAME-retryN.log), the failure said in a RETRY line; returns its result and the retries."""
    result = run_scenario(name, args)
    tries = 0
    while not result[1] and tries < args.retries:
        tries += 1
        say("RETRY %s: run %d failed: %s" % (result[0], tries, result[2]))
        again = argparse.Namespace(**vars(args))
        again.tag = (args.tag + "-" if args.tag else "") + "retry%d" % tries
        result = run_scenario(name, again)
    return result + (tries,)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--all", action="store_true",
                    help="every scenario with an .expect file and no 'tag bench' "
                         "(nor 'tag ours' unless --kexec is /bin/kexec)")
    ap.add_argument("--kexec", default=os.environ.get("KEXEC_GUEST", "/bin/kexec"),
                    help="binary the scenarios run inside the guest (KEXEC=); "
                         "/bin/kexec = ours, /bin/kexec-tools = Debian 12's, /bin/kexec-tools-2.0.32 = "
                         "sid's when fetched (default %(default)s)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra kernel parameter (unknown ones become init's environment)")
    ap.add_argument("--timeout", type=float, help="override the per-scenario timeout (s)")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="guests run in parallel")
    ap.add_argument("--tag", default="", help="suffix for the log file name")
    ap.add_argument("--results", help="append one JSON line per scenario to this file")
    ap.add_argument("--kernel", help="first kernel (default work/vm-cache/vmlinuz, or "
                                     "work/vm-cache/suite-SUITE/vmlinuz for KERNEL_SUITE)")
    ap.add_argument("--memory", type=int, default=1536)
    ap.add_argument("--cpu", help="QEMU -cpu for a native guest, instead of the scenario's")
    ap.add_argument("--firmware", choices=FIRMWARES,
                    help="seabios or ovmf for a native guest, instead of the scenario's "
                         "(ovmf adds %d s to the timeout)" % OVMF_EXTRA_TIMEOUT)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument")
    ap.add_argument("--log-dir", default=os.path.join(OUTROOT, "vm-logs"))
    ap.add_argument("--retries", type=int, default=0,
                    help="run a failed scenario again up to N times (each run logged; for known "
                         "emulator flakes, see tests/vm/README.md)")
    ap.add_argument("--no-quiet", action="store_true",
                    help="boot the first kernel without 'quiet' (debugging)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the console")
    args = ap.parse_args()

    names = list(args.scenarios)
    if args.all:
        for fn in sorted(os.listdir(SCEN_DIR)):
            if fn.endswith(".expect"):
                n = fn[:-len(".expect")]
                tags = Expect(n).tags
                # 'tag ours': a feature kexec-tools lacks (e.g. UKIs); not for the peer
                if "ours" in tags and args.kexec != "/bin/kexec":
                    continue
                # the Xen scenarios' dom0 modules are Debian 12's kernel's (mkxen.sh)
                if KERNEL_SUITE and Expect(n).machine == "xen":
                    continue
                # a feature of newer kernels (e.g. crash hotplug): not on older ones
                need = Expect(n).min_kernel
                have = kernel_version(args.kernel or os.path.join(KCACHE, "vmlinuz"))
                if need and have and have < need:
                    continue
                if "bench" not in tags and n not in names:
                    names.append(n)
    if not names:
        ap.error("no scenarios given")
    for n in names:
        Expect(n)  # validate early
        if not os.path.exists(os.path.join(SCEN_DIR, n + ".sh")):
            raise SystemExit("run.py: missing %s.sh" % n)

    # the images' /boot/vmlinuz (the second kernel) is the default first kernel (mkinitramfs.sh
    # records its name): a mismatch means KERNEL_SUITE or VM_OUT differ from the build's
    stamp = os.path.join(BUILD, "kernel")
    if not args.kernel and os.path.exists(stamp):
        with open(stamp) as f:
            built = f.read().strip()
        first = os.path.basename(os.path.realpath(os.path.join(KCACHE, "vmlinuz")))
        if built != first:
            raise SystemExit("run.py: %s was built with %s, but the first kernel would be %s: "
                             "set KERNEL_SUITE (and VM_OUT) as for mkinitramfs.sh, or --kernel"
                             % (BUILD, built, first))

    passed = failed = 0
    retried = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(run_with_retries, n, args) for n in names]
        for fut in concurrent.futures.as_completed(futs):
            logname, ok, info, elapsed, results, tries = fut.result()
            extra = (" " + json.dumps(results)) if results else ""
            if ok:
                passed += 1
                if tries:
                    retried.append(logname)
                say("PASS %s (%.1f s)%s%s" % (logname, elapsed, " after %d retry" % tries if tries else "", extra))
            else:
                failed += 1
                say("FAIL %s (%.1f s): %s [log: %s]%s" % (
                    logname, elapsed, info,
                    os.path.relpath(os.path.join(args.log_dir, logname + ".log")), extra))
    if retried:
        print("passed only on a retry (see the RETRY lines and both logs): %s" % " ".join(retried))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
