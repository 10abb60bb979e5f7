#!/bin/sh
# Build the guest images into work/vm/ (run scripts/vm/setup.sh first):
#   second.cpio.gz   busybox + /init (tests/vm/initramfs/second-init) + /marker.txt (random token,
#                    also written to work/vm/second.token for run.py) + /bin/efi-facts
#                    (tests/vm/initramfs/efi-facts) + /lib/modules/efivarfs.ko
#   first.cpio       uncompressed: busybox, /init (first-init), /bin/kexec (ours, $KEXEC_BIN,
#                    default work/kexec), /bin/kexec-tools + its libraries, /boot/vmlinuz,
#                    /boot/second.cpio.gz, /boot/bad-vmlinuz (first 4096 bytes of the kernel),
#                    /boot/vmlinuz.gz, /boot/vmlinuz.zst (the kernel compressed, for compressed-*),
#                    /boot/vmlinux.zst (the ELF vmlinux from the bzImage, extract-vmlinux.py),
#                    /boot/xen.gz (Xen 4.17, gzip as Debian ships it, for multiboot-*),
#                    /boot/uki.efi (see uki.efi), /boot/hello.elf (tests/vm/elf-hello.S, for
#                    elf-args-none), /scenarios/* (tests/vm/scenarios), /bin/efi-facts and
#                    /lib/modules/efivarfs.ko as in second.cpio.gz; when
#                    work/vm-cache/peer2/ exists (FETCH_KEXEC_TOOLS=1 scripts/vm/fetch-kernel.sh sid),
#                    the second peer: /bin/kexec-tools-VERSION (e.g. 2.0.32), a sh wrapper that runs
#                    /opt/SUITE/sbin/kexec through /opt/SUITE/lib/ld-linux-x86-64.so.2 (via the link
#                    /opt/SUITE/ld/kexec) with only the libraries in /opt/SUITE/lib (that suite's
#                    glibc is newer than the guest's)
#   uki.efi          a unified kernel image made with objcopy from Debian's systemd-boot stub
#                    (scripts/vm/setup.sh): .osrel, .cmdline "console=ttyS0 quiet panic=-1
#                    swiftkexec-uki=<marker token>" (also in uki.cmdline), .linux = the kernel,
#                    .initrd = second.cpio.gz, at page-aligned addresses above the stub's sections
#   first-bench.cpio first.cpio followed by an archive with /boot/big-initrd: second.cpio.gz then
#                    an uncompressed newc archive of random bytes, 64 MiB in all
#   kernel           the kernel's file name (e.g. vmlinuz-6.1.0-57-amd64): run.py checks its
#                    default first kernel against it
# Environment: KEXEC_BIN (our binary; a dynamic one gets its libraries copied too),
#              BIG_INITRD_BYTES (default 67108864), NO_BENCH=1 (skip first-bench.cpio),
#              VM_OUT (build into $VM_OUT/vm instead of work/vm, e.g. for a second user),
#              KERNEL_SUITE=sid (that suite's kernel and efivarfs.ko from scripts/vm/fetch-kernel.sh
#              instead of Debian 12's; VM_OUT defaults to work/SUITE so the images do not mix).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/work/vm-cache"
OUT="${VM_OUT:-$ROOT/work${KERNEL_SUITE:+/$KERNEL_SUITE}}/vm"
# where the kernel and its efivarfs.ko are: setup.sh's, or fetch-kernel.sh's for KERNEL_SUITE
KCACHE="$CACHE${KERNEL_SUITE:+/suite-$KERNEL_SUITE}"
SETUP="${KERNEL_SUITE:+KERNEL_SUITE=$KERNEL_SUITE }scripts/vm/setup.sh"
CPIO="python3 $ROOT/scripts/vm/cpio.py"
KEXEC_BIN=${KEXEC_BIN:-$ROOT/work/kexec}
BIG=${BIG_INITRD_BYTES:-67108864}

die() { echo "mkinitramfs: ERROR: $*" >&2; exit 1; }
log() { echo "mkinitramfs: $*"; }

VMLINUZ="$KCACHE/vmlinuz"
KT="$CACHE/kexec-tools"
STUB="$CACHE/systemd-boot/linuxx64.efi.stub"
EFIVARFS="$KCACHE/efi-modules/efivarfs.ko"
[ -e "$VMLINUZ" ] || die "$VMLINUZ missing: run $SETUP"
[ -x "$KT/kexec" ] || die "$KT/kexec missing: run scripts/vm/setup.sh"
[ -s "$STUB" ] || die "$STUB missing: run scripts/vm/setup.sh"
[ -s "$EFIVARFS" ] || die "$EFIVARFS missing: run $SETUP"
command -v objcopy >/dev/null && command -v objdump >/dev/null || die "objcopy/objdump not found (apt-get install binutils)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || die "busybox not found (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
fi
# efi-facts loads efivarfs.ko with it
"$BUSYBOX" --list | grep -qx insmod || die "$BUSYBOX has no insmod applet"

mkdir -p "$OUT"
STAGE="$OUT/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE/second" "$STAGE/first"

# ---------------------------------------------------------------- second initramfs
S="$STAGE/second"
mkdir -p "$S/bin" "$S/proc" "$S/dev" "$S/lib/modules"
cp "$BUSYBOX" "$S/bin/busybox"
ln -s busybox "$S/bin/sh"
install -m 0755 "$ROOT/tests/vm/initramfs/second-init" "$S/init"
install -m 0755 "$ROOT/tests/vm/initramfs/efi-facts" "$S/bin/efi-facts"
install -m 0644 "$EFIVARFS" "$S/lib/modules/efivarfs.ko"
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$TOKEN" > "$S/marker.txt"
$CPIO tree "$OUT/second.cpio.gz.new" "$S" --gzip --nod /dev/console:c:5:1:600
mv "$OUT/second.cpio.gz.new" "$OUT/second.cpio.gz"
echo "$TOKEN" > "$OUT/second.token"
log "second.cpio.gz: $(wc -c < "$OUT/second.cpio.gz") bytes, marker $TOKEN"

# ---------------------------------------------------------------- unified kernel image
# Each added section gets its own page-aligned address after the highest end (VMA + size)
# of the stub's sections, so nothing overlaps in the image's memory layout.
U="$STAGE/uki"
mkdir -p "$U"
printf 'ID=debian\nPRETTY_NAME="swift-kexec test UKI"\n' > "$U/osrel"
printf 'console=ttyS0 quiet panic=-1 swiftkexec-uki=%s\n' "$TOKEN" > "$U/cmdline"
end=0
for sv in $(objdump -h "$STUB" | awk '$1 ~ /^[0-9]+$/ { print $3 ":" $4 }'); do
    e=$((0x${sv%%:*} + 0x${sv##*:}))
    [ "$e" -gt "$end" ] && end=$e
done
[ "$end" -gt 0 ] || die "objdump -h $STUB shows no sections"
page() { echo $((($1 + 4095) / 4096 * 4096)); }
osrel=$(page "$end")
cmdline=$(page $((osrel + $(wc -c < "$U/osrel"))))
linux=$(page $((cmdline + $(wc -c < "$U/cmdline"))))
initrd=$(page $((linux + $(wc -c < "$VMLINUZ"))))
objcopy --add-section .osrel="$U/osrel" --change-section-vma .osrel="$osrel" \
        --add-section .cmdline="$U/cmdline" --change-section-vma .cmdline="$cmdline" \
        --add-section .linux="$VMLINUZ" --change-section-vma .linux="$linux" \
        --add-section .initrd="$OUT/second.cpio.gz" --change-section-vma .initrd="$initrd" \
        "$STUB" "$OUT/uki.efi.new" || die "objcopy failed to build the UKI"
mv "$OUT/uki.efi.new" "$OUT/uki.efi"
head -n 1 "$U/cmdline" > "$OUT/uki.cmdline"
log "uki.efi: $(wc -c < "$OUT/uki.efi") bytes; $(printf '.osrel 0x%x .cmdline 0x%x .linux 0x%x .initrd 0x%x' "$osrel" "$cmdline" "$linux" "$initrd")"

# ---------------------------------------------------------------- first initramfs
F="$STAGE/first"
mkdir -p "$F/bin" "$F/sbin" "$F/boot" "$F/proc" "$F/sys" "$F/dev" "$F/tmp" "$F/run" \
         "$F/lib/x86_64-linux-gnu" "$F/lib64" "$F/lib/modules" "$F/scenarios"
cp "$BUSYBOX" "$F/bin/busybox"
ln -s busybox "$F/bin/sh"
install -m 0755 "$ROOT/tests/vm/initramfs/first-init" "$F/init"
install -m 0755 "$ROOT/tests/vm/initramfs/efi-facts" "$F/bin/efi-facts"
install -m 0644 "$EFIVARFS" "$F/lib/modules/efivarfs.ko"
# dummy.ko (Debian 12's kernel only, from setup.sh): exec-returns takes its interface down
[ ! -s "$KCACHE/net-modules/dummy.ko" ] || install -m 0644 "$KCACHE/net-modules/dummy.ko" "$F/lib/modules/dummy.ko"

# the peer: Debian's kexec-tools with its libraries (glibc's loader at /lib64)
install -m 0755 "$KT/kexec" "$F/bin/kexec-tools"
for so in "$KT"/lib/*.so*; do
    case "$(basename "$so")" in
        ld-linux-x86-64.so.2) install -m 0755 "$so" "$F/lib64/ld-linux-x86-64.so.2" ;;
        *) install -m 0755 "$so" "$F/lib/x86_64-linux-gnu/" ;;
    esac
done

# the second peer (fetch-kernel.sh's FETCH_KEXEC_TOOLS=1), its glibc and libraries apart in /opt
P2="$CACHE/peer2"
if [ -e "$P2/.complete" ]; then
    read -r _ p2ver p2suite < "$P2/package"
    p2up=${p2ver#*:}; p2up=${p2up%-*}
    mkdir -p "$F/opt/$p2suite/sbin" "$F/opt/$p2suite/lib" "$F/opt/$p2suite/ld"
    install -m 0755 "$P2/sbin/kexec" "$F/opt/$p2suite/sbin/kexec"
    install -m 0755 "$P2"/lib/* "$F/opt/$p2suite/lib/"
    # the loader is started through a link named kexec: the process's name (comm, in the
    # kernel's messages such as "Lockdown: kexec: …") is then kexec, not ld-linux-x86-64
    ln -s ../lib/ld-linux-x86-64.so.2 "$F/opt/$p2suite/ld/kexec"
    printf '#!/bin/sh\n# kexec-tools %s from Debian %s, with its own glibc\nexec /opt/%s/ld/kexec --library-path /opt/%s/lib /opt/%s/sbin/kexec "$@"\n' \
        "$p2ver" "$p2suite" "$p2suite" "$p2suite" "$p2suite" > "$F/bin/kexec-tools-$p2up"
    chmod 0755 "$F/bin/kexec-tools-$p2up"
    log "second peer: kexec-tools $p2ver ($p2suite, $(du -sk "$F/opt/$p2suite" | cut -f1) KiB) -> /bin/kexec-tools-$p2up"
fi

# ours
if [ -e "$KEXEC_BIN" ]; then
    install -m 0755 "$KEXEC_BIN" "$F/bin/kexec"
    if ldd "$KEXEC_BIN" >/dev/null 2>&1; then
        log "note: $KEXEC_BIN is dynamically linked; copying its libraries"
        ldd "$KEXEC_BIN" | awk '/=> \// {print $3}' | while read -r so; do
            [ -e "$F/lib/x86_64-linux-gnu/$(basename "$so")" ] ||
                install -m 0755 "$so" "$F/lib/x86_64-linux-gnu/"
        done
    fi
    log "ours: $KEXEC_BIN ($(wc -c < "$KEXEC_BIN") bytes) -> /bin/kexec"
else
    log "WARNING: $KEXEC_BIN does not exist: the image has no /bin/kexec (only KEXEC=/bin/kexec-tools works)"
fi

cp "$VMLINUZ" "$F/boot/vmlinuz"
cp "$OUT/second.cpio.gz" "$F/boot/second.cpio.gz"
cp "$OUT/uki.efi" "$F/boot/uki.efi"
# the kdump capture initramfs (scripts/vm/mkcapture.sh), when it has been built
[ -e "$OUT/capture.cpio.gz" ] && cp "$OUT/capture.cpio.gz" "$F/boot/capture.cpio.gz"
head -c 4096 "$VMLINUZ" > "$F/boot/bad-vmlinuz"
gzip -9 -n -c < "$VMLINUZ" > "$F/boot/vmlinuz.gz"
zstd -q -19 -c < "$VMLINUZ" > "$F/boot/vmlinuz.zst" || die "zstd failed (apt-get install zstd)"
# the ELF vmlinux inside the bzImage, zstd-compressed to keep the image small (elf-* scenarios)
python3 "$ROOT/scripts/vm/extract-vmlinux.py" "$VMLINUZ" "$STAGE/vmlinux" > /dev/null || die "extract-vmlinux failed"
zstd -q -8 -c < "$STAGE/vmlinux" > "$F/boot/vmlinux.zst" || die "zstd failed"
rm -f "$STAGE/vmlinux"
# a bare ELF64 that prints its rsi and halts (elf-args-none), linked at 16 MiB
as --64 -o "$STAGE/hello.o" "$ROOT/tests/vm/elf-hello.S" || die "as failed on tests/vm/elf-hello.S"
ld -static -nostdlib --build-id=none -z max-page-size=4096 -Ttext=0x1000000 -e _start \
    -o "$F/boot/hello.elf" "$STAGE/hello.o" || die "ld failed for hello.elf"
rm -f "$STAGE/hello.o"
# Xen 4.17 as Debian ships it (gzip), for the multiboot scenarios
XEN_ELF="$ROOT/work/vm-cache/xen/xen.elf"
[ -s "$XEN_ELF" ] && gzip -9 -n -c < "$XEN_ELF" > "$F/boot/xen.gz"
for s in "$ROOT"/tests/vm/scenarios/*.sh; do
    install -m 0755 "$s" "$F/scenarios/"
done
$CPIO tree "$OUT/first.cpio.new" "$F" --nod /dev/console:c:5:1:600 --nod /dev/null:c:1:3:666
mv "$OUT/first.cpio.new" "$OUT/first.cpio"
# /boot/vmlinuz is the second kernel: run.py refuses to boot another one first by default
basename "$(readlink -f "$VMLINUZ")" > "$OUT/kernel"
log "first.cpio: $(wc -c < "$OUT/first.cpio") bytes"

# ---------------------------------------------------------------- benchmark variant
if [ "${NO_BENCH:-0}" != 1 ]; then
    B="$STAGE/bench"
    mkdir -p "$B/boot"
    $CPIO bigpad "$B/boot/big-initrd" "$OUT/second.cpio.gz" "$BIG"
    $CPIO tree "$OUT/bench-extra.cpio" "$B"
    cat "$OUT/first.cpio" "$OUT/bench-extra.cpio" > "$OUT/first-bench.cpio.new"
    mv "$OUT/first-bench.cpio.new" "$OUT/first-bench.cpio"
    rm -f "$OUT/bench-extra.cpio"
    log "first-bench.cpio: $(wc -c < "$OUT/first-bench.cpio") bytes (big-initrd $BIG bytes)"
else
    # a stale one would carry an old second.cpio.gz whose marker no longer matches
    rm -f "$OUT/first-bench.cpio"
fi
rm -rf "$STAGE"
log "done"
