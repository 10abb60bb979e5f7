#!/usr/bin/env bash
# Builds the purgatory blob from purgatory/*.swift, purgatory/*.S and purgatory/purgatory.lds
# and writes Sources/KexecCore/Purgatory/PurgatoryBlob.swift.
#
#   purgatory/build.sh           rebuild and (re)write the generated Swift file
#   purgatory/build.sh --check   rebuild in a temp dir and fail unless the generated file is
#                                up to date, the blob is position independent (links at two
#                                bases give identical bytes), the ELF has no undefined
#                                symbols and no relocations, and there is no SSE code.
#
# Works from any directory. Needs swiftc (PATH or /opt/swift/usr/bin), GNU as/ld/objcopy/nm/
# readelf/objdump, od and awk. PURGATORY_OUT=DIR also keeps purgatory.elf and purgatory.bin.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
generated_rel="Sources/KexecCore/Purgatory/PurgatoryBlob.swift"
generated="$root/$generated_rel"

mode=build
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

fail() {
    if [ "$mode" = check ]; then
        echo "purgatory check: FAILED: $*" >&2
    else
        echo "purgatory build: FAILED: $*" >&2
    fi
    exit 1
}

swiftc="$(command -v swiftc || true)"
if [ -z "$swiftc" ]; then
    swiftc=/opt/swift/usr/bin/swiftc
fi
[ -x "$swiftc" ] || fail "swiftc not found (not on PATH and not at /opt/swift/usr/bin/swiftc)"
for tool in as ld objcopy nm readelf objdump od awk cmp; do
    command -v "$tool" >/dev/null || fail "$tool not found"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/purgatory.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# 1. Compile. sha256_blocks.swift is compiled twice, as a plain x86-64 copy and as a
# BMI1/BMI2 copy (rorx/andn); sha256.swift picks one at run time with CPUID. All other
# Swift files form the main module. Sources are passed in sorted order (reproducible).
swift_sources=()
while IFS= read -r f; do
    [ "$(basename "$f")" = sha256_blocks.swift ] || swift_sources+=("$f")
done < <(ls "$here"/*.swift | LC_ALL=C sort)
asm_sources=()
while IFS= read -r f; do asm_sources+=("$f"); done < <(ls "$here"/*.S | LC_ALL=C sort)
[ -f "$here/sha256_blocks.swift" ] || fail "purgatory/sha256_blocks.swift is missing"

swift_compile() { # output module-name extra-flags... -- sources...
    local out="$1" module="$2"; shift 2
    local flags=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    "$swiftc" -target x86_64-unknown-none-elf \
        -enable-experimental-feature Embedded -enable-experimental-feature Extern \
        -wmo -parse-as-library -O -no-allocations \
        -Xfrontend -disable-stack-protector -Xfrontend -function-sections \
        -Xcc -mno-sse -Xcc -mno-red-zone -Xcc -fomit-frame-pointer \
        -module-cache-path "$tmp/module-cache" \
        "${flags[@]}" -module-name "$module" -c "$@" -o "$out" \
        > "$tmp/swiftc-$module.log" 2>&1 || { cat "$tmp/swiftc-$module.log" >&2; fail "swiftc failed ($module)"; }
}
swift_compile "$tmp/main.o" purgatory -- "${swift_sources[@]}"
swift_compile "$tmp/generic.o" purgatory_generic -- "$here/sha256_blocks.swift"
swift_compile "$tmp/bmi2.o" purgatory_bmi2 -D PURGATORY_BMI2 -Xcc -mbmi -Xcc -mbmi2 -- "$here/sha256_blocks.swift"

objects=()
for s in "${asm_sources[@]}"; do
    o="$tmp/$(basename "$s" .S).o"
    as --64 -o "$o" "$s" || fail "as failed on $(basename "$s")"
    objects+=("$o")
done
objects+=("$tmp/main.o" "$tmp/generic.o" "$tmp/bmi2.o")

# 2. Link at a base address and flatten.
link() { # base name
    ld -nostdlib -static --no-warn-rwx-segments --gc-sections \
        -T "$here/purgatory.lds" --defsym "PURGATORY_BASE=$1" \
        --require-defined=purgatory_start --require-defined=purgatory_params \
        --require-defined=purgatory_verify --require-defined=purgatory_sha256 \
        -o "$tmp/$2.elf" "${objects[@]}" > "$tmp/ld-$2.log" 2>&1 \
        || { cat "$tmp/ld-$2.log" >&2; fail "ld failed (base $1)"; }
    objcopy -O binary "$tmp/$2.elf" "$tmp/$2.bin" || fail "objcopy failed (base $1)"
}
link 0 base0
link 0x7654000 base1

# 3. Checks that apply to every build.
cmp -s "$tmp/base0.bin" "$tmp/base1.bin" \
    || fail "blob is not position independent (bytes differ when linked at 0 and at 0x7654000)"
undefined="$(nm -u "$tmp/base0.elf")"
[ -z "$undefined" ] || fail "undefined symbols in the linked purgatory: $(echo $undefined)"
readelf -r "$tmp/base0.elf" | grep -q "There are no relocations in this file" \
    || fail "the linked purgatory has relocations"
if objdump -d "$tmp/base0.elf" | grep -q -E '%[xyz]mm[0-9]'; then
    fail "the purgatory contains SSE/AVX instructions (it must run with CR4.OSFXSR clear)"
fi

# The hot SHA-256 loops must not cross a page boundary (QEMU TCG would leave its
# translated code at every crossing; see sha256_blocks.swift).
while read -r addr size; do
    a=$((16#$addr)); z=$((16#$size))
    [ $((a / 4096)) -eq $(((a + z - 1) / 4096)) ] \
        || fail "a SHA-256 block function crosses a page boundary (at 0x$addr, size 0x$size); see purgatory.lds"
done < <(nm -S "$tmp/base0.elf" | awk '$4 ~ /sha256Blocks/ { print $1, $2 }')

# 4. Offsets and sizes.
sym() {
    local v
    v="$(nm "$tmp/base0.elf" | awk -v n="$1" '$3 == n { print $1 }')"
    [ -n "$v" ] || fail "symbol $1 missing"
    printf '0x%x' "$((16#$v))"
}
entry="$(sym purgatory_start)"
params="$(sym purgatory_params)"
verify="$(sym purgatory_verify)"
sha256="$(sym purgatory_sha256)"
generic="$(sym purgatory_sha256_blocks_generic)"
file_end="$(sym purgatory_file_end)"
image_end="$(sym purgatory_image_end)"
size="$(stat -c %s "$tmp/base0.bin")"
[ "$size" -eq "$((file_end))" ] || fail "flat file is $size bytes, expected $((file_end))"
[ $((params % 8)) -eq 0 ] || fail "purgatory_params is not 8-byte aligned"
memsize="$(printf '0x%x' $(( (image_end + 4095) / 4096 * 4096 )))"

# 5. The generated Swift source.
{
    echo "// Generated by purgatory/build.sh from purgatory/ — do not edit."
    echo "// Flat, position-independent x86_64 purgatory: load it anywhere, patch the 896-byte"
    echo "// parameter block at paramsOffset (layout in purgatory/README.md), jump to entryOffset."
    echo "enum PurgatoryBlob {"
    printf '    %-36s // purgatory_start\n' "static let entryOffset = $entry"
    printf '    %-36s // purgatory_params (896 bytes, 8-aligned)\n' "static let paramsOffset = $params"
    printf '    %-36s // purgatory_verify (host tests)\n' "static let verifyOffset = $verify"
    printf '    %-36s // purgatory_sha256 (host tests)\n' "static let sha256Offset = $sha256"
    printf '    %-36s // purgatory_sha256_blocks_generic (host tests)\n' "static let genericBlocksOffset = $generic"
    printf '    %-36s // bytes incl. .bss/stack, rounded up to 4096\n' "static let memorySize = $memsize"
    echo "    static let bytes: [UInt8] = ["
    od -An -v -tx1 "$tmp/base0.bin" | awk '
        NF > 0 {
            line = "       "
            for (i = 1; i <= NF; i++) line = line " 0x" $i ","
            print line
        }'
    echo "    ]"
    echo "}"
} > "$tmp/PurgatoryBlob.swift"

# Optional: keep the linked ELF and flat blob for debugging and for tests/.
if [ -n "${PURGATORY_OUT:-}" ]; then
    mkdir -p "$PURGATORY_OUT"
    cp "$tmp/base0.elf" "$PURGATORY_OUT/purgatory.elf"
    cp "$tmp/base0.bin" "$PURGATORY_OUT/purgatory.bin"
fi

if [ "$mode" = check ]; then
    [ -f "$generated" ] || fail "$generated_rel does not exist; run purgatory/build.sh"
    cmp -s "$tmp/PurgatoryBlob.swift" "$generated" \
        || fail "$generated_rel is stale; run purgatory/build.sh"
    echo "purgatory check: ok ($size bytes)"
else
    mkdir -p "$(dirname "$generated")"
    if [ -f "$generated" ] && cmp -s "$tmp/PurgatoryBlob.swift" "$generated"; then
        echo "purgatory: $generated_rel is up to date ($size bytes)"
    else
        cp "$tmp/PurgatoryBlob.swift" "$generated"
        echo "purgatory: wrote $generated_rel ($size bytes)"
    fi
    echo "purgatory: entry $entry, params $params, verify $verify, sha256 $sha256, generic blocks $generic, memory $memsize"
fi
