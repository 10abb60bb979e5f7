#!/usr/bin/env python3
"""Minimal "newc" cpio writer for the VM test harness (stdlib only, no root needed).

  cpio.py tree OUT DIR [--gzip] [--nod PATH:c|b:MAJOR:MINOR:MODE ...]
      Archive the contents of DIR (files, directories, symlinks; owner root:root,
      mtime 0, entries sorted) plus extra device nodes (e.g. /dev/console:c:5:1:600).

  cpio.py bigpad OUT PREFIX TOTAL_BYTES [--name NAME]
      Write PREFIX (e.g. a gzipped cpio archive), zero bytes up to a 4-byte boundary,
      then an uncompressed newc archive holding one file NAME filled with random bytes,
      then zero bytes so that OUT is exactly TOTAL_BYTES long.  The kernel unpacks
      concatenated initramfs archives and skips zero padding between them, so the
      result is still an initrd the kernel accepts.
"""
import gzip
import os
import stat
import sys

TRAILER = "TRAILER!!!"


def _pad4(n):
    return (4 - n % 4) % 4


class Writer:
    def __init__(self, fh):
        self.fh = fh
        self.pos = 0
        self.ino = 1

    def _w(self, b):
        self.fh.write(b)
        self.pos += len(b)

    def entry(self, name, mode, data=b"", rdev=(0, 0), size=None, chunks=None):
        name_b = name.encode() + b"\0"
        if size is None:
            size = len(data)
        fields = [self.ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, size,
                  0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._w(hdr + name_b + b"\0" * _pad4(110 + len(name_b)))
        if chunks is not None:
            for c in chunks:
                self._w(c)
        else:
            self._w(data)
        self._w(b"\0" * _pad4(size))

    def trailer(self, align=512):
        self.entry(TRAILER, 0)
        self._w(b"\0" * ((align - self.pos % align) % align))


def cmd_tree(args):
    out, root = args[0], args[1]
    rest = args[2:]
    use_gzip = False
    nods = []
    while rest:
        a = rest.pop(0)
        if a == "--gzip":
            use_gzip = True
        elif a == "--nod":
            nods.append(rest.pop(0))
        else:
            sys.exit("cpio.py tree: unknown argument %r" % a)
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            entries.append(os.path.relpath(full, root))
    entries.sort()
    tmp = out + ".tmp"
    raw = open(tmp, "wb")
    fh = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) if use_gzip else raw
    w = Writer(fh)
    for rel in entries:
        full = os.path.join(root, rel)
        st = os.lstat(full)
        perm = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            w.entry(rel, stat.S_IFLNK | 0o777, os.readlink(full).encode())
        elif stat.S_ISDIR(st.st_mode):
            w.entry(rel, stat.S_IFDIR | perm)
        elif stat.S_ISREG(st.st_mode):
            size = st.st_size

            def chunks(path=full):
                with open(path, "rb") as f:
                    while True:
                        c = f.read(1 << 20)
                        if not c:
                            return
                        yield c
            w.entry(rel, stat.S_IFREG | perm, size=size, chunks=chunks())
        else:
            sys.exit("cpio.py tree: unsupported file type: %s" % full)
    for spec in nods:
        path, kind, major, minor, mode = spec.split(":")
        fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
        w.entry(path.lstrip("/"), fmt | int(mode, 8), rdev=(int(major), int(minor)))
    w.trailer()
    if use_gzip:
        fh.close()
    raw.close()
    os.replace(tmp, out)


def cmd_bigpad(args):
    out, prefix, total = args[0], args[1], int(args[2])
    name = "padding.bin"
    if len(args) > 3:
        if args[3] != "--name":
            sys.exit("cpio.py bigpad: unknown argument %r" % args[3])
        name = args[4]
    with open(prefix, "rb") as f:
        pre = f.read()
    start = len(pre) + _pad4(len(pre))
    name_b = len(name) + 1
    hdr = 110 + name_b + _pad4(110 + name_b)
    trailer = 110 + len(TRAILER) + 1
    trailer += _pad4(trailer)
    size = total - start - hdr - trailer
    size -= size % 4
    if size <= 0:
        sys.exit("cpio.py bigpad: TOTAL_BYTES too small")
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(pre + b"\0" * (start - len(pre)))
        w = Writer(fh)
        w.pos = start

        def rnd(n=size):
            while n > 0:
                c = os.urandom(min(n, 1 << 20))
                n -= len(c)
                yield c
        w.entry(name, stat.S_IFREG | 0o644, size=size, chunks=rnd())
        w.entry(TRAILER, 0)
        fh.write(b"\0" * (total - w.pos))
    if os.path.getsize(tmp) != total:
        sys.exit("cpio.py bigpad: internal size error")
    os.replace(tmp, out)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("tree", "bigpad"):
        sys.exit(__doc__)
    {"tree": cmd_tree, "bigpad": cmd_bigpad}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
