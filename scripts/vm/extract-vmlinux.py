#!/usr/bin/env python3
"""Extract the ELF vmlinux from a bzImage: the setup header's payload_offset/payload_length
(Linux Documentation/arch/x86/boot.rst, protocol 2.08+) locate the compressed kernel, which
is decompressed by its magic (xz, gzip, zstd). Used to build the elf-* scenarios' vmlinux.

usage: extract-vmlinux.py BZIMAGE OUT
"""
import gzip, io, lzma, struct, subprocess, sys


def payload(image):
    if image[0x1fe:0x200] != b"\x55\xaa" or image[0x202:0x206] != b"HdrS":
        raise SystemExit("extract-vmlinux: not a bzImage (no boot_flag/HdrS)")
    version = struct.unpack_from("<H", image, 0x206)[0]
    if version < 0x208:
        raise SystemExit("extract-vmlinux: boot protocol %x has no payload fields" % version)
    setup_sects = image[0x1f1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + offset
    return image[start:start + length]


def decompress(data):
    if data.startswith(b"\xfd7zXZ\x00"):
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        return d.decompress(data)          # the kernel appends its size after the stream
    if data.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=io.BytesIO(data)).read()
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        # zstd (Debian's 7.x) reads the appended size as a broken second frame: leave it out
        size = struct.unpack_from("<I", data, len(data) - 4)[0]
        out = subprocess.run(["zstd", "-dc"], input=data[:-4], stdout=subprocess.PIPE, check=True).stdout
        if len(out) != size:
            raise SystemExit("extract-vmlinux: zstd gave %d bytes, the image says %d" % (len(out), size))
        return out
    raise SystemExit("extract-vmlinux: unknown payload compression %s" % data[:6].hex())


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    elf = decompress(payload(open(sys.argv[1], "rb").read()))
    if not elf.startswith(b"\x7fELF"):
        raise SystemExit("extract-vmlinux: the payload is not an ELF file")
    with open(sys.argv[2], "wb") as f:
        f.write(elf)
    print("extract-vmlinux: %s: %d bytes" % (sys.argv[2], len(elf)))


main()
