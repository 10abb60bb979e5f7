#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/<target>/seed-* (run from anywhere; needs gzip, xz, dtc,
zstd). Regression inputs (regress-*) are crashes the fuzzer found and are kept as they are.
The input layouts are described at the top of each fuzz/Sources/KexecFuzz/*Target.swift."""
import os
import random
import re
import struct
import subprocess

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")
rng = random.Random(1234)


def put(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, "seed-" + name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def pack(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


# A bzImage (protocol 2.15, 64-bit, relocatable) from the image target's seed-0.
with open(os.path.join(corpus, "image", "seed-0"), "rb") as f:
    kernel = f.read()[9:]

# image: a kernel past 64 KiB, so -max_len above it is exercised from the start.
body = bytes(rng.randrange(256) for _ in range(200 << 10))
put("image", "large", bytes(9) + kernel + body)

# decompress: byte 0 = 2 (1 MiB limit, detect by magic), then the file.
tools = {"gzip": ["gzip", "-9nc"], "xz": ["xz", "-c"], "lzma": ["xz", "--format=lzma", "-c"],
         "zstd": ["zstd", "-q", "-c"]}
bomb = bytes(64 << 20)
for name, cmd in tools.items():
    packed = pack(cmd, kernel + body[:4096])
    put("decompress", name + "-kernel", b"\x02" + packed)
    put("decompress", name + "-truncated", b"\x02" + packed[: len(packed) // 2])
    put("decompress", name + "-bomb", b"\x01" + pack(cmd, bomb))
put("decompress", "gzip-past-64k", b"\x02" + pack(tools["gzip"], body[:100 << 10]))
put("decompress", "gzip-members-and-padding",
    b"\x02" + pack(tools["gzip"], kernel) + pack(tools["gzip"], b"tail") + bytes(512))
put("decompress", "xz-sha256-two-streams",
    b"\x02" + pack(["xz", "--check=sha256", "-c"], kernel) + pack(["xz", "--check=none", "-c"], b"more"))
put("decompress", "zstd-skippable-two-frames",
    b"\x02" + struct.pack("<II", 0x184D2A50, 4) + b"skip" + pack(tools["zstd"], kernel) + pack(tools["zstd"], b"x"))
# Forced format (bit 2, format index in bits 3-4: gzip, xz, lzma, zstd): lzma without the
# usual properties byte, so detection by magic would not see it.
put("decompress", "lzma-forced-lc0", bytes([0x06 | 2 << 3]) + pack(["xz", "--format=lzma", "--lzma1=lc=0,lp=0,pb=0", "-c"], kernel))

# memmap and crash: /proc/iomem texts.
iomem_vm = """00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-bfffffff : System RAM
  01000000-022784c7 : Kernel code
  02400000-02e0bfff : Kernel rodata
  03000000-0327c0ff : Kernel data
  03b36000-03c66fff : Kernel bss
  b0000000-bfffffff : Crash kernel
c0001000-eebfffff : PCI Bus 0000:00
eec00000-febfffff : Reserved
  eec00000-eecfffff : PCI ECAM 0000 [bus 00-00]
fec00000-fec003ff : IOAPIC 0
fee00000-fee00fff : Local APIC
100000000-63fffffff : System RAM
4000000000-7fffffffff : PCI Bus 0000:00
  4000000000-400007ffff : 0000:00:01.0
    4000000000-400007ffff : virtio-pci-modern
"""
iomem_pmem = """00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000f0000-000fffff : Reserved
00100000-7ffdbfff : System RAM
  01000000-01e0251f : Kernel code
  6b000000-7affffff : Crash kernel
7ffdc000-7fffffff : ACPI Tables
b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]
100000000-47fffffff : System RAM
  47f000000-47fffffff : Crash kernel
480000000-4bfffffff : Persistent Memory
  480000000-4bfffffff : dax0.0
    480000000-4bfffffff : System RAM (kmem)
4c0000000-4cfffffff : Persistent Memory (legacy)
4d0000000-4dfffffff : ACPI Non-volatile Storage
"""
put("memmap", "iomem-vm", iomem_vm)
put("memmap", "iomem-pmem-kmem", iomem_pmem)
put("memmap", "iomem-non-root", re.sub(r"^( *)[0-9a-f]+-[0-9a-f]+", r"\g<1>00000000-00000000", iomem_vm, flags=re.M))
put("memmap", "memmap-0x", "0x0-0x9fbff : System RAM\n0x9fc00-0x9ffff : Reserved\n"
    "0x100000-0x7ffdffff : System RAM\n0x7ffe0000-0x7fffffff : Reserved\n0xfeffc000-0xfeffffff : Reserved\n")

# crash: iomem \0 CPU notes \0 vmcoreinfo \0 kallsyms \0 kcore.
page_offset, text_virtual, text_physical = 0xffff9e4a40000000, 0xffffffff9a000000, 0x1000000


unknown = 0xffffffffffffffff


def kcore(text_physical=text_physical):
    phdrs = [(4, 0, 0x1000, 0, 0, 0x1000, 0, 0),                       # PT_NOTE
             (1, 7, 0x7fff9a003000, text_virtual, text_physical, 0x2c00000, 0x2c00000, 4096),
             (1, 7, 0x4a00003000, 0xffffb00000000000, unknown, 1 << 44, 1 << 44, 4096),
             (1, 7, 0x2000, page_offset + 0x100000000, 0x100000000, 0x380000000, 0x380000000, 4096),
             (1, 7, 0x2000, page_offset + 0x1000, 0x1000, 0x9e000, 0x9e000, 4096)]
    ehdr = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    return ehdr + b"".join(struct.pack("<IIQQQQQQ", *p) for p in phdrs)


notes = "".join("%x 408\n" % (0x23e01c000 + cpu * 0x40000) for cpu in range(4))
kallsyms = "0000000000000000 A fixed_percpu_data\nffffffff9a000000 T _text\nffffffff9a001000 T _stext\n"
many_symbols = "".join("ffffffff9a%06x t padding_symbol_%d\n" % (0x100 + i, i) for i in range(2500))


def crash(iomem, notes, vmcoreinfo, kallsyms, core):
    return b"\0".join([iomem.encode(), notes.encode(), vmcoreinfo.encode(), kallsyms.encode(), core])


put("crash", "host", crash(iomem_pmem, notes, "0x0000000002b7a000 1024\n", kallsyms, kcore()))
# Text without a physical address in kcore: "Kernel code" gives it; vmcoreinfo before Linux 4.x.
put("crash", "vm-old-vmcoreinfo", crash(iomem_vm, "0x3fc1c000 400\n0x3fc5c000 400\n", "2b7a000 1024\n", kallsyms,
                                        kcore(text_physical=unknown)))
put("crash", "kallsyms-past-64k", crash(iomem_pmem, notes, "0x0000000002b7a000 1024\n",
                                        many_symbols + kallsyms, kcore()))
put("crash", "cpu-without-notes", crash(iomem_pmem, notes + "\n", "0x0000000002b7a000 1024\n", kallsyms, kcore()))

# xen: flags, CPUs with notes, [dom0 vmcoreinfo], map (reported count, given, entries), then
# (size, start) for the crash range, each CPU and Xen's VMCOREINFO.
def e820(entries):
    return struct.pack("<IB", len(entries), len(entries)) + b"".join(struct.pack("<QQI", *e) for e in entries)


pc = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2), (0x100000, 0x7fee0000, 1), (0xfffc0000, 0x40000, 2)]
ranges = struct.pack("<QQ", 0x10000000, 0x20000000) + struct.pack("<QQQQ", 500, 0x70000000, 404, 0x70001000) \
    + struct.pack("<QQ", 4096, 0x71000000)
put("xen", "dom0-crash", bytes([0, 2]) + e820(pc) + ranges)
put("xen", "dom0-vmcoreinfo", bytes([0x10, 2]) + b"0x0000000002b7a000 1024\n".ljust(32, b"\0") + e820(pc) + ranges)
put("xen", "no-crash-region", bytes([4, 0]) + e820(pc))
put("xen", "reserved-crash-region", bytes([0, 1]) + e820(pc[:3] + [(0x100000, 0x1ff00000, 1), (0x20000000, 0x10000000, 2),
                                                           (0x30000000, 0x50000000, 1)]) + ranges)
put("xen", "big-map", bytes([4, 0]) + e820([(i << 24, 1 << 23, 1 + i % 5) for i in range(120)]))

# cmdline: /proc/cmdline \0 --append \0 --serial.
running = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b3c1d8e ro quiet crashkernel=256M console=ttyS0,115200\n"
put("cmdline", "reuse-and-append", running + "\0irqpoll nr_cpus=1 reset_devices\0ttyS1")
put("cmdline", "reuse-only", running)
put("cmdline", "empty-append", running + "\0\0" + "0x2f8")
put("cmdline", "too-long", "\0" + "x" * 4200 + "\0" + "65535")
put("cmdline", "tabs-and-newlines", "a\tb\n\nBOOT_IMAGE=x\tcrashkernel=1G-:256M c\0 d \0ttyS9")

# arm64: byte 0 even = a kernel file, odd = a DTB.
image = bytearray(64 + 4096)
struct.pack_into("<IIQQQQQQI", image, 0, 0x14000000, 0, 0, 0x10000 + len(image), 0xA, 0, 0, 0, 0x644D5241)
put("arm64", "image", b"\x00" + bytes(image))
zimg = bytearray(64 + 256)
zimg[0:2] = b"MZ"
zimg[4:8] = b"zimg"
struct.pack_into("<II", zimg, 8, 64, 256)
zimg[24:28] = b"gzip"
put("arm64", "zboot", b"\x00" + bytes(zimg))
dts = """/dts-v1/;
/memreserve/ 0x48000000 0x1000;
/ { #address-cells = <2>; #size-cells = <2>; compatible = "linux,dummy-virt";
    memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x80000000>; };
    chosen { bootargs = "console=ttyAMA0"; stdout-path = "/pl011@9000000"; };
    pl011@9000000 { compatible = "arm,pl011", "arm,primecell"; reg = <0x0 0x9000000 0x0 0x1000>; };
};
"""
put("arm64", "dtb", b"\x01" + pack(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"], dts.encode()))
