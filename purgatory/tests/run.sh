#!/usr/bin/env bash
# Runs the purgatory blob for real under QEMU TCG, without Linux: a small multiboot test
# kernel (boot.S, kernel.c) enters long mode with CR4 = PAE only and a GDT that does not
# have 0x10/0x18 (and that it overwrites before the jump), copies the blob to 48 MiB,
# fills the parameter block and jumps to purgatory_start. Checks:
#   e2e      regions verified, every register and rsp as given, CS=0x10, DS=SS=ES=0x18,
#            640 KiB backup copied from physical address 0 (-cpu max: BMI2 SHA-256 copy)
#   e2e64    the same with rsp=0 (purgatory's own stack) on -cpu qemu64 (plain copy)
#   corrupt  one byte changed: the mismatch line on the serial port, and no jump
#   skip     the same corruption with flags bit0 set: jumps
#   console  flags bit2 (--console-serial): "verifying N regions" (or "digest checks skipped"
#            with bit0) and "jumping to 0x..." on the serial port before the landing
# --bench    also hashes 16 MiB five times per CPU model and prints the best MB/s
#            (guest TSC; the host is rarely quiet, so compare runs made side by side)
# --peer     with --bench: the same for kexec-tools' purgatory SHA-256, taken from the
#            Debian kexec-tools package (apt-get download; its purgatory object is linked
#            into the test kernel with prefixed symbols), and the ratio of the two times
# --rounds N repeat the benchmark N times (ours and kexec-tools back to back in each
#            round, so both see the same host load) and print the median ratio per CPU
#
# Uses the committed Sources/KexecCore/Purgatory/PurgatoryBlob.swift state: it runs
# `purgatory/build.sh --check` first. Needs qemu-system-x86_64, gcc, GNU binutils, python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench=0
peer=0
rounds=1
while [ $# -gt 0 ]; do
    a=$1
    shift
    case "$a" in
        --rounds) rounds=$1; shift ;;
        --bench) bench=1 ;;
        --peer) peer=1; bench=1 ;;
        *) echo "usage: $0 [--bench] [--peer] [--rounds N]" >&2; exit 2 ;;
    esac
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/purgatory-qemu.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

PURGATORY_OUT="$tmp" bash "$here/../build.sh" --check >/dev/null
sym() { printf '0x%s' "$(nm "$tmp/purgatory.elf" | awk -v n="$1" '$3 == n { print $1 }')"; }
memsize=$(( ( $(sym purgatory_image_end) + 4095 ) / 4096 * 4096 ))

peer_obj=()
peer_def=()
if [ "$peer" = 1 ]; then
    (cd "$tmp" && apt-get download kexec-tools >/dev/null 2>&1) || { echo "apt-get download kexec-tools failed" >&2; exit 1; }
    dpkg-deb -x "$tmp"/kexec-tools_*.deb "$tmp/kt"
    python3 - "$tmp/kt/sbin/kexec" "$tmp/kt-purgatory.o" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
i = 0
while True:
    i = data.find(b"\x7fELF\x02\x01\x01", i + 1)
    if i < 0:
        sys.exit("no embedded purgatory object found")
    if struct.unpack_from("<H", data, i + 16)[0] == 1:          # ET_REL
        shoff = struct.unpack_from("<Q", data, i + 0x28)[0]
        entsize, num = struct.unpack_from("<HH", data, i + 0x3a)
        open(sys.argv[2], "wb").write(data[i:i + shoff + entsize * num])
        break
PY
    objcopy --prefix-symbols=kt_ "$tmp/kt-purgatory.o" "$tmp/kt.o"
    peer_obj=("$tmp/kt.o")
    peer_def=(-DWITH_PEER)
fi

gcc -c -O2 -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-pic -fno-pie \
    -mno-sse -mno-mmx -mno-red-zone -fno-stack-protector -fno-asynchronous-unwind-tables \
    -DPARAMS_OFF="$(sym purgatory_params)" -DSHA_OFF="$(sym purgatory_sha256)" \
    -DENTRY_OFF="$(sym purgatory_start)" -DSTACKTOP_OFF="$(sym stack_top)" -DMEMSIZE="$memsize" \
    "${peer_def[@]}" "$here/kernel.c" -o "$tmp/kernel.o"
as --64 -I "$tmp" "$here/boot.S" -o "$tmp/boot.o"
ld -nostdlib -static -no-pie -T "$here/kernel.ld" -o "$tmp/kernel64.elf" "$tmp/boot.o" "$tmp/kernel.o" "${peer_obj[@]}"
objcopy -O elf32-i386 "$tmp/kernel64.elf" "$tmp/kernel.elf"

# Expected digests of the test kernel's xorshift64 data (region 0: LEN bytes from seed 1,
# region 1: 12345 bytes starting 3 bytes into the stream of seed 2).
digests() {
    python3 - "$1" <<'PY'
import hashlib, struct, sys
def stream(seed, n):
    x, m, words = seed, (1 << 64) - 1, []
    for _ in range((n + 7) // 8):
        x ^= (x << 13) & m; x ^= x >> 7; x ^= (x << 17) & m
        words.append(x)
    return struct.pack("<%dQ" % len(words), *words)[:n]
n = int(sys.argv[1])
print(hashlib.sha256(stream(0x9E3779B97F4A7C15, n)).hexdigest(),
      hashlib.sha256(stream(0x0123456789ABCDEF, 12345 + 8)[3:3 + 12345]).hexdigest())
PY
}

boot() { # cpu seconds cmdline...
    local cpu=$1 secs=$2; shift 2
    timeout "$secs" qemu-system-x86_64 -accel tcg -cpu "$cpu" -m 512 -display none -serial stdio \
        -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$tmp/kernel.elf" \
        -append "$*" 2>/dev/null || true
}

failed=0
check() { # name output expected-regex [forbidden-regex]
    if grep -q -E "$3" <<<"$2" && { [ -z "${4:-}" ] || ! grep -q -E "$4" <<<"$2"; }; then
        echo "ok    $1"
    else
        echo "FAIL  $1"; sed 's/^/      | /' <<<"$2"; failed=1
    fi
}

len=1000000
read -r d0 d1 < <(digests $len)
out=$(boot max 60 mode=e2e len=$len d0="$d0" d1="$d1" backup=655360 backupsrc=0)
check "e2e (-cpu max, BMI2 copy, backup from 0)" "$out" '^E2E OK' 'FAIL|mismatch'
out=$(boot qemu64 60 mode=e2e len=$len d0="$d0" d1="$d1" rsp=0 backup=4097 backupsrc=0x100003)
check "e2e (-cpu qemu64, plain copy, own stack)" "$out" '^E2E OK' 'FAIL|mismatch'
out=$(boot max 15 mode=corrupt len=$len d0="$d0" d1="$d1")
check "corrupt region stops with a message" "$out" \
    '^purgatory: sha256 mismatch in region 1 at 0xa000003 \(len 0x3039\)' 'landed|E2E'
out=$(boot max 60 mode=corrupt len=$len d0="$d0" d1="$d1" flags=1)
check "flags bit0 skips the checks" "$out" '^E2E OK' 'mismatch'
out=$(boot qemu64 60 mode=e2e len=$len d0="$d0" d1="$d1" flags=4)
check "flags bit2 (--console-serial): progress lines, then the jump" \
    "$(grep -E '^purgatory: |^E2E' <<<"$out" | tr -d '\r' | paste -sd'|')" \
    '^purgatory: verifying 2 regions\|purgatory: jumping to 0x[0-9a-f]+\|E2E OK$' 'FAIL|mismatch'
out=$(boot qemu64 60 mode=e2e len=$len d0="$d0" d1="$d1" flags=5)
check "flags bits 0 and 2: says the checks are skipped" \
    "$(grep -E '^purgatory: |^E2E' <<<"$out" | tr -d '\r' | paste -sd'|')" \
    '^purgatory: digest checks skipped\|purgatory: jumping to 0x[0-9a-f]+\|E2E OK$' 'FAIL|mismatch|verifying'

if [ "$bench" = 1 ]; then
    blen=16777216
    mhz=$(awk -F: '/^cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo)
    read -r b0 _ < <(digests $blen)
    modes="bench"
    [ "$peer" = 1 ] && modes="bench peer"
    ratios="$tmp/ratios"
    : > "$ratios"
    round=1
    while [ "$round" -le "$rounds" ]; do
        for cpu in max qemu64; do
            declare -A us=()
            for m in $modes; do
                out=$(boot "$cpu" 300 mode=$m len=$blen reps=5 tscmhz="$mhz")
                best=$(grep -o 'us=[0-9]*' <<<"$out" | cut -d= -f2 | sort -n | head -1)
                grep -q "^sha256 $b0 " <<<"$out" || { echo "FAIL  bench $m: wrong digest"; failed=1; continue; }
                us[$m]=$best
                name=ours; [ "$m" = peer ] && name=kexec-tools
                awk -v n="$name" -v c="$cpu" -v us="$best" -v l=$blen -v r=$round \
                    'BEGIN { printf "bench round %d %-11s -cpu %-6s %6.1f MB/s (best of 5, 16 MiB)\n", r, n, c, l / us }'
            done
            if [ -n "${us[bench]:-}" ] && [ -n "${us[peer]:-}" ]; then
                echo "$cpu $(awk -v a="${us[bench]}" -v b="${us[peer]}" 'BEGIN { printf "%.3f", a / b }')" >> "$ratios"
            fi
            unset us
        done
        round=$((round + 1))
    done
    for cpu in max qemu64; do
        awk -v c="$cpu" '$1 == c { v[n++] = $2 } END {
            if (n == 0) exit
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            s = ""; for (i = 0; i < n; i++) s = s " " v[i]
            printf "bench ratio ours/kexec-tools time, -cpu %-6s median %.2f of %d rounds (sorted:%s)\n", c, m, n, s
        }' "$ratios"
    done
fi
exit $failed
