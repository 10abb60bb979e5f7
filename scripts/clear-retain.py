#!/usr/bin/env python3
"""Copies a static archive of Swift objects with SHF_GNU_RETAIN cleared on code and data sections.

Usage: scripts/clear-retain.py SRC.a DST.a  (prints how many sections it changed)

swiftc marks every public function and constant "used" (SHF_GNU_RETAIN on ELF) unless the module
was built with -internalize-at-link, so that a library's clients may call anything. The
toolchain's libswiftCore.a is built that way, so --gc-sections keeps all of its public API (and
the libm functions that API calls). A static executable has no clients outside its own link, so
build-static.sh links against copies with the flag cleared: the linker then keeps only what a
relocation reaches from the program, as it does for any C library. Only .text*, .rodata*, .data*
and .bss* sections of Swift objects (those with a .swift_modhash section) change; the swift5_*
metadata sections, which the runtime finds through __start_/__stop_ symbols and not through a
relocation, keep the flag, as does anything in C/C++ objects. Sizes and offsets do not change:
one bit per section header is cleared in place.
"""
import struct
import sys

SHF_GNU_RETAIN = 0x200000
PREFIXES = (".text", ".rodata", ".data", ".bss")


def clear_elf(b, base):
    """Clears the flag in the ELF64 little-endian object at b[base:]; returns the count."""
    if b[base:base + 4] != b"\x7fELF" or b[base + 4] != 2 or b[base + 5] != 1:
        return 0
    shoff = struct.unpack_from("<Q", b, base + 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, base + 0x3A)
    if shnum == 0:  # more than 0xff00 sections: the count is in section 0
        shnum = struct.unpack_from("<Q", b, base + shoff + 0x20)[0]
    if shstrndx == 0xFFFF:
        shstrndx = struct.unpack_from("<I", b, base + shoff + 0x28)[0]
    strtab = base + struct.unpack_from("<Q", b, base + shoff + shstrndx * shentsize + 0x18)[0]
    headers = []
    for i in range(shnum):
        h = base + shoff + i * shentsize
        off = strtab + struct.unpack_from("<I", b, h)[0]
        headers.append((h, bytes(b[off:b.index(0, off)])))
    if not any(name == b".swift_modhash" for _, name in headers):
        return 0
    count = 0
    for h, name in headers:
        flags = struct.unpack_from("<Q", b, h + 8)[0]
        if flags & SHF_GNU_RETAIN and name.decode().startswith(PREFIXES):
            struct.pack_into("<Q", b, h + 8, flags & ~SHF_GNU_RETAIN)
            count += 1
    return count


def main(src, dst):
    b = bytearray(open(src, "rb").read())
    if b[:8] != b"!<arch>\n":
        sys.exit(f"clear-retain: {src}: not an ar archive")
    pos, count = 8, 0
    while pos + 60 <= len(b):
        size = int(b[pos + 48:pos + 58].decode().strip())
        count += clear_elf(b, pos + 60)
        pos += 60 + size + (size & 1)
    with open(dst, "wb") as f:
        f.write(b)
    print(count)


if __name__ == "__main__":
    main(*sys.argv[1:])
